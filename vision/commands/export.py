"""``vision export coco DIR --out FILE``: scan results as COCO JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    export = subparsers.add_parser(
        "export",
        help="export scan results to another format (COCO JSON)",
        description=(
            "Write a scan's results as COCO JSON: one image per analysed photo, one category per cue, one "
            "annotation per cue region with bbox and score, the cue's state, score and measurements in extra "
            "fields (and in 'attributes' for CVAT and FiftyOne). `vision import coco` reads it back unchanged."
        ),
    )
    export.add_argument("format", choices=["coco"], help="output format")
    export.add_argument("dir", metavar="DIR", help="a scan folder (holding results.jsonl)")
    export.add_argument("--out", required=True, metavar="FILE", help="the JSON file to write")
    export.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..coco import write_coco
    from ..report import read_results

    if not (Path(args.dir) / "results.jsonl").is_file():
        parser.error(f"{args.dir}: not a scan folder (no results.jsonl)")
    records = read_results(args.dir)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_coco(records, args.out)
    print(f"vision: {len(records)} record(s) written to {args.out} as COCO JSON", file=sys.stderr)
    return 0
