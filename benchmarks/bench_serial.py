"""Read rate of the serial_4_letter cue: exact reads and false four-letter readings.

Usage::

    .venv/bin/python benchmarks/bench_serial.py samples              # a labelled folder (labels.json)
    .venv/bin/python benchmarks/bench_serial.py --render 200 --seed 40000

A folder needs a ``labels.json`` in the ``samples/`` format (``serial`` per image). With
``--render N`` the script renders N fresh scenes with :mod:`vision.synth` (half Toofans, the
rest US launchers, empty scenes and hard negatives; seeds from ``--seed``, which should stay
clear of those ``samples/generate.py`` uses, below 11000) and degrades them like the samples.

Prints the exact reads among the photos whose serial is four capital letters, the photos
without one that read as four letters (false four-letter readings), and the cue's Tesseract
time per photo (median, 95th percentile) with the regions sent to Tesseract. Not a test:
numbers depend on the machine and the renders.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from vision import ocr, synth
from vision.cues import serial_4_letter
from vision.io import load_image
from vision.normalise import normalise


def labelled_folder(folder: Path):
    """``(rgb, serial)`` for each image of a labelled folder."""
    for entry in json.loads((folder / "labels.json").read_text())["images"]:
        yield load_image(folder / entry["image"]).rgb, entry.get("serial")


def rendered(n: int, seed: int):
    """``(rgb, serial)`` for ``n`` fresh renders: half Toofans, then the other kinds in turn."""
    others = [k for k in synth.KINDS if k != "toofan"]
    for i in range(n):
        kind = "toofan" if i % 2 == 0 else others[(i // 2) % len(others)]
        scene = synth.render_scene(kind, seed + i, (1280, 960))
        data, _ = synth.degrade(scene.image, seed + i + 500_000)
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), scene.truth["serial"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", help="labelled folder (with labels.json)")
    parser.add_argument("--render", type=int, default=0, help="render this many fresh scenes instead")
    parser.add_argument("--seed", type=int, default=40000, help="first seed of the renders")
    args = parser.parse_args()
    if bool(args.folder) == bool(args.render):
        parser.error("give a labelled folder or --render N")
    cv2.setNumThreads(1)
    photos = labelled_folder(Path(args.folder)) if args.folder else rendered(args.render, args.seed)
    read_lines, spent = ocr.read_lines, [0.0]

    def timed(*a, **k):  # the cue calls ocr.read_lines: time Tesseract alone
        t = time.perf_counter()
        try:
            return read_lines(*a, **k)
        finally:
            spent[0] += time.perf_counter() - t

    ocr.read_lines = timed
    exact = serials = false = others = 0
    cost, regions = [], []
    for rgb, serial in photos:
        spent[0] = 0.0
        result = serial_4_letter.detect(normalise(rgb))
        cost.append(spent[0] * 1000)
        regions.append(int(result.measurements.get("ocr_regions", 0)))
        if serial and len(serial) == 4 and serial.isalpha() and serial.isupper():
            serials += 1
            exact += result.fields["text"] == serial
        else:
            others += 1
            false += result.present
    cost.sort()
    print(f"exact reads {exact}/{serials} ({exact / max(serials, 1):.0%}); false four-letter readings {false}/{others} ({false / max(others, 1):.1%})")
    print(
        f"Tesseract per photo: median {statistics.median(cost):.1f} ms, 95th percentile {cost[int(round(0.95 * (len(cost) - 1)))]:.1f} ms; "
        f"regions per photo: median {statistics.median(regions):.0f}, mean {statistics.mean(regions):.2f}"
    )


if __name__ == "__main__":
    main()
