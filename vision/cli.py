"""Command line: ``vision COMMAND ...`` (see ``vision --help``); subcommands live in
:mod:`vision.commands`, one module each."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from . import __version__
from .commands import COMMANDS

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vision",
        description="Identify military equipment in photos from visual cues, with checkable evidence.",
    )
    parser.add_argument("--version", action="version", version=f"vision {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vision.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits with 2 on usage errors)."""
    if hasattr(signal, "SIGPIPE"):
        # `vision query DIR --json | head`: end quietly when the reader goes away.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args, parser))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
