"""``vision calibrate RESULTS_DIR --labels LABELS --out PROFILE``: fit a profile to labelled results."""

from __future__ import annotations

import argparse
import sys

from ..calibrate import MIN_PER_CLASS
from ..evaluate import DEFAULT_MAX_HASH_DISTANCE


def register(subparsers) -> None:
    cal = subparsers.add_parser(
        "calibrate",
        help="fit each cue's likelihood ratios and a calibration map from labelled results; write a profile",
        description=(
            "Fit the scan profile's per-cue likelihood ratios (isotonic regression of the class on each cue's score, "
            "with a pseudo-count; or kernel densities) and a calibration map (Platt or isotonic) on a training split "
            "of the labelled photos, report Cllr, ECE, Brier and ROC AUC before and after on the held-out "
            "split, and write the new profile (use it with `vision scan --profile PROFILE`). Exit status: "
            f"0 done, 2 usage error or too few labels (fewer than {MIN_PER_CLASS} photos of a class in the "
            "training split)."
        ),
    )
    cal.add_argument("results", metavar="RESULTS_DIR", help="a scan folder (or its results.jsonl)")
    cal.add_argument("--labels", required=True, metavar="LABELS", help="labels file: .json (project or COCO) or .csv")
    cal.add_argument("--out", required=True, metavar="PROFILE", help="where to write the fitted profile (JSON)")
    cal.add_argument("--profile", metavar="NAME|FILE", help="profile to refit (default: the one the scan used)")
    cal.add_argument("--holdout", type=float, default=0.5, metavar="F", help="fraction of photos held out to measure before/after (default: 0.5; 0 fits on all)")
    cal.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the train/held-out split (default: 0)")
    cal.add_argument(
        "--method",
        choices=("platt", "isotonic", "none"),
        default="platt",
        help="calibration map (default: platt); 'none' writes no map, so confidences stay posteriors at the "
        "profile's prior rather than taking on the labelled set's base rate",
    )
    cal.add_argument("--cue-method", choices=("pav", "kde"), default="pav", help="per-cue LR estimate: isotonic blocks or kernel densities (default: pav)")
    cal.add_argument("--refit", dest="select", action="store_false",
                     help="always refit the cue LRs and the map (default: keep the profile, refit only its map, or refit "
                          "everything, whichever has the lowest cross-validated log-loss on the training split)")
    cal.add_argument("--pseudo-count", type=float, default=1.0, metavar="A", help="regularising pseudo-count (default: 1)")
    cal.add_argument("--bandwidth", type=float, default=0.1, metavar="H", help="kernel width on the cue score (default: 0.1)")
    cal.add_argument("--min-per-class", type=int, default=MIN_PER_CLASS, metavar="N", help=f"refuse with fewer training photos of a class (default: {MIN_PER_CLASS})")
    cal.add_argument("--bins", type=int, default=10, metavar="N", help="bins of the ECE (default: 10)")
    cal.add_argument("--images", metavar="DIR", help="folder the records' image paths are relative to, if not the current one (for duplicate hashing)")
    cal.add_argument("--hash-distance", type=int, default=DEFAULT_MAX_HASH_DISTANCE, metavar="BITS", help="near-duplicate hash distance (default: %(default)s)")
    cal.add_argument("--no-dedupe", dest="dedupe", action="store_false", help="count every photo, even near-duplicates")
    cal.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..calibrate import CalibrationError, calibrate
    from .eval import load_inputs

    if not 0 <= args.holdout < 1:
        parser.error(f"--holdout must be in [0, 1), got {args.holdout}")
    if args.pseudo_count <= 0 or args.bandwidth <= 0:
        parser.error("--pseudo-count and --bandwidth must be > 0")
    if args.bins < 1 or args.min_per_class < 1:
        parser.error("--bins and --min-per-class must be >= 1")
    records, labels = load_inputs(args, parser)
    try:
        result = calibrate(
            records, labels, profile=args.profile, holdout=args.holdout, seed=args.seed, method=args.method,
            cue_method=args.cue_method, pseudo_count=args.pseudo_count, bandwidth=args.bandwidth,
            min_per_class=args.min_per_class, n_bins=args.bins, select=args.select, dedupe=args.dedupe,
            max_hash_distance=args.hash_distance, image_root=args.images,
        )
    except CalibrationError as exc:
        print(f"vision calibrate: refusing to fit: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        parser.error(str(exc))
    path = result.write(args.out)
    print(result.summary(), file=sys.stderr)
    print(f"vision: profile written to {path}; use it with `vision scan --profile {path}`", file=sys.stderr)
    return 0
