"""The ``flashsac`` console entry point: dispatch to subcommands, turn known errors into one-line messages."""

from __future__ import annotations

import sys

from flashsac.checkpoint import CheckpointError
from flashsac.config.validate import ConfigError
from flashsac.envs.registry import MissingSimulatorError, UnknownTaskError

__all__ = ["main"]

USAGE = """usage: flashsac <command> [args]

commands:
  train [key=value ...]   train FlashSAC (flashsac train --help for the keys and examples)
"""


def main(argv: list[str] | None = None) -> int:
    """Run the ``flashsac`` command line; returns the exit code (2 for a configuration problem)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "train":
            from flashsac.cli.train import TRAIN_HELP, run_train

            if "-h" in rest or "--help" in rest:
                print(TRAIN_HELP)
                return 0
            dry_run = "--dry-run" in rest
            return run_train([a for a in rest if a != "--dry-run"], dry_run=dry_run)
        print(f"flashsac: unknown command {command!r}.\n{USAGE}", file=sys.stderr)
        return 2
    except (ConfigError, UnknownTaskError, MissingSimulatorError, CheckpointError) as err:
        print(f"flashsac: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
