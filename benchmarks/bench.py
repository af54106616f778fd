"""Per-stage timing of the scan on a folder of photos (default: samples/), on one core.

Usage::

    .venv/bin/python benchmarks/bench.py [FOLDER] [--repeat N]

Prints, per stage (decode, analysis, overlay, writing), the median and mean milliseconds per
image, and the ratio analysis / decode overall and for the 1280x960 JPEG photos alone
(the design target is analysis <= 2x decode there). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from vision.batch import collect_inputs
from vision.evidence import load_profile
from vision.io import ImageLoadError, load_image, write_image
from vision.overlay import OverlayAnnotator
from vision.pipeline import analyse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[1] / "samples"))
    parser.add_argument("--repeat", type=int, default=3, help="passes over the folder; the fastest pass per image counts")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    profile = load_profile("toofan")
    annotator = OverlayAnnotator()
    paths = collect_inputs([args.folder])
    stages = {"decode": {}, "analysis": {}, "overlay": {}, "writing": {}}
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for p in paths:
                t0 = time.perf_counter()
                try:
                    loaded = load_image(p)
                except ImageLoadError:
                    continue
                t1 = time.perf_counter()
                result = analyse(loaded.rgb, profile)
                t2 = time.perf_counter()
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


if __name__ == "__main__":
    main()
