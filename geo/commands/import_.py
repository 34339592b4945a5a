"""``python -m geo import``: build a project file from the planner's files, then check it."""
from __future__ import annotations

import argparse
from pathlib import Path

from geo import schema as s
from geo.commands.check import DEFAULT_LIMIT, print_report, write_outputs
from geo.errors import GeoInputError, ProjectFileError
from geo.edits import now_iso
from geo.files import write_atomic
from geo.idcard import new_salt
from geo.io import POLYGON_LAYERS, LoadedLayer, load_layer
from geo.messages import t
from geo.project import Project, load_project, save_project
from geo.organisations import ORGANISATIONS, read_organisations
from geo.project_update import UpdateReport, apply_roster, import_layers
from geo.roster_import import read_roster
from geo.sanity import area_of
from geo.tables import parse_mapping_args
from geo.validate import DEFAULT_TOLERANCE_M2, check_layers, finding_text, has_errors

NAME = "import"
HELP = "import.help"

# (layer, option stem) in import order: parents before children
LAYER_OPTIONS = (
    (s.TOWNS, "towns"), (s.COMMUNITIES, "communities"), (s.GRIDS, "grids"), (s.HOUSEHOLDS, "households"),
    (s.VOLUNTEERS, "volunteers"), (s.SERVICE_POINTS, "service-points"),
)


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Arguments of ``import``: one file option per layer, each with its own CRS and layer choice."""
    for layer, stem in LAYER_OPTIONS:
        parser.add_argument(f"--{stem}", metavar="FILE", help=t("import.arg.file", lang, layer=layer))
        parser.add_argument(f"--{stem}-crs", metavar="CRS", help=t("import.arg.layer_crs", lang, layer=layer))
        parser.add_argument(f"--{stem}-layer", metavar="NAME",
                            help=t("import.arg.source_layer", lang, layer=layer))
    parser.add_argument("--crs", metavar="CRS", help=t("import.arg.crs", lang))
    parser.add_argument("--map", action="append", metavar="原列名=name", help=t("import.arg.map", lang))
    parser.add_argument("--encoding", help=t("import.arg.encoding", lang))
    parser.add_argument("--repair", action="store_true", help=t("import.arg.repair", lang))
    parser.add_argument("--out", required=True, metavar="project.gpkg", help=t("import.arg.out", lang))
    parser.add_argument("--update", nargs="+", metavar="LAYER", choices=[layer for layer, _ in LAYER_OPTIONS],
                        help=t("import.arg.update", lang))
    parser.add_argument("--replace", action="store_true", help=t("import.arg.replace", lang))
    parser.add_argument("--roster", metavar="花名册.xlsx", help=t("import.arg.roster", lang))
    parser.add_argument("--roster-sheet", metavar="NAME", help=t("import.arg.roster_sheet", lang))
    parser.add_argument("--organisations", metavar="组织.xlsx", help=t("import.arg.organisations", lang))
    parser.add_argument("--keep-id-numbers", action="store_true", help=t("import.arg.keep_id_numbers", lang))
    parser.add_argument("--tolerance-m2", type=float, default=DEFAULT_TOLERANCE_M2,
                        help=t("import.arg.tolerance", lang, default=DEFAULT_TOLERANCE_M2))
    parser.add_argument("--report", metavar="FILE.csv", help=t("check.arg.report", lang))
    parser.add_argument("--spots", metavar="FILE.gpkg", help=t("check.arg.spots", lang))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=t("check.arg.limit", lang, default=DEFAULT_LIMIT))


def _option(args: argparse.Namespace, stem: str, suffix: str = "") -> str | None:
    return getattr(args, (stem + suffix).replace("-", "_"), None)


def load_all(args: argparse.Namespace, *, existing: Project | None = None) -> dict[str, LoadedLayer]:
    """Load every file given on the command line (raises on the first unusable one).

    Points are checked against the project area (the existing project's, else the polygons
    loaded first); 身份证号 are hashed with the existing project's salt, else one new salt.
    """
    mapping = parse_mapping_args(args.map)
    loaded: dict[str, LoadedLayer] = {}
    salt = (existing.meta.get("id_salt") if existing else None) or new_salt()
    for layer, stem in LAYER_OPTIONS:
        path = _option(args, stem)
        if not path:
            continue
        known = {**(existing.layers if existing else {}), **{k: v.gdf for k, v in loaded.items()}}
        loaded[layer] = load_layer(path, layer, crs=_option(args, stem, "-crs") or args.crs, mapping=mapping,
                                   source_layer=_option(args, stem, "-layer"), encoding=args.encoding,
                                   repair=args.repair, id_salt=salt, keep_id_numbers=args.keep_id_numbers,
                                   area=area_of(known) if layer not in POLYGON_LAYERS else None)
    if not loaded and not getattr(args, "roster", None) and not getattr(args, "organisations", None):
        msg = "no input files"
        raise GeoInputError(msg, code="import.no_inputs")
    return loaded


def _refuse_foreign_output(out: Path) -> None:
    if not out.exists():
        return
    try:
        load_project(out)
    except ProjectFileError as exc:
        msg = f"{out} exists and is not a GridAtlas project"
        raise GeoInputError(msg, code="import.exists", file=str(out)) from exc


def build_project(loaded: dict[str, LoadedLayer], lang: str = "zh") -> Project:
    """A new project holding the loaded layers (``geo.project_update.import_layers``: names, parents, sources)."""
    now = now_iso()
    project, report = import_layers(None, loaded, now=now)
    for what, n in report.inferred_counts().items():
        print(t("import.inferred_parents", lang, n=n, what=what))
    return project.with_meta(imported_at=now)


def _existing_project(out: Path, args: argparse.Namespace) -> Project | None:
    """The project already at ``out``, when the user said how to treat it (``--update``/``--replace``)."""
    if not out.exists():
        return None
    project = load_project(out)
    if not args.update and not args.replace:
        msg = f"{out} is a project; say --update LAYER... or --replace"
        raise GeoInputError(msg, code="import.project_exists", file=str(out), layers=sorted(project.layers),
                            revision=project.revision)
    return project


def _update(existing: Project, loaded: dict[str, LoadedLayer], args: argparse.Namespace, lang: str) -> Project:
    """Replace the layers named by ``--update`` in ``existing``; print the diff (not saved)."""
    given = set(loaded) | ({s.VOLUNTEERS} if args.roster else set())
    if set(args.update) != given:
        msg = f"--update {args.update} must name exactly the layers given {sorted(loaded)}"
        raise GeoInputError(msg, code="import.update_mismatch", named=sorted(args.update), given=sorted(given))
    if not loaded:
        return existing
    project, report = import_layers(existing, loaded)
    print_update_report(report, lang)
    return project


def _with_roster(project: Project, args: argparse.Namespace, lang: str) -> Project:
    """Place the people of ``--roster`` (no coordinates) in the project's grids; print what did not fit."""
    roster = read_roster(args.roster, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES),
                         sheet=args.roster_sheet, mapping=parse_mapping_args(args.map),
                         id_salt=project.meta.get("id_salt"), keep_id_numbers=args.keep_id_numbers,
                         scenario=project.active_scenario)
    print(t("import.roster.summary", lang, file=roster.file, n=len(roster.volunteers),
            matched=len(roster.rows("matched")), unmatched=len(roster.rows("unmatched")),
            ambiguous=len(roster.rows("ambiguous"))))
    for row in roster.findings:
        print(f"  [{t('check.severity.' + row['severity'], lang)}] {finding_text(row, lang)}")
    project, report = apply_roster(project, roster)
    print_update_report(report, lang)
    return project


def print_update_report(report: UpdateReport, lang: str) -> None:
    """The diff per layer and the effect on assignments and coverage, one line each."""
    for layer, diff in report.diffs.items():
        print(t("import.update.layer", lang, layer=layer, **diff.counts()))
    if report.kept_layers or report.kept_tables:
        print(t("import.update.kept", lang, layers=report.kept_layers or ["—"], tables=report.kept_tables or ["—"]))
    for scenario, n in report.orphaned_assignments.items():
        print(t("import.update.orphaned", lang, scenario=scenario, n=n))
    if report.coverage_stale:
        print(t("import.update.coverage_stale", lang))
    for what, n in report.inferred_counts().items():
        print(t("import.inferred_parents", lang, n=n, what=what))


def print_loaded(loaded: dict[str, LoadedLayer], lang: str) -> None:
    """One summary line per imported layer, then the import notes."""
    print(t("import.reading", lang))
    for layer, item in loaded.items():
        enc = t("import.encoding_note", lang, encoding=item.encoding) if item.encoding else ""
        print(t("import.layer_summary", lang, layer=layer, n=len(item.gdf), file=item.file, fmt=item.fmt,
                crs=item.source_crs, encoding=enc))
    notes = [f for item in loaded.values() for f in item.findings]
    if notes:
        print(t("import.notes", lang))
        for row in notes:
            print(f"  [{t('check.severity.' + row['severity'], lang)}] {finding_text(row, lang)}")


def _with_organisations(project: Project, args: argparse.Namespace, lang: str) -> Project:
    """Keep the organisations sheet as table ``organisations``, grids served resolved to codes."""
    result = read_organisations(args.organisations, grids=project.layer(s.GRIDS),
                                communities=project.layer(s.COMMUNITIES))
    print(t("import.organisations.summary", lang, file=Path(args.organisations).name, n=len(result.table)))
    for row in result.findings:
        print(f"  [{t('check.severity.' + row['severity'], lang)}] {finding_text(row, lang)}")
    table = result.table.rename_axis("source_row").reset_index()
    return project.with_table(ORGANISATIONS, table)


def run(args: argparse.Namespace, lang: str) -> int:
    """Import, save the project atomically, print the check; exit 1 when the check finds errors."""
    out = Path(args.out)
    _refuse_foreign_output(out)
    existing = _existing_project(out, args)
    loaded = load_all(args, existing=existing if args.update else None)
    print_loaded(loaded, lang)
    updating = existing is not None and bool(args.update)
    if updating:
        project = _update(existing, loaded, args, lang)
    else:
        if existing is not None:  # --replace: the old file is kept beside the new one
            backup = out.with_name(f"{out.stem}.backup-r{existing.revision}{out.suffix}")
            write_atomic(backup, out.read_bytes())
            print(t("import.backup", lang, file=str(backup)))
        project = build_project(loaded, lang)
    if args.roster:
        project = _with_roster(project, args, lang)
    if args.organisations:
        project = _with_organisations(project, args, lang)
    saved = save_project(project, out, expected_revision=existing.revision if updating else None)
    files = {layer: item.file for layer, item in loaded.items()}
    findings = check_layers(saved.layers, files=files, tolerance_m2=args.tolerance_m2)
    print(t("import.saved", lang, file=str(out), revision=saved.revision))
    print_report(findings, lang, limit=args.limit)
    write_outputs(findings, args, lang)
    return 1 if has_errors(findings) else 0
