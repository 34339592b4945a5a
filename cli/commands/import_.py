"""``python -m cli import``: build a project file from the planner's files (or update one), then check it."""
from __future__ import annotations

import argparse
from pathlib import Path

from cli.commands.check import DEFAULT_LIMIT, print_report, write_outputs
from cli.progress import progress_bar
from geo import schema as s
from geo.buildings import buildings_table
from geo.errors import GeoInputError
from geo.idcard import new_salt
from geo.io import POLYGON_LAYERS, LoadedLayer, load_layer
from geo.messages import t
from geo.govprojects import read_projects
from geo.organisations import ORGANISATIONS, organisations_table, read_organisations
from geo.selfgov import read_selfgov, selfgov_table
from geo.outputs import OutputRefusedError, guard_output, is_project_file, keep_backup
from geo.project import Project, load_project, save_project
from geo.progress import Progress, report
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
    parser.add_argument("--replace", action="store_true", help=t("output.arg.replace", lang))
    parser.add_argument("--update", nargs="+", metavar="LAYER",
                        choices=[*(layer for layer, _ in LAYER_OPTIONS), s.GOV_PROJECTS, s.SELFGOV],
                        help=t("import.arg.update", lang))
    parser.add_argument("--roster", metavar="花名册.xlsx", help=t("import.arg.roster", lang))
    parser.add_argument("--roster-sheet", metavar="NAME", help=t("import.arg.roster_sheet", lang))
    parser.add_argument("--organisations", metavar="组织.xlsx", help=t("import.arg.organisations", lang))
    parser.add_argument("--projects", metavar="项目.xlsx|.gpkg", help=t("import.arg.projects", lang))
    parser.add_argument("--projects-crs", metavar="CRS", help=t("import.arg.projects_crs", lang))
    parser.add_argument("--selfgov", metavar="自治组织.xlsx", help=t("import.arg.selfgov", lang))
    parser.add_argument("--keep-id-numbers", action="store_true", help=t("import.arg.keep_id_numbers", lang))
    parser.add_argument("--tolerance-m2", type=float, default=DEFAULT_TOLERANCE_M2,
                        help=t("import.arg.tolerance", lang, default=DEFAULT_TOLERANCE_M2))
    parser.add_argument("--report", metavar="FILE.csv", help=t("check.arg.report", lang))
    parser.add_argument("--spots", metavar="FILE.gpkg", help=t("check.arg.spots", lang))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=t("check.arg.limit", lang, default=DEFAULT_LIMIT))


def _option(args: argparse.Namespace, stem: str, suffix: str = "") -> str | None:
    return getattr(args, (stem + suffix).replace("-", "_"), None)


def load_all(args: argparse.Namespace, *, existing: Project | None = None,
             progress: Progress | None = None) -> dict[str, LoadedLayer]:
    """Load every file given on the command line (raises on the first unusable one).

    Points are checked against the project area (the existing project's, else the polygons
    loaded first); 身份证号 are hashed with the existing project's salt, else one new salt.
    """
    mapping = parse_mapping_args(args.map)
    loaded: dict[str, LoadedLayer] = {}
    salt = (existing.meta.get("id_salt") if existing else None) or new_salt()
    given = [(layer, stem) for layer, stem in LAYER_OPTIONS if _option(args, stem)]
    for i, (layer, stem) in enumerate(given):
        report(progress, "progress.import.read", i, len(given))
        path = _option(args, stem)
        known = {**(existing.layers if existing else {}), **{k: v.gdf for k, v in loaded.items()}}
        loaded[layer] = load_layer(path, layer, crs=_option(args, stem, "-crs") or args.crs, mapping=mapping,
                                   source_layer=_option(args, stem, "-layer"), encoding=args.encoding,
                                   repair=args.repair, id_salt=salt, keep_id_numbers=args.keep_id_numbers,
                                   area=area_of(known) if layer not in POLYGON_LAYERS else None)
    report(progress, "progress.import.read", len(given), len(given))
    if not loaded and not args.roster and not args.organisations and not args.projects and not args.selfgov:
        msg = "no input files"
        raise GeoInputError(msg, code="import.no_inputs")
    return loaded


def check_outputs(args: argparse.Namespace) -> Path:
    """The ``--out`` path, after refusing every output that would clobber something (exit 2, nothing written).

    An existing ``--out`` is replaced only with ``--replace`` and updated only with ``--update
    LAYER...``; ``--update`` needs an existing project. ``--report``/``--spots`` must not name
    ``--out``, each other, an input file, or any project.
    """
    out = Path(args.out)
    if args.update and args.replace:
        msg = "--update and --replace exclude each other"
        raise OutputRefusedError(msg, code="import.update_or_replace", file=str(out))
    if args.update and not is_project_file(out):
        msg = f"--update needs an existing project at {out}"
        raise OutputRefusedError(msg, code="import.update_needs_project", file=str(out))
    if out.exists() and not args.replace and not args.update:
        if is_project_file(out):
            msg = f"{out} is already a GridAtlas project"
            raise OutputRefusedError(msg, code="import.exists_project", file=str(out), stem=out.stem)
        msg = f"{out} exists and is not a GridAtlas project"
        raise OutputRefusedError(msg, code="import.exists", file=str(out))
    inputs = (*(_option(args, stem) for _, stem in LAYER_OPTIONS), args.roster, args.organisations, args.projects,
              args.selfgov)
    if args.report:
        guard_output(args.report, command=NAME, others=(out, args.spots, *inputs))
    if args.spots:
        guard_output(args.spots, command=NAME, others=(out, *inputs))
    return out


def _print_inferred(report: UpdateReport, lang: str) -> None:
    for what, n in report.inferred_counts().items():
        print(t("import.inferred_parents", lang, n=n, what=what))


def _import(existing: Project | None, loaded: dict[str, LoadedLayer], args: argparse.Namespace,
            lang: str) -> Project:
    """A new project, or ``existing`` with the layers named by ``--update`` replaced; print notes and the diff."""
    if existing is not None:
        given = set(loaded) | ({s.VOLUNTEERS} if args.roster else set()) | (
            {s.GOV_PROJECTS} if args.projects else set()) | ({s.SELFGOV} if args.selfgov else set())
        if set(args.update) != given:
            msg = f"--update {args.update} must name exactly the layers given {sorted(given)}"
            raise GeoInputError(msg, code="import.update_mismatch", named=sorted(args.update), given=sorted(given))
        if not loaded:
            return existing
    project, report = import_layers(existing, loaded)
    _print_findings(report.findings, lang)
    if existing is not None:
        print_update_report(report, lang)
    else:
        _print_inferred(report, lang)
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
    _print_inferred(report, lang)


def _print_findings(rows: list[dict], lang: str) -> None:
    for row in rows:
        print(f"  [{t('check.severity.' + row['severity'], lang)}] {finding_text(row, lang)}")


def _with_roster(project: Project, args: argparse.Namespace, lang: str) -> Project:
    """Place the people of ``--roster`` (no coordinates) in the project's grids; print what did not fit."""
    roster = read_roster(args.roster, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES),
                         sheet=args.roster_sheet, mapping=parse_mapping_args(args.map),
                         id_salt=project.meta.get("id_salt"), keep_id_numbers=args.keep_id_numbers,
                         scenario=project.active_scenario)
    print(t("import.roster.summary", lang, file=roster.file, n=len(roster.volunteers),
            matched=len(roster.rows("matched")), unmatched=len(roster.rows("unmatched")),
            ambiguous=len(roster.rows("ambiguous"))))
    _print_findings(roster.findings, lang)
    project, report = apply_roster(project, roster)
    print_update_report(report, lang)
    return project


def _with_organisations(project: Project, args: argparse.Namespace, lang: str) -> Project:
    """Keep the organisations sheet as table ``organisations``, grids served resolved to codes."""
    result = read_organisations(args.organisations, grids=project.layer(s.GRIDS),
                                communities=project.layer(s.COMMUNITIES), buildings=buildings_table(project))
    print(t("import.organisations.summary", lang, file=Path(args.organisations).name, n=len(result.table)))
    _print_findings(result.findings, lang)
    return project.with_table(ORGANISATIONS, organisations_table(result))


def _with_governance(project: Project, args: argparse.Namespace, lang: str) -> Project:
    """Keep governance projects (layer ``gov_projects``) and self-governance rows (table ``selfgov``)."""
    if args.projects:
        gdf, findings = read_projects(args.projects, project=project, crs=args.projects_crs or args.crs)
        print(t("import.projects.summary", lang, file=Path(args.projects).name, n=len(gdf)))
        _print_findings(findings, lang)
        project = project.with_layer(s.GOV_PROJECTS, gdf)
    if args.selfgov:
        result = read_selfgov(args.selfgov, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES))
        print(t("import.selfgov.summary", lang, file=Path(args.selfgov).name, n=len(result.table)))
        _print_findings(result.findings, lang)
        project = project.with_table(s.SELFGOV, selfgov_table(result))
    return project


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
        _print_findings(notes, lang)


def run(args: argparse.Namespace, lang: str) -> int:
    """Import (or update with ``--update``), save the project atomically, print the check; exit 1 on errors."""
    out = check_outputs(args)
    existing = load_project(out) if args.update else None
    progress = progress_bar(lang)
    loaded = load_all(args, existing=existing, progress=progress)
    print_loaded(loaded, lang)
    project = _import(existing, loaded, args, lang)
    if args.roster:
        project = _with_roster(project, args, lang)
    if args.organisations:
        project = _with_organisations(project, args, lang)
    project = _with_governance(project, args, lang)
    files = {layer: item.file for layer, item in loaded.items()}
    report(progress, "progress.import.check", 0, 1)
    findings = check_layers(project.layers, files=files, tolerance_m2=args.tolerance_m2)
    report(progress, "progress.import.check", 1, 1)
    backup = keep_backup(out) if args.replace else None
    report(progress, "progress.import.save", 0, 1)
    saved = save_project(project, out, expected_revision=existing.revision if existing is not None else None)
    report(progress, "progress.import.save", 1, 1)
    print(t("import.saved", lang, file=str(out), revision=saved.revision))
    if backup:
        print(t("output.backup", lang, file=str(backup)))
    print_report(findings, lang, limit=args.limit)
    write_outputs(findings, args, lang)
    return 1 if has_errors(findings) else 0
