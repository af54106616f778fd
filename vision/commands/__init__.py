"""Subcommands of the ``vision`` command line, one module each.

Each module defines ``register(subparsers)``, which adds its parser and sets
``func=run`` where ``run(args, parser) -> int`` returns the exit status. Adding a
subcommand means one module here and one name in :data:`COMMANDS`.
"""

COMMANDS: tuple[str, ...] = ("scan", "review", "annotate", "export", "import_", "eval", "calibrate", "robustness", "query")  # module names: import_ is `vision import`
