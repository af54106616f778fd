"""Batch throughput and memory: ``vision scan`` on N generated 1280x960 JPEG photos.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [--n 1000] [--jobs 1 2] [--rounds R] [--keep DIR]

Generates N distinct 1280x960 JPEGs (smooth coloured scenes with a few painted bands and
letters, made with numpy/cv2), then prints

- the decode-only floor: photos per second of :func:`vision.io.load_image` alone, one core,
  files in the page cache and the allocator set as in the scan's workers;
- photos per second of ``python -m vision scan`` (a subprocess, wall clock including start-up
  and the report) at each ``--jobs``, and the speed-up over ``--jobs 1``;
- the full scan at ``--jobs 1`` as a multiple of the decode floor;
- peak memory: the largest resident set of any scan process (``getrusage`` of the children)
  and of this process; and for ``--jobs N`` an upper bound (main + N workers).

With ``--rounds R`` the floor and the scans are measured R times, the order of the scans
alternating (``1 2``, then ``2 1``, ...), and the rates come from the mean times: on a machine whose
speed drifts (a shared virtual machine), scans measured minutes apart otherwise compare
unlike conditions.

Targets (issue 6): ``--jobs 2`` >= 1.7x ``--jobs 1``; ``--jobs 1`` no slower than 5x the
decode floor; peak memory under 1 GiB whatever N. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from vision.io import load_image
from vision.memory import reuse_freed_memory


def make_photo(i: int) -> np.ndarray:
    """A distinct 1280x960 RGB scene: a smooth coloured background, a dark tube with yellow bands, letters."""
    rng = np.random.default_rng(i)
    coarse = (rng.random((6, 8, 3)) * 180 + 30).astype(np.uint8)
    rgb = cv2.resize(coarse, (1280, 960), interpolation=cv2.INTER_CUBIC)
    y = int(rng.integers(200, 700))
    cv2.rectangle(rgb, (150, y), (1100, y + 120), (40, 70, 45), -1)
    for k in range(int(rng.integers(0, 4))):
        x = 300 + 150 * k
        cv2.rectangle(rgb, (x, y), (x + 25, y + 120), (230, 200, 40), -1)
    cv2.putText(rgb, "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 4)), (200, y - 30), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 20), 4)
    noise = rng.normal(0, 4, rgb.shape)
    return np.clip(rgb + noise, 0, 255).astype(np.uint8)


def generate(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"photo_{i:05d}.jpg"
        if not path.is_file():
            cv2.imwrite(str(path), cv2.cvtColor(make_photo(i), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        paths.append(path)
    return paths


def decode_floor(paths: list[Path]) -> float:
    """Photos per second of :func:`load_image` alone, files already in the page cache (as they
    are for the scans that follow), so the floor measures decoding, not the disk."""
    cv2.setNumThreads(1)
    reuse_freed_memory()  # as the scan's workers do (vision.memory)
    for p in paths:
        p.read_bytes()
    t = time.perf_counter()
    for p in paths:
        load_image(p)
    return len(paths) / (time.perf_counter() - t)


def scan(folder: Path, out: Path, jobs: int) -> float:
    cmd = [sys.executable, "-m", "vision", "scan", str(folder), "--out", str(out), "--jobs", str(jobs), "--no-progress"]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of photos (default: 1000)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default: 1 2)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the floor and every scan this many times, alternating the order of the scans; rates from the mean times (default: 1)")
    parser.add_argument("--keep", metavar="DIR", help="generate the photos and outputs here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error(f"--n must be >= 1, got {args.n}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    with tempfile.TemporaryDirectory(prefix="vision-bench-scale-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        t = time.perf_counter()
        paths = generate(root / "photos", args.n)
        print(f"{args.n} photos 1280x960 JPEG in {root / 'photos'} (generated in {time.perf_counter() - t:.1f} s)")
        # Rounds alternate the order of the scans (1 2, then 2 1, ...) and each measures its
        # own floor, so a machine whose speed drifts during the run biases no figure.
        floors, seconds = [], {jobs: [] for jobs in args.jobs}
        for r in range(args.rounds):
            floors.append(decode_floor(paths))
            print(f"round {r + 1}: decode-only floor (load_image, 1 core): {floors[-1]:8.1f} photos/s")
            for jobs in args.jobs if r % 2 == 0 else args.jobs[::-1]:
                seconds[jobs].append(scan(root / "photos", root / f"out-jobs{jobs}", jobs))
                peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                print(f"round {r + 1}: vision scan --jobs {jobs}: {args.n / seconds[jobs][-1]:8.2f} photos/s ({seconds[jobs][-1]:.1f} s wall); largest process so far {peak_child:.0f} MiB")
        floor = statistics.harmonic_mean(floors)  # from the mean time per photo, as the scans' rates
        rates = {jobs: args.n / statistics.mean(s) for jobs, s in seconds.items()}
        if args.rounds > 1:
            print(f"over {args.rounds} rounds: decode floor {floor:.1f} photos/s; " + "; ".join(f"--jobs {j} {rate:.2f} photos/s" for j, rate in rates.items()))
        if 1 in rates:
            print(f"full scan at --jobs 1 = {floor / rates[1]:.1f}x the decode floor (target <= 5x)")
            for jobs, rate in rates.items():
                if jobs != 1:
                    print(f"--jobs {jobs} speed-up over --jobs 1: {rate / rates[1]:.2f}x (target >= 1.7x at --jobs 2)")
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        top = max(args.jobs)
        print(f"peak memory: largest scan process {child:.0f} MiB, this process {own:.0f} MiB; "
              f"bound for --jobs {top}: {(top + 1) * child + own:.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()
