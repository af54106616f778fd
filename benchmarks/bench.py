"""Per-stage timing of the scan on a folder of photos (default: samples/), on one core.

Usage::

    .venv/bin/python benchmarks/bench.py [FOLDER] [--repeat N] [--profile NAME|FILE] [--without CUE ...]

Prints, per stage (decode, analysis, overlay, writing), the median and mean milliseconds per
image, and the ratio analysis / decode overall and for the 1280x960 JPEG photos alone
(the design target is analysis <= 2x decode there). Also the OCR cost of the serial_4_letter
cue per photo (Tesseract runs only, included in analysis; median and 95th percentile) and how many
regions reached Tesseract. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from vision import ocr
from vision.batch import collect_inputs
from vision.evidence import load_profile
from vision.io import ImageLoadError, load_image, write_image
from vision.overlay import OverlayAnnotator
from vision.memory import reuse_freed_memory
from vision.pipeline import analyse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[1] / "samples"))
    parser.add_argument("--repeat", type=int, default=3, help="passes over the folder; the fastest pass per image counts")
    parser.add_argument("--profile", default="toofan", help="profile name or file")
    parser.add_argument("--without", action="append", default=[], metavar="CUE",
                        help="leave this cue out of the profile (repeatable); e.g. serial_4_letter, to time the colour cues alone")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    reuse_freed_memory()  # as a scan's workers do (vision.memory), for decode and analysis alike
    profile = load_profile(args.profile)
    unknown = sorted(set(args.without) - set(profile.cue_names))
    if unknown:
        parser.error(f"--without: {unknown} not in profile {profile.name!r} (its cues: {profile.cue_names})")
    profile = dataclasses.replace(profile, cues=tuple(c for c in profile.cues if c.name not in args.without))
    annotator = OverlayAnnotator()
    paths = collect_inputs([args.folder])
    stages = {"decode": {}, "analysis": {}, "overlay": {}, "writing": {}}
    sizes = {}
    ocr_seconds, ocr_regions = {}, {}
    read_lines = ocr.read_lines

    def timed_read_lines(*args, **kwargs):  # the cue calls ocr.read_lines: time Tesseract alone
        t = time.perf_counter()
        try:
            return read_lines(*args, **kwargs)
        finally:
            timed_read_lines.seconds += time.perf_counter() - t

    ocr.read_lines = timed_read_lines
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for p in paths:
                t0 = time.perf_counter()
                try:
                    loaded = load_image(p)
                except ImageLoadError:
                    continue
                t1 = time.perf_counter()
                timed_read_lines.seconds = 0.0
                result = analyse(loaded.rgb, profile)
                t2 = time.perf_counter()
                ocr_seconds[p] = min(ocr_seconds.get(p, float("inf")), timed_read_lines.seconds)
                serial = result.cues.get("serial_4_letter")
                if serial is not None:
                    ocr_regions[p] = int(serial.measurements.get("ocr_regions", 0))
                overlay = annotator.annotate(loaded.rgb, result.cues, result.identification)
                t3 = time.perf_counter()
                write_image(Path(tmp) / "overlay.jpg", overlay, quality=88)
                json.dumps({"cues": result.cues_dict(), "identification": result.identification.to_dict()})
                t4 = time.perf_counter()
                for stage, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    stages[stage][p] = min(stages[stage].get(p, float("inf")), dt)
                sizes[p] = (loaded.width, loaded.height, p.suffix.lower() in (".jpg", ".jpeg"))
    n = len(stages["decode"])
    print(f"{n} images from {args.folder}, best of {args.repeat} passes, OpenCV threads: 1")
    print(f"{'stage':<10}{'median ms':>12}{'mean ms':>12}")
    for stage, times in stages.items():
        values = [v * 1000 for v in times.values()]
        print(f"{stage:<10}{statistics.median(values):>12.2f}{statistics.mean(values):>12.2f}")
    total = sum(stages["analysis"].values()) / sum(stages["decode"].values())
    print(f"analysis / decode (all images): {total:.2f}")
    target = [p for p, (w, h, jpg) in sizes.items() if jpg and (w, h) in ((1280, 960), (960, 1280))]
    if target:
        ratio = sum(stages["analysis"][p] for p in target) / sum(stages["decode"][p] for p in target)
        dec = statistics.median(stages["decode"][p] * 1000 for p in target)
        ana = statistics.median(stages["analysis"][p] * 1000 for p in target)
        print(f"1280x960 JPEG photos: {len(target)}; median decode {dec:.2f} ms, median analysis {ana:.2f} ms; analysis / decode {ratio:.2f} (target <= 2)")
    if ocr_regions:
        cost = sorted(v * 1000 for v in ocr_seconds.values())
        p95 = cost[min(len(cost) - 1, int(round(0.95 * (len(cost) - 1))))]
        regions = sorted(ocr_regions.values())
        sent = sum(1 for r in regions if r)
        print(f"OCR (Tesseract, serial_4_letter) per photo: median {statistics.median(cost):.1f} ms, 95th percentile {p95:.1f} ms, mean {statistics.mean(cost):.1f} ms")
        print(f"regions sent to Tesseract per photo: median {statistics.median(regions):.0f}, max {regions[-1]}, total {sum(regions)}; photos with any {sent}/{len(regions)}")


if __name__ == "__main__":
    main()
