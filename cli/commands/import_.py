"""``python -m cli import``: build a project file from the planner's files, then check it."""
from __future__ import annotations

import argparse
from pathlib import Path

from cli.commands.check import DEFAULT_LIMIT, print_report, write_outputs
from geo import schema as s
from geo.errors import GeoInputError
from geo.io import LoadedLayer, build_project, load_layer
from geo.messages import t
from geo.outputs import OutputRefusedError, guard_output, is_project_file, keep_backup
from geo.project import save_project
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
    parser.add_argument("--tolerance-m2", type=float, default=DEFAULT_TOLERANCE_M2,
                        help=t("import.arg.tolerance", lang, default=DEFAULT_TOLERANCE_M2))
    parser.add_argument("--report", metavar="FILE.csv", help=t("check.arg.report", lang))
    parser.add_argument("--spots", metavar="FILE.gpkg", help=t("check.arg.spots", lang))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=t("check.arg.limit", lang, default=DEFAULT_LIMIT))


def _option(args: argparse.Namespace, stem: str, suffix: str = "") -> str | None:
    return getattr(args, (stem + suffix).replace("-", "_"), None)


def load_all(args: argparse.Namespace) -> dict[str, LoadedLayer]:
    """Load every file given on the command line (raises on the first unusable one)."""
    mapping = parse_mapping_args(args.map)
    loaded: dict[str, LoadedLayer] = {}
    for layer, stem in LAYER_OPTIONS:
        path = _option(args, stem)
        if not path:
            continue
        loaded[layer] = load_layer(path, layer, crs=_option(args, stem, "-crs") or args.crs, mapping=mapping,
                                   source_layer=_option(args, stem, "-layer"), encoding=args.encoding,
                                   repair=args.repair)
    if not loaded:
        msg = "no input files"
        raise GeoInputError(msg, code="import.no_inputs")
    return loaded


def check_outputs(args: argparse.Namespace) -> Path:
    """The ``--out`` path, after refusing every output that would clobber something (exit 2, nothing written).

    An existing ``--out`` (project or not) is replaced only with ``--replace``; adding a layer to an
    existing project is a different operation. ``--report``/``--spots`` must not name ``--out``,
    each other, an input file, or any project.
    """
    out = Path(args.out)
    if out.exists() and not args.replace:
        if is_project_file(out):
            msg = f"{out} is already a GridAtlas project"
            raise OutputRefusedError(msg, code="import.exists_project", file=str(out), stem=out.stem)
        msg = f"{out} exists and is not a GridAtlas project"
        raise OutputRefusedError(msg, code="import.exists", file=str(out))
    inputs = tuple(_option(args, stem) for _, stem in LAYER_OPTIONS)
    if args.report:
        guard_output(args.report, command=NAME, others=(out, args.spots, *inputs))
    if args.spots:
        guard_output(args.spots, command=NAME, others=(out, *inputs))
    return out


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


def run(args: argparse.Namespace, lang: str) -> int:
    """Import, save the project atomically, print the check; exit 1 when the check finds errors."""
    out = check_outputs(args)
    loaded = load_all(args)
    print_loaded(loaded, lang)
    project = build_project(loaded)
    files = {layer: item.file for layer, item in loaded.items()}
    findings = check_layers(project.layers, files=files, tolerance_m2=args.tolerance_m2)
    backup = keep_backup(out) if args.replace else None
    saved = save_project(project, out)
    print(t("import.saved", lang, file=str(out), revision=saved.revision))
    if backup:
        print(t("output.backup", lang, file=str(backup)))
    print_report(findings, lang, limit=args.limit)
    write_outputs(findings, args, lang)
    return 1 if has_errors(findings) else 0
