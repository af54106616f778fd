"""``vision annotate IMAGE --results DIR --out FILE``: a publication-style annotated image."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _label(text: str) -> tuple[str, str]:
    cue, sep, label = text.partition("=")
    if not sep or not cue.strip() or not label.strip():
        raise argparse.ArgumentTypeError(f"expected CUE=TEXT, got {text!r}")
    return cue.strip(), label.strip()


def register(subparsers) -> None:
    annotate = subparsers.add_parser(
        "annotate",
        help="draw a publication-style image: callouts per present cue, insets, caption",
        description=(
            "Draw the publication image of a scanned photo: a callout (arrow and label) per present cue, "
            "optional zoomed insets of each cue, and a caption line with the source and the date. The "
            "photo's record is found in DIR/results.jsonl by the file's SHA-256 (or its path). Text is set "
            "in DejaVu Sans, which covers Arabic and Persian script."
        ),
    )
    annotate.add_argument("image", metavar="IMAGE", help="the photo (as scanned)")
    annotate.add_argument("--results", required=True, metavar="DIR", help="the scan folder holding results.jsonl")
    annotate.add_argument("--out", required=True, metavar="FILE", help="output image (.png, .jpg or .webp)")
    annotate.add_argument("--insets", action="store_true", help="add zoomed insets of each present cue under the photo")
    annotate.add_argument("--caption", metavar="TEXT", help="caption text")
    annotate.add_argument("--source", metavar="TEXT", help="where the photo was published (written as 'Source: TEXT')")
    annotate.add_argument("--date", metavar="TEXT", help="the photo's date, as you want it printed")
    annotate.add_argument(
        "--label", type=_label, action="append", default=[], metavar="CUE=TEXT",
        help="replace a cue's callout text, in any script (repeatable), e.g. --label 'green_seal_tape=نوار امنیتی سبز'",
    )
    annotate.add_argument("--font-scale", type=float, default=1.0, metavar="X", help="text size factor (default: 1)")
    annotate.add_argument("--no-credit", dest="credit", action="store_false", help="leave out the line naming the tool and its confidence")
    annotate.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..annotate import PublicationAnnotator, find_record
    from ..io import ImageLoadError, load_image, write_image
    from ..report import read_results

    if Path(args.out).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        parser.error(f"--out: expected a .png, .jpg or .webp file name, got {args.out!r}")
    if not (Path(args.results) / "results.jsonl").is_file():
        parser.error(f"--results: {args.results} is not a scan folder (no results.jsonl)")
    try:
        loaded = load_image(args.image)
        record = find_record(read_results(args.results), args.image)
        labels = dict(args.label)
        unknown = sorted(set(labels) - set(record.get("cues") or {}))
        if unknown:
            parser.error(f"--label: unknown cue(s) {unknown}; this record has {sorted(record.get('cues') or {})}")
        annotator = PublicationAnnotator(insets=args.insets, labels=labels, font_scale=args.font_scale, credit=args.credit)
        image = annotator.annotate(loaded.rgb, record, caption=args.caption, source=args.source, date=args.date)
    except (ImageLoadError, ValueError) as exc:
        print(f"vision: annotate: {exc}", file=sys.stderr)
        return 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_image(args.out, image, quality=92)
    print(f"vision: annotated image written to {args.out}", file=sys.stderr)
    return 0
