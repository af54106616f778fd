"""``vision import coco FILE --out DIR``: results records from COCO JSON (module ``import_``:
``import`` is a Python keyword)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    imp = subparsers.add_parser(
        "import",
        help="import results from another format (COCO JSON) into a scan folder",
        description=(
            "Read COCO JSON and write DIR/results.jsonl, DIR/summary.csv and DIR/report.html. A file written "
            "by `vision export coco` gives back the original records; for a COCO file from another tool, "
            "categories named after cues become those cues (present where annotated, absent elsewhere) and "
            "the identification is computed with --profile."
        ),
    )
    imp.add_argument("format", choices=["coco"], help="input format")
    imp.add_argument("file", metavar="FILE", help="the COCO JSON file")
    imp.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    imp.add_argument("--profile", default="toofan", metavar="NAME|FILE", help="profile for files from other tools (default: toofan)")
    imp.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..coco import read_coco
    from ..evidence import load_profile
    from ..html_report import write_html_report
    from ..report import write_summary

    try:
        profile = load_profile(args.profile)
        records = read_coco(args.file, profile=profile)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    cue_names = list(dict.fromkeys(name for r in records for name in (r.get("cues") or {})))
    write_summary(records, out / "summary.csv", cue_names)
    write_html_report(out, records)
    print(f"vision: {len(records)} record(s) imported into {out / 'results.jsonl'}", file=sys.stderr)
    return 0
