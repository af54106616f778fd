"""``vision query DIR [--min-confidence X] [--cue NAME=STATE]... [--label L] [--json]``: find photos in a scan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cue_condition(text: str) -> tuple[str, str]:
    from ..index import CUE_STATES

    name, sep, state = text.partition("=")
    if not sep or not name or state not in CUE_STATES:
        raise argparse.ArgumentTypeError(f"expected NAME=STATE with STATE one of {', '.join(CUE_STATES)}, got {text!r}")
    return name, state


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def register(subparsers) -> None:
    query = subparsers.add_parser(
        "query",
        help="list a scan's photos matching a minimum confidence, cue states and a label",
        description=(
            "List the photos of a scan folder matching every condition, by confidence (highest first): "
            "a table of image, label and confidence, or the full records as a JSON array with --json. "
            "Queries use DIR/results.sqlite, rebuilt from DIR/results.jsonl when missing or outdated."
        ),
    )
    query.add_argument("dir", metavar="DIR", help="a scan folder (holding results.jsonl)")
    query.add_argument("--min-confidence", type=_confidence, metavar="X", help="keep photos with confidence >= X")
    query.add_argument("--cue", type=_cue_condition, action="append", default=[], metavar="NAME=STATE",
                       help="keep photos where cue NAME is STATE (present, absent, not_assessable); repeatable")
    query.add_argument("--label", metavar="LABEL", help="keep photos identified with LABEL")
    query.add_argument("--json", action="store_true", help="print the matching records as a JSON array")
    query.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..index import query

    if not (Path(args.dir) / "results.jsonl").is_file():
        parser.error(f"{args.dir}: not a scan folder (no results.jsonl)")
    cues = dict(args.cue)
    if len(cues) != len(args.cue):
        parser.error("--cue: each cue may be given once")
    records = query(args.dir, min_confidence=args.min_confidence, cues=cues, label=args.label)
    if args.json:
        json.dump([{k: v for k, v in r.items() if k != "_index"} for r in records], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    rows = [(r["image"], (r.get("identification") or {}).get("label", "error"), _fmt((r.get("identification") or {}).get("confidence"))) for r in records]
    width = max([len("image"), *(len(image) for image, _, _ in rows)])
    lwidth = max([len("label"), *(len(label) for _, label, _ in rows)])
    print(f"{'image':<{width}}  {'label':<{lwidth}}  confidence")
    for image, label, conf in rows:
        print(f"{image:<{width}}  {label:<{lwidth}}  {conf}")
    print(f"vision: {len(rows)} photo(s) match", file=sys.stderr)
    return 0


def _fmt(conf: float | None) -> str:
    return "" if conf is None else f"{conf:.3f}"
