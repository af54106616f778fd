"""``vision scan INPUT... --out DIR``: scan photos, write results.jsonl, summary.csv, overlays."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..evidence import load_profile, profile_names
from ..io import DEFAULT_MAX_PIXELS


def register(subparsers) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="scan photos for a profile's cues; write results.jsonl, summary.csv and overlays",
        description=(
            "Scan photos (files and folders, searched recursively) for a profile's cues and write "
            "DIR/results.jsonl (one JSON record per photo), DIR/summary.csv and annotated overlays in "
            "DIR/overlays/. Exit status: 0 all photos processed, 1 some could not be read (the others "
            "are still processed and reported), 2 usage error."
        ),
    )
    scan.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, or folders")
    scan.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    scan.add_argument(
        "--profile",
        default="toofan",
        metavar="NAME|FILE",
        help=f"identification profile: a packaged name ({', '.join(profile_names())}) or a profile JSON file (default: toofan)",
    )
    scan.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    scan.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help=f"refuse images declaring more pixels than this, before decoding (default: {DEFAULT_MAX_PIXELS:,})",
    )
    scan.add_argument(
        "--every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="videos (.mp4 .avi .mov .mkv .webm): scan one frame every SECONDS, a record per frame (default: 1.0)",
    )
    scan.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="run the per-photo work in local processes (--jobs) or on a Dask distributed cluster (default: local)",
    )
    scan.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler's address, e.g. tcp://HOST:8786 (with --engine dask)")
    scan.add_argument(
        "--resume",
        action="store_true",
        help="keep DIR/results.jsonl and skip the photos it already records (same path and SHA-256); "
        "without it an existing results.jsonl is replaced",
    )
    progress = scan.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show the progress bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")
    scan.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..batch import collect_inputs, run_scan

    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    if (args.engine == "dask") != (args.scheduler is not None):
        parser.error("--scheduler ADDRESS is required with --engine dask, and only with it")
    if args.engine == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            parser.error('--engine dask needs Dask: pip install "vision[dask]"')
    if not args.every > 0:
        parser.error(f"--every must be > 0 seconds, got {args.every}")
    if args.max_pixels < 1:
        parser.error(f"--max-pixels must be >= 1, got {args.max_pixels}")
    try:
        profile = load_profile(args.profile)
    except ValueError as exc:
        parser.error(str(exc))
    for p in args.inputs:
        if not Path(p).exists():
            print(f"vision: warning: {p}: no such file or folder (recorded as an error)", file=sys.stderr)
    if not collect_inputs(args.inputs):
        parser.error("no image files found in the inputs")
    parameters = {k: v for k, v in vars(args).items() if k != "func"}
    summary = run_scan(
        args.inputs, args.out, profile, jobs=args.jobs, max_pixels=args.max_pixels, progress=args.progress,
        resume=args.resume, parameters=parameters, every=args.every,
        engine=args.engine, scheduler=args.scheduler,
    )
    print(
        f"vision: {summary.total} photo(s): {summary.ok} analysed, {summary.errors} could not be read, "
        f"{summary.skipped} already recorded; "
        f"results in {summary.out_dir / 'results.jsonl'}",
        file=sys.stderr,
    )
    return 1 if summary.errors else 0
