"""``python -m cli``: the command line. Subcommands live in ``cli/commands/<name>.py``.

Each command module defines ``NAME`` (the subcommand), ``HELP`` (a catalogue key),
``add_arguments(parser, lang)`` and ``run(args, lang) -> int``. Bad input
(``GeoInputError``) prints the catalogue message and exits 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from cli import commands
from geo.errors import GeoInputError
from geo.messages import LANGS, error_text, t


def _command_modules() -> list:
    mods = [importlib.import_module(f"{commands.__name__}.{m.name}")
            for m in pkgutil.iter_modules(commands.__path__)]
    return sorted(mods, key=lambda m: m.NAME)


def _lang_from(argv: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS:
            return arg.split("=", 1)[1]
    env = os.environ.get("GRIDATLAS_LANG", "zh")
    return env if env in LANGS else "zh"


def build_parser(lang: str) -> argparse.ArgumentParser:
    """The argument parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(prog="python -m cli", description=t("cli.description", lang))
    parser.add_argument("--lang", choices=LANGS, default=lang, help=t("cli.lang", lang))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=t(module.HELP, lang), description=t(module.HELP, lang))
        module.add_arguments(cmd, lang)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from(argv)
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args, args.lang))
    except GeoInputError as exc:
        print(t("cli.error_prefix", args.lang) + error_text(exc, args.lang), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
