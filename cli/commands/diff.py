"""``python -m cli diff PROJECT A B [--csv OUT]``: compare two assignment scenarios.

Exit code as Unix ``diff``: 0 identical, 1 they differ, 2 bad input.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from geo.export_formats import neutralise_frame, to_csv_bytes
from geo.files import write_atomic
from geo.messages import t
from geo.outputs import guard_output
from geo.project import load_project
from geo.scenarios import CHANGE_COLUMNS, compare_scenarios

NAME = "diff"
HELP = "edit.diff.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Positional project, scenario A and B; optional --csv."""
    parser.add_argument("project", help=t("edit.diff.arg_project", lang))
    parser.add_argument("a", metavar="SCENARIO_A", help=t("edit.diff.arg_a", lang))
    parser.add_argument("b", metavar="SCENARIO_B", help=t("edit.diff.arg_b", lang))
    parser.add_argument("--csv", metavar="OUT", help=t("edit.diff.arg_csv", lang))


def changes_for_export(changes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Changed rows with translated headers and change labels, formula-safe cells."""
    out = changes[list(CHANGE_COLUMNS)].copy()
    out["change"] = out["change"].map(lambda c: t(f"edit.change.{c}", lang))
    out = neutralise_frame(out)
    return out.rename(columns={c: t(f"edit.col.{c}", lang) for c in CHANGE_COLUMNS})


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as UTF-8 (BOM) CSV atomically (``to_csv_bytes``, ``write_atomic``); never half a file."""
    write_atomic(path, to_csv_bytes(df))


def run(args: argparse.Namespace, lang: str) -> int:
    """Print the comparison; write changed rows to --csv; 1 when the scenarios differ."""
    if args.csv:
        guard_output(args.csv, command=NAME, others=(args.project,))
    project = load_project(args.project)
    diff = compare_scenarios(project, args.a, args.b)
    print(t("edit.diff.title", lang, a=args.a, b=args.b))
    counts = diff.changes["change"].value_counts()
    print(t("edit.diff.rows", lang, added=int(counts.get("added", 0)), removed=int(counts.get("removed", 0)),
            changed=int(counts.get("changed", 0))))
    for rec in diff.summary.itertuples(index=False):
        print(t("edit.diff.metric_line", lang, metric=t(f"edit.metric.{rec.metric}", lang), a=rec.a, b=rec.b,
                delta=f"{rec.delta:+g}"))
    print(t("edit.diff.service_coverage", lang))
    if len(diff.staffing):
        print(t("edit.diff.staffing_grids", lang, n=len(diff.staffing), ids=diff.staffing["grid_code"].tolist()))
    if args.csv:
        write_csv_atomic(changes_for_export(diff.changes, lang), args.csv)
        print(t("cli.saved", lang, file=args.csv))
    if diff.changes.empty and diff.staffing.empty:
        print(t("edit.diff.same", lang))
        return 0
    return 1
