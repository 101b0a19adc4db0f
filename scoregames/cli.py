"""The ``scoregames`` command line: one sub-command per capability.

Each sub-command lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their command runs, so
``scoregames list`` stays fast and needs no optional extra.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("scoregames.listing", "list env ids, HUD presets and each game's rule"),
    "play": ("scoregames.play", "play a game by hand in a window"),
    "replay": ("scoregames.replay", "re-run a recorded session and check its scores"),
    "human-scores": ("scoregames.human_scores", "summarise recordings into human reference scores"),
    "bench": ("scoregames.bench", "steps/s of every game, single and vector, beside ALE"),
    "diagnose": ("scoregames.diagnostics.cli", "run the diagnostic battery on a policy"),
    "quickstart": ("scoregames.quickstart", "the README demo: train, diagnose, print the verdict"),
    "experiment": ("scoregames.experiments.cli", "run a grid of games x displays x seeds"),
    "report": ("scoregames.experiments.report", "render an experiment's results as Markdown"),
}


def _load(command: str):  # type: ignore[no-untyped-def]
    module_name = COMMANDS[command][0]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless its help already names it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        empty = action.default is None or action.default is False or action.default in ("", [])
        if "default" in text or empty:
            return text
        return super()._get_help_string(action)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(prog="scoregames", description="scoregames command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_HelpFormatter)
        if name == command:
            module = _load(name)
            if module is not None:
                module.add_arguments(sub_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv)
    module = _load(args.command)
    if module is None:
        print(f"scoregames {args.command}: not available in this version", file=sys.stderr)
        return 2
    return int(module.run(args))


if __name__ == "__main__":
    sys.exit(main())
