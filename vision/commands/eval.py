"""``vision eval RESULTS_DIR --labels LABELS --out DIR``: metrics of a scan against labels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..evaluate import DEFAULT_MAX_HASH_DISTANCE


def register(subparsers) -> None:
    ev = subparsers.add_parser(
        "eval",
        help="measure a scan against labels: ROC AUC, precision/recall/F1, calibration, per-cue metrics, plots",
        description=(
            "Match the records of a scan (RESULTS_DIR/results.jsonl) to labels (the project's labels.json, "
            "a COCO JSON or a CSV with columns image,toofan[,green_seal_tape,yellow_bands,serial]) by file "
            "name and write DIR/metrics.json (every number), DIR/per_image.csv and PNG plots (ROC, "
            "precision-recall, reliability diagram, band-count confusion, per-cue metrics). Near-duplicate "
            "photos (same bytes or perceptual hash) are grouped so that each photo counts once. Exit status: "
            "0 done, 2 usage error (bad option, unreadable results or labels, no record matches a label)."
        ),
    )
    ev.add_argument("results", metavar="RESULTS_DIR", help="a scan folder (or its results.jsonl)")
    ev.add_argument("--labels", required=True, metavar="LABELS", help="labels file: .json (project or COCO) or .csv")
    ev.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    ev.add_argument("--threshold", type=float, metavar="P", help="decision threshold on the confidence (default: the scan profile's)")
    ev.add_argument("--bins", type=int, default=10, metavar="N", help="bins of the reliability diagram and the ECE (default: 10)")
    ev.add_argument("--images", metavar="DIR", help="folder the records' image paths are relative to, if not the current one (for duplicate hashing)")
    ev.add_argument("--hash-distance", type=int, default=DEFAULT_MAX_HASH_DISTANCE, metavar="BITS",
                    help=f"largest perceptual-hash distance (of 256 bits) between two copies of one photo (default: {DEFAULT_MAX_HASH_DISTANCE})")
    ev.add_argument("--no-dedupe", dest="dedupe", action="store_false", help="count every photo, even near-duplicates")
    ev.set_defaults(func=run)


def load_inputs(args: argparse.Namespace, parser: argparse.ArgumentParser):
    """Records and labels named on the command line (usage errors exit 2)."""
    from ..labels import load_labels
    from ..report import read_results

    results = Path(args.results)
    if not (results / "results.jsonl" if results.is_dir() else results).is_file():
        parser.error(f"{args.results}: not a scan folder or results file (no results.jsonl)")
    try:
        return read_results(results), load_labels(args.labels)
    except ValueError as exc:
        parser.error(str(exc))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..evaluate import evaluate

    if args.bins < 1:
        parser.error(f"--bins must be >= 1, got {args.bins}")
    if args.threshold is not None and not 0 < args.threshold < 1:
        parser.error(f"--threshold must be in (0, 1), got {args.threshold}")
    records, labels = load_inputs(args, parser)
    try:
        evaluation = evaluate(
            records, labels, threshold=args.threshold, n_bins=args.bins, dedupe=args.dedupe,
            max_hash_distance=args.hash_distance, image_root=args.images,
        )
    except ValueError as exc:
        parser.error(str(exc))
    written = evaluation.write(args.out)
    print(evaluation.summary(), file=sys.stderr)
    print(f"vision: metrics in {written['metrics']}, plots in {Path(args.out)}", file=sys.stderr)
    return 0
