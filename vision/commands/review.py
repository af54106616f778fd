"""``vision review DIR [--port N]``: record reviewers' verdicts in a local web page;
``vision review DIR --export FILE``: write them as labels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    review = subparsers.add_parser(
        "review",
        help="serve a scan's report locally and record reviewers' verdicts; or export them as labels",
        description=(
            "Serve DIR/report.html on http://HOST:PORT/ and record, per photo and per cue, a verdict on "
            "the tool's finding (confirm, reject or unsure, with a note) in DIR/verdicts.sqlite. With "
            "--export, write the verdicts as labels (CSV or the project's JSON labels format, by the "
            "suffix) for `vision eval` and `vision calibrate`, and exit."
        ),
    )
    review.add_argument("dir", metavar="DIR", help="a scan folder (holding results.jsonl)")
    review.add_argument("--port", type=int, default=8765, metavar="N", help="port (default: 8765; 0 picks a free one)")
    review.add_argument("--host", default="127.0.0.1", metavar="ADDR", help="address to bind (default: 127.0.0.1, this machine only)")
    review.add_argument("--export", metavar="FILE", help="write the verdicts as labels to FILE (.csv or .json) and exit")
    review.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..review import export_verdicts, serve

    if not (Path(args.dir) / "results.jsonl").is_file():
        parser.error(f"{args.dir}: not a scan folder (no results.jsonl)")
    if args.export:
        try:
            count = export_verdicts(args.dir, args.export)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"vision: {count} photo(s) with a confirmed or rejected identification written to {args.export}", file=sys.stderr)
        return 0
    try:
        serve(args.dir, host=args.host, port=args.port)
    except ValueError as exc:
        parser.error(str(exc))
    except OSError as exc:
        print(f"vision: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
