"""``python -m cli coverage``: compute coverage, store it in the project, print a summary, export."""
from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from cli.progress import progress_bar
from geo import schema as s
from geo.distributed import check_scheduler, coverage_rollup_dask, service_reach_dask
from geo.coverage import category_masks, radii_from, rank_worst_grids, service_reach, with_coverage
from geo.hierarchy import grid_tree
from geo.rollup import CITY, coverage_rollup, unit_figures
from geo.rules import find_violations, over_capacity
from geo.staffing import staffing_by_grid
from geo.errors import GeoInputError
from geo.export_formats import to_csv_bytes, to_xlsx_bytes
from geo.files import write_atomic
from geo.messages import label, t
from geo.outputs import guard_output
from geo.project import Project, load_project, save_project

NAME = "coverage"
HELP = "coverage.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Options of the coverage command."""
    parser.add_argument("project", help=t("coverage.arg.project", lang))
    parser.add_argument("--radii", help=t("coverage.arg.radii", lang))
    parser.add_argument("--network", help=t("coverage.arg.network", lang))
    parser.add_argument("--corridor", type=float, default=None, help=t("coverage.arg.corridor", lang))
    parser.add_argument("--suggest", type=int, default=0, metavar="N", help=t("coverage.arg.suggest", lang))
    parser.add_argument("--category", help=t("coverage.arg.category", lang))
    parser.add_argument("--radius", type=float, default=None, help=t("coverage.arg.radius", lang))
    parser.add_argument("--csv", help=t("coverage.arg.csv", lang))
    parser.add_argument("--xlsx", help=t("coverage.arg.xlsx", lang))
    parser.add_argument("--no-save", action="store_true", help=t("coverage.arg.no_save", lang))
    parser.add_argument("--scheduler", default=None, help=t("distributed.arg.scheduler", lang))


def parse_radii(text: str | None) -> list[float] | None:
    """``"300,500"`` -> ``[300.0, 500.0]``; None stays None.

    Raises
    ------
    GeoInputError
        ``coverage.bad_radii`` for anything but positive numbers.
    """
    if text is None:
        return None
    try:
        radii = [float(x) for x in text.replace("，", ",").split(",") if x.strip()]
    except ValueError:
        radii = []
    if not radii or any(not np.isfinite(r) or r <= 0 for r in radii):
        msg = f"bad radii {text!r}"
        raise GeoInputError(msg, code="coverage.bad_radii", value=text)
    return radii


def run(args: argparse.Namespace, lang: str) -> int:
    """Compute, store, print and export; 1 when staffing gaps are found, else 0."""
    if args.csv and args.xlsx:
        raise GeoInputError("both --csv and --xlsx", code="coverage.csv_target")
    for target in (args.csv, args.xlsx):
        if target:
            guard_output(target, command=NAME, others=(args.project, args.network))
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
        if args.network:
            raise GeoInputError("--network with --scheduler", code="distributed.network_unsupported")
    project = load_project(args.project)
    if len(project.layer(s.GRIDS)) == 0:
        msg = f"{args.project} has no grids"
        raise GeoInputError(msg, code="coverage.no_grids", file=str(args.project))
    radii = radii_from(project, parse_radii(args.radii))
    _check_suggest(args, project)
    network = None
    if args.network:
        from geo.network import DEFAULT_CORRIDOR_M, read_network

        network = read_network(args.network, corridor_m=args.corridor or DEFAULT_CORRIDOR_M)
    if args.scheduler is None:
        coverage_df = service_reach(project, radii_m=radii, network=network, progress=progress_bar(lang))
    else:
        coverage_df = service_reach_dask(project, scheduler=args.scheduler, radii_m=radii)
    meta = {"distance": "network" if network else "euclidean", "radii_m": radii,
            "network_file": str(args.network) if args.network else None,
            "corridor_m": network.corridor_m if network else None}
    result = with_coverage(project, coverage_df, meta=meta)
    rollup = coverage_rollup(result) if args.scheduler is None else \
        coverage_rollup_dask(result, scheduler=args.scheduler)
    findings = _print_summary(result, lang, distance=meta["distance"], rollup=rollup)
    suggestions = _suggest(args, result, radii, lang) if args.suggest else None
    if args.xlsx:
        write_xlsx(result, args.xlsx, lang, suggestions=suggestions)
        print(t("coverage.written", lang, file=args.xlsx))
    if args.csv:
        write_csv(coverage_table_for_export(result, lang), args.csv)
        print(t("coverage.written", lang, file=args.csv))
    if not args.no_save:
        save_project(result, args.project, expected_revision=project.revision)
        print(t("coverage.saved", lang, file=args.project))
    return 1 if findings else 0


def _check_suggest(args: argparse.Namespace, project: Project) -> None:
    if not args.suggest:
        return
    if args.suggest < 0:
        msg = f"--suggest {args.suggest}"
        raise GeoInputError(msg, code="coverage.bad_suggest", n=args.suggest, candidates="demand")
    if not args.category:
        raise GeoInputError("--suggest without --category", code="coverage.needs_category")
    known = list(category_masks(project.layer(s.SERVICE_POINTS)))
    if args.category not in known and args.category not in s.POINT_TYPES:
        msg = f"unknown category {args.category!r}"
        raise GeoInputError(msg, code="coverage.unknown_category", category=args.category,
                            known=known + [k for k in s.POINT_TYPES if k not in known])


def _suggest(args: argparse.Namespace, project: Project, radii: list[float], lang: str) -> pd.DataFrame:
    from geo.siting import suggest_sites

    radius = float(args.radius) if args.radius else radii[len(radii) // 2]
    points, result = suggest_sites(project, category=args.category, n_sites=args.suggest, radius_m=radius)
    print()
    print(t("coverage.suggest_title", lang, n=args.suggest, category=args.category, radius=f"{radius:g}"))
    if result.total <= 0:
        print(t("coverage.suggest_none", lang))
    else:
        print(t("coverage.suggest_result", lang, covered=f"{result.covered:.0f}", total=f"{result.total:.0f}",
                bound=f"{result.upper_bound:.0f}", gap=f"{result.gap:.1%}",
                method=t(f"coverage.method.{result.method}", lang)))
    table = pd.DataFrame({"rank": points["rank"], "lon": points.geometry.x.round(6),
                          "lat": points.geometry.y.round(6), "households_gained": points["households_gained"].round(1)})
    frame = _localise(table, lang)
    if len(frame):
        print(format_table(frame))
    return frame


def _print_summary(project: Project, lang: str, *, distance: str, rollup: pd.DataFrame) -> bool:
    """The whole place's coverage per category and radius (from ``rollup``), then staffing; True on staffing gaps."""
    city = rollup[rollup["level"] == CITY]
    print(t("coverage.summary_title", lang, distance=t(f"coverage.distance.{distance}", lang)))
    table = pd.DataFrame({
        "category": city[s.CATEGORY].to_numpy(), "radius_m": city["radius_m"].map(lambda r: f"{r:g}").to_numpy(),
        "households": city["households"].fillna(0).round(0).astype(int).to_numpy(),
        "coverage": city["coverage"].map(share_text_1).to_numpy()})
    print(format_table(_localise(table, lang)))
    figures = unit_figures(project, category=None).get(CITY)
    staffing = staffing_by_grid(project)
    violations = find_violations(project)  # the one set of rule checks (geo.rules)
    no_leader = violations.loc[violations["rule"] == "no_leader", s.GRID_CODE].tolist()
    over = over_capacity(project)
    rate = float(figures["staffing"].iloc[0]) if len(figures) else float("nan")
    print()
    print(t("coverage.staffing_line", lang, grids=len(staffing), rate=share_text_1(rate),
            no_leader=len(no_leader), over=len(over)))
    if no_leader:
        print(t("coverage.no_leader_list", lang, ids=no_leader))
    if len(over):
        print(t("coverage.over_capacity_list", lang, ids=list(over[s.VOLUNTEER_ID])))
    _print_worst(project, lang)
    return bool(no_leader) or len(over) > 0


def share_text_1(value: float) -> str:
    """A share with one decimal for the command line tables (empty when unknown)."""
    return "" if pd.isna(value) else f"{value:.1%}"


def _print_worst(project: Project, lang: str) -> None:
    cov = project.table(s.COVERAGE)
    if cov.empty:
        return
    radii = sorted(cov["radius_m"].unique())
    radius = radii[len(radii) // 2]
    tree = grid_tree(project)
    leaves = tree.index[tree["is_leaf"].astype(bool)]
    for category in s.CATEGORIES:
        worst = rank_worst_grids(cov, category=category, radius_m=radius, limit=5, grid_codes=leaves)
        worst = worst[worst["area_share"] < 1.0]
        if worst.empty:
            continue
        print()
        print(t("coverage.worst_title", lang, category=category, radius=f"{radius:g}"))
        table = worst[[s.GRID_CODE, "area_share", "households_share"]].copy()
        for col in ("area_share", "households_share"):
            table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        print(format_table(_localise(table, lang)))


# --- tables for people -----------------------------------------------------------------

def _localise(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    return df.rename(columns={c: t(f"coverage.col.{c}", lang) for c in df.columns})


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(df: pd.DataFrame) -> str:
    """A plain-text table aligned for CJK (double-width) characters."""
    rows = [[str(c) for c in df.columns]] + [["" if pd.isna(v) else str(v) for v in row]
                                             for row in df.itertuples(index=False)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def coverage_table_for_export(project: Project, lang: str) -> pd.DataFrame:
    """The per-grid coverage table with grid names and localised headers (shares as 0..1)."""
    return _localise(_coverage_rows(project), lang)


def _coverage_rows(project: Project) -> pd.DataFrame:
    cov = project.table(s.COVERAGE)
    grids = project.layer(s.GRIDS)
    names = dict(zip(grids[s.CODE].astype(str), grids[s.NAME].astype(str))) if s.NAME in grids else {}
    out = cov.copy()
    out.insert(1, "name", out[s.GRID_CODE].astype(str).map(names))
    for col in ("area_share", "households_share"):
        out[col] = out[col].round(4)
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as UTF-8 CSV with BOM (Excel-friendly), atomically, cells neutralised (``to_csv_bytes``)."""
    write_atomic(path, to_csv_bytes(df))


def write_xlsx(project: Project, path: str | Path, lang: str, *,
               suggestions: pd.DataFrame | None = None) -> None:
    """Write coverage, roll-up, staffing (and suggestions) sheets to an XLSX, atomically."""
    rollup = coverage_rollup(project).rename(columns={"coverage": "coverage_share"})
    rollup["level"] = rollup["level"].map(lambda v: label("level", v, lang))
    sheets = {
        t("coverage.sheet.coverage", lang): _coverage_rows(project),
        t("coverage.sheet.rollup", lang): rollup.round(4),
        t("coverage.sheet.staffing", lang): staffing_by_grid(project),
    }
    headers = {c: t(f"coverage.col.{c}", lang) for frame in sheets.values() for c in frame.columns}
    if suggestions is not None:
        sheets[t("coverage.sheet.suggestions", lang)] = suggestions
    write_atomic(path, to_xlsx_bytes(sheets, headers=headers))
