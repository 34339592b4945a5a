"""``python -m cli check project.gpkg``: print the hierarchy/topology report, optionally write it."""
from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.files import atomic_path, write_atomic
from geo.messages import t
from geo.outputs import guard_output
from geo.project import load_project
from geo.validate import (
    DEFAULT_TOLERANCE_M2, check_project, finding_text, has_errors, report_csv_bytes, summary_counts,
)

NAME = "check"
HELP = "check.help"
DEFAULT_LIMIT = 50


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Arguments of ``check``."""
    parser.add_argument("project", help=t("check.arg.project", lang))
    parser.add_argument("--report", metavar="FILE.csv", help=t("check.arg.report", lang))
    parser.add_argument("--spots", metavar="FILE.gpkg", help=t("check.arg.spots", lang))
    parser.add_argument("--tolerance-m2", type=float, default=DEFAULT_TOLERANCE_M2,
                        help=t("import.arg.tolerance", lang, default=DEFAULT_TOLERANCE_M2))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=t("check.arg.limit", lang, default=DEFAULT_LIMIT))


def write_spots_atomic(findings: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write the findings that have a location as a GIS layer (GeoPackage or GeoJSON), atomically."""
    path = Path(path)
    spots = findings[findings.geometry.notna() & ~findings.geometry.is_empty].copy()
    driver = "GeoJSON" if path.suffix.lower() in (".geojson", ".json") else "GPKG"
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(spots, tmp, layer="problem_spots", driver=driver)


def print_report(findings: pd.DataFrame, lang: str, *, limit: int = DEFAULT_LIMIT) -> None:
    """Print the summary line and up to ``limit`` localised findings."""
    print(t("check.summary", lang, **summary_counts(findings)))
    if not len(findings):
        print(t("check.clean", lang))
        return
    for _, row in findings.head(limit).iterrows():
        print(f"[{t('check.severity.' + row['severity'], lang)}] {finding_text(row, lang)}")
    if len(findings) > limit:
        print(t("check.more", lang, n=len(findings) - limit))


def write_outputs(findings: gpd.GeoDataFrame, args: argparse.Namespace, lang: str) -> None:
    """Write ``--report`` (CSV) and ``--spots`` (GIS layer) when asked."""
    if getattr(args, "report", None):
        write_atomic(args.report, report_csv_bytes(findings, lang))
        print(t("check.report_written", lang, file=args.report))
    if getattr(args, "spots", None):
        write_spots_atomic(findings, args.spots)
        print(t("check.spots_written", lang, file=args.spots))


def run(args: argparse.Namespace, lang: str) -> int:
    """Check the project; exit 1 when the report has errors, 0 otherwise."""
    if args.report:
        guard_output(args.report, command=NAME, others=(args.project, args.spots))
    if args.spots:
        guard_output(args.spots, command=NAME, others=(args.project,))
    project = load_project(args.project)
    findings = check_project(project, tolerance_m2=args.tolerance_m2)
    print_report(findings, lang, limit=args.limit)
    write_outputs(findings, args, lang)
    return 1 if has_errors(findings) else 0
