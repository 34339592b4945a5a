"""``python -m cli export``: write assignment tables, GIS files or rosters; ``--apply`` imports an edited export.

Examples::

    python -m cli export build/demo.gpkg --format xlsx --out build/
    python -m cli export build/demo.gpkg --format shp --level micro --crs EPSG:4544 --out build/
    python -m cli export build/demo.gpkg --format roster --out build/roster.md
    python -m cli export build/demo.gpkg --table buildings --format xlsx --out build/   # per-building roster
    python -m cli export build/demo.gpkg --table escalation --format csv --out build/   # chain, one row per grid
    python -m cli export build/demo.gpkg --apply edited.xlsx          # preview only
    python -m cli export build/demo.gpkg --apply edited.xlsx --yes    # write manual assignments
"""
from __future__ import annotations

import argparse
import warnings
import getpass
from pathlib import Path

from cli.progress import progress_bar
from geo import export_tables as tab
from geo.errors import ExportError, GeoInputError
from geo.export import FORMATS, ROSTER_FORMS, TABLES, ExportOptions, export_bytes
from geo.export_formats import ENCODINGS
from geo.files import write_atomic
from geo.messages import t
from geo.outputs import guard_output
from geo.project import load_project, save_project
from geo.roster import ROSTER_BY
from geo.roundtrip import apply_diff, diff_assignments, preview_lines, read_edited_table

NAME = "export"
HELP = "export.cli.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Options of ``python -m cli export``."""
    parser.add_argument("project", help=t("export.cli.project", lang))
    parser.add_argument("--lang", choices=("zh", "en"), default=lang, help=t("cli.lang", lang))
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="xlsx", help=t("export.cli.format", lang))
    parser.add_argument("--table", choices=TABLES, default="main", help=t("export.cli.table", lang))
    parser.add_argument("--level", choices=tab.EXPORT_LEVELS, default=None, help=t("export.cli.level", lang))
    parser.add_argument("--crs", default=None, help=t("export.cli.crs", lang))
    parser.add_argument("--include-personal", action="store_true", help=t("export.cli.personal", lang))
    parser.add_argument("--mask-names", action="store_true", help=t("export.cli.mask_names", lang))
    parser.add_argument("--encoding", choices=ENCODINGS, default="utf-8-sig", help=t("export.cli.encoding", lang))
    parser.add_argument("--by", choices=ROSTER_BY, default="grid", help=t("export.cli.by", lang))
    parser.add_argument("--scenario", default=None, help=t("export.cli.scenario", lang))
    parser.add_argument("--user", default=None, help=t("export.cli.user", lang))
    parser.add_argument("--out", default=None, help=t("export.cli.out", lang))
    parser.add_argument("--apply", default=None, metavar="EDITED", help=t("export.cli.apply", lang))
    parser.add_argument("--yes", action="store_true", help=t("export.cli.yes", lang))


def _user(args: argparse.Namespace) -> str:
    if args.user:
        return args.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _roster_form(out: Path) -> str:
    suffix = out.suffix.lower().lstrip(".")
    return suffix if suffix in ROSTER_FORMS else "md"


def run(args: argparse.Namespace, lang: str) -> int:
    """Export (exit 0), or preview (exit 1 when changes are pending) / apply (exit 0) an edited file."""
    project = load_project(args.project)
    if args.apply:
        return _apply(args, project, lang)
    if not args.out:
        msg = "--out is required"
        raise ExportError(msg, code="export.need_out")
    out = guard_output(args.out, command=NAME, others=(args.project,))
    options = ExportOptions(fmt=args.fmt, level=args.level, lang=lang, crs=args.crs,
                            include_personal=args.include_personal, mask_names=args.mask_names,
                            encoding=args.encoding, scenario=args.scenario,
                            user=_user(args),
                            roster_by=args.by, roster_form=_roster_form(out), table=args.table)
    result = export_bytes(project, options, progress=progress_bar(lang))
    if out.is_dir():
        target = out / result.filename
    else:  # `--out roster` gets the format's extension: `roster.md`
        target = out if out.suffix else out.with_suffix(Path(result.filename).suffix)
    guard_output(target, command=NAME, others=(args.project,))
    if result.audited:  # log first: no personal data leaves unless the audit row is saved
        save_project(result.project, args.project, expected_revision=project.revision)
        print(t("export.cli.audit", lang))
    path = write_atomic(target, result.data)
    for note in result.notes:  # e.g. control characters removed from cells
        warnings.warn(note, stacklevel=1)
    print(t("export.cli.written", lang, file=str(path)))
    return 0


def _apply(args: argparse.Namespace, project, lang: str) -> int:
    edited_path = Path(args.apply)
    if not edited_path.is_file():
        msg = f"{edited_path} not found"
        raise GeoInputError(msg, code="file_not_found", file=str(edited_path))
    edited = read_edited_table(edited_path.read_bytes(), filename=edited_path.name)
    diff = diff_assignments(project, edited, scenario=args.scenario)
    for line in preview_lines(diff, lang):
        print(line)
    if diff.problems:
        apply_diff(project, diff, file=edited_path.name)  # raises export.roundtrip_problems: exit 2
    if diff.is_empty:
        return 0
    if not args.yes:
        print(t("export.diff.apply_hint", lang))
        return 1
    updated = apply_diff(project, diff, user=_user(args), file=edited_path.name)
    saved = save_project(updated, args.project, expected_revision=project.revision)
    print(t("export.diff.applied", lang, n=diff.n_changes, file=args.project, revision=saved.revision))
    return 0
