"""``vision robustness IMAGE --out DIR``: where a photo's cues and identification flip under damage."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    rob = subparsers.add_parser(
        "robustness",
        help="replay a photo through a degradation ladder (JPEG, downscale, blur, colour cast); plot where cues flip",
        description=(
            "Analyse IMAGE and copies of it degraded one way at a time: JPEG quality 90 to 20, downscale "
            "1 to 0.25, Gaussian blur sigma 0.5 to 4 px, a warm colour cast 0.05 to 0.3. Write "
            "DIR/robustness.json (every rung's cue states and scores, the identification, and the first "
            "level at which each flips) and DIR/robustness.png. Exit status: 0 done, 1 the image cannot "
            "be read, 2 usage error."
        ),
    )
    rob.add_argument("image", metavar="IMAGE", help="a photo")
    rob.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    rob.add_argument("--profile", default="toofan", metavar="NAME|FILE", help="identification profile (default: toofan)")
    rob.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    rob.set_defaults(func=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..evidence import load_profile
    from ..io import ImageLoadError, load_image
    from ..robustness import robustness_curve

    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    try:
        profile = load_profile(args.profile)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        loaded = load_image(args.image)
    except ImageLoadError as exc:
        print(f"vision robustness: {exc}", file=sys.stderr)
        return 1
    curve = robustness_curve(loaded.rgb, profile, name=str(args.image), jobs=args.jobs)
    paths = curve.write(args.out)
    print(curve.summary(), file=sys.stderr)
    print(f"vision: curve in {paths['json']} and {paths['plot']}", file=sys.stderr)
    return 0
