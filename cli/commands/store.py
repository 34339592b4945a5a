"""``python -m cli store copy SRC DST [--force]``: copy a whole project between a GeoPackage and PostGIS.

SRC and DST are each a ``.gpkg`` path or a ``postgresql://user@host/db?project=name`` URL (either
direction, or between two databases), with its sign-in accounts (``geo.accounts``). A project already at DST is never replaced unless
``--force`` (a replaced GeoPackage is kept as a ``.bak-<stamp>`` copy beside it, as the other
commands do). Exit codes: 0 copied, 2 refused or bad input, 3 internal error.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import GeoInputError
from geo.messages import t
from geo.outputs import guard_output, keep_backup, same_file
from geo.store import is_database_url, open_store

NAME = "store"
HELP = "cli.store.help"
COMMAND = "store copy"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """The ``copy`` sub-command and its arguments."""
    sub = parser.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    copy = sub.add_parser("copy", help=t("cli.store.copy.help", lang), description=t("cli.store.copy.help", lang),
                          epilog=t("cli.exit_codes", lang))
    copy.add_argument("src", metavar="SRC", help=t("cli.store.arg_src", lang))
    copy.add_argument("dst", metavar="DST", help=t("cli.store.arg_dst", lang))
    copy.add_argument("--force", action="store_true", help=t("cli.store.arg_force", lang))


def _same_place(src: str, dst: str) -> bool:
    if is_database_url(src) or is_database_url(dst):
        if not (is_database_url(src) and is_database_url(dst)):
            return False
        a, b = open_store(src), open_store(dst)
        return (a.location, getattr(a, "project_name", "")) == (b.location, getattr(b, "project_name", ""))
    return same_file(src, dst)


def run(args: argparse.Namespace, lang: str) -> int:
    """Copy the project at ``args.src`` to ``args.dst``; print what was copied."""
    source, target = open_store(args.src), open_store(args.dst)
    if _same_place(args.src, args.dst):
        msg = f"{source.location} is both source and destination"
        raise GeoInputError(msg, code="cli.store.same", src=source.location)
    if target.exists() and not args.force:
        msg = f"{target.location} already holds a project"
        raise GeoInputError(msg, code="cli.store.exists", src=source.location, dst=target.location)
    if not is_database_url(args.dst) and not args.force:
        guard_output(args.dst, command=COMMAND, others=(None if is_database_url(args.src) else args.src,))
    project = source.load()
    if args.force and target.exists():
        if is_database_url(args.dst):
            target.drop()
        else:
            keep_backup(args.dst)
            Path(args.dst).unlink()
    saved = target.save(project, user=f"store copy {source.location}")
    for account in source.read_accounts():  # sign-in accounts travel with the project (never as a layer)
        target.write_account(account)
    rows = sum(len(df) for df in [*saved.layers.values(), *saved.tables.values()])
    print(t("cli.store.copied", lang, src=source.location, dst=target.location, revision=saved.revision,
            layers=len(saved.layers), tables=len(saved.tables), rows=rows))
    return 0
