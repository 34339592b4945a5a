"""``python -m cli``: the command line. Subcommands live in ``cli/commands/<name>.py``.

Each command module defines ``NAME`` (the subcommand), ``HELP`` (a catalogue key),
``add_arguments(parser, lang)`` and ``run(args, lang) -> int``.

Exit codes mean one thing each: 0 ok; 1 ran and found problems (the command's own verdict);
2 bad input or refused (``GeoInputError``, an unreadable/unwritable path, a usage error), with
the catalogue message; 3 internal error, with one line naming a log file that holds the
traceback; 130 interrupted (Ctrl-C, or SIGTERM, which runs ``finally`` clean-ups). Never a
traceback on screen.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cli import commands
from geo.errors import GeoInputError, GeoWarning
from geo.messages import LANGS, error_text, t
from geo.values import file_stamp

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


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
    parser = argparse.ArgumentParser(prog="python -m cli", description=t("cli.description", lang),
                                     epilog=t("cli.exit_codes", lang))
    parser.add_argument("--lang", choices=LANGS, default=lang, help=t("cli.lang", lang))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=t(module.HELP, lang), description=t(module.HELP, lang),
                             epilog=t("cli.exit_codes", lang))
        module.add_arguments(cmd, lang)
        cmd.set_defaults(_run=module.run)
    return parser


def log_dir() -> Path:
    """Where internal-error logs go: ``$GRIDATLAS_LOG_DIR``, else ``$XDG_STATE_HOME/gridatlas``
    (``~/.local/state/gridatlas``), else the system temp folder."""
    if os.environ.get("GRIDATLAS_LOG_DIR"):
        return Path(os.environ["GRIDATLAS_LOG_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "gridatlas"


def write_crash_log(exc: BaseException, argv: Sequence[str]) -> Path:
    """Write the traceback of ``exc`` (and the command line) to a new log file; return its path."""
    text = "python -m cli " + " ".join(argv) + "\n\n" + "".join(traceback.format_exception(exc))
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "gridatlas"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"cli-{file_stamp()}-{os.getpid()}-{threading.get_ident()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path(os.devnull)


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `finally` blocks (temp-file clean-up) run on SIGTERM too


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from(argv)
    parser = build_parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return EXIT_OK if exc.code in (0, None) else EXIT_REFUSED
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_REFUSED
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt) if on_main_thread else None
    try:
        return _run(args, argv)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the chosen command, turning every way out into one of the exit codes."""
    try:
        with _notes_in_words(args.lang):
            return int(args._run(args, args.lang))
    except GeoInputError as exc:
        print(t("cli.error_prefix", args.lang) + error_text(exc, args.lang, front="cli"), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None:
            return _internal(exc, argv, args.lang)
        text = t("cli.os_error", args.lang, file=exc.filename, reason=exc.strerror or type(exc).__name__)
        print(t("cli.error_prefix", args.lang) + text, file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 - the last resort: a log file, never a traceback on screen
        return _internal(exc, argv, args.lang)


@contextmanager
def _notes_in_words(lang: str) -> Iterator[None]:
    """Show a ``GeoWarning`` (e.g. characters removed from an export) as a catalogue note on stderr,
    never as Python's ``file:line: UserWarning`` form; other warnings are shown as usual."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 - warnings' hook
        if isinstance(message, GeoWarning):
            print(t("cli.note_prefix", lang) + error_text(message, lang, front="cli"), file=sys.stderr)
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original


def _internal(exc: BaseException, argv: Sequence[str], lang: str) -> int:
    log = write_crash_log(exc, argv)
    first_line = (str(exc).splitlines() or [""])[0]
    error = f"{type(exc).__name__}: {first_line}"[:200] if first_line else type(exc).__name__
    print(t("cli.error_prefix", lang) + t("cli.internal_error", lang, error=error, log=str(log)),
          file=sys.stderr)
    return EXIT_INTERNAL
