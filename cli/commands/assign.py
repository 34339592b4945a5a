"""``python -m cli assign``: points to grids at every level, optimal staffing, saved atomically."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cli.progress import progress_bar
from geo import schema as s
from geo.distributed import check_scheduler, point_grids_table_dask
from geo.messages import format_ids, label, t
from geo.outputs import guard_output, same_file
from geo.store import is_database_url
from geo.project import load_project, save_project
from geo.rulesets import callout_roster_bytes, ruleset_scenario, run_ruleset
from geo.staffing import StaffingOptions, StaffingResult, assign_project

NAME = "assign"
HELP = "assign.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Arguments of ``assign``."""
    parser.add_argument("project", help=t("assign.arg.project", lang))
    parser.add_argument("--max-distance-m", type=float, default=None, help=t("assign.arg.max_distance", lang))
    parser.add_argument("--prefer-same-community", action="store_true", default=None,
                        help=t("assign.arg.same_community", lang))
    parser.add_argument("--one-leadership", action="store_true", default=None,
                        help=t("assign.arg.one_leadership", lang))
    parser.add_argument("--stability-m", type=float, default=None, help=t("assign.arg.stability", lang))
    parser.add_argument("--scenario", default=None, help=t("assign.arg.scenario", lang))
    parser.add_argument("--ruleset", default=None, help=t("assign.arg.ruleset", lang))
    parser.add_argument("--callout", default=None, help=t("assign.arg.callout", lang))
    parser.add_argument("--out", default=None, help=t("assign.arg.out", lang))
    parser.add_argument("--scheduler", default=None, help=t("distributed.arg.scheduler", lang))


def summary_lines(point_grids: pd.DataFrame, result: StaffingResult, scenario: str, lang: str) -> list[str]:
    """The localised summary printed by the command (also usable by the app)."""
    lines = [t("assign.summary.title", lang, scenario=label("scenario", scenario, lang))]
    smallest = point_grids.drop_duplicates(["layer", s.POINT_ID], keep="first") if len(point_grids) else point_grids
    for layer, rows in smallest.groupby("layer", sort=False):
        lines.append(t("assign.summary.points", lang, layer=t(f"layer.{layer}", lang), total=len(rows),
                       within=int((rows[s.METHOD] == "within").sum()),
                       nearest=int((rows[s.METHOD] == "nearest").sum()),
                       unassigned=int(rows[s.GRID_CODE].isna().sum()), ties=int(rows["tie"].sum())))
    st = result.stats
    lines.append(t("assign.summary.staffing", lang, places=st["places"], filled=st["filled"],
                   fixed=result.changes["fixed"], distance_km=f"{result.objective_m / 1000:.1f}"))
    short = result.short
    lines.append(t("assign.summary.short", lang, count=len(short), ids=format_ids(short[s.GRID_CODE], lang=lang)))
    reasons = result.reasons
    idle = reasons[(reasons["kind"] == "volunteer")]
    lines.append(t("assign.summary.unassigned", lang, count=len(idle), ids=format_ids(idle["id"], lang=lang)))
    for reason, rows in reasons.groupby(s.REASON, sort=True):
        lines.append(t("assign.summary.reason", lang, reason=t(f"assign.reason.{reason}", lang),
                       count=len(rows), ids=format_ids(rows["id"], lang=lang)))
    lines.append(t("assign.summary.changes", lang, **{k: result.changes[k] for k in ("added", "removed",
                                                                                      "moved", "kept")}))
    return lines


def run(args: argparse.Namespace, lang: str) -> int:
    """Run ``assign``; exit 1 when grids stay short, 0 when every target is met."""
    path = args.project if is_database_url(args.project) else Path(args.project)  # a file or an office server
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    out = guard_output(args.out, command=NAME, updates=path) if args.out else path
    callout = guard_output(args.callout, command=NAME, others=(path, out)) if args.callout else None
    project = load_project(path)
    switches = {"max_distance_m": args.max_distance_m, "prefer_same_community": args.prefer_same_community,
                "one_leadership": args.one_leadership, "stability_m": args.stability_m, "scenario": args.scenario}
    if args.ruleset:
        project, point_grids, result = run_ruleset(project, args.ruleset, progress=progress_bar(lang), **switches)
        scenario = ruleset_scenario(project, args.ruleset) if args.scenario is None else args.scenario
    else:
        settings = project.settings
        max_distance_m = args.max_distance_m if args.max_distance_m is not None else settings.get("max_distance_m")
        options = StaffingOptions.from_settings(settings, **{**switches, "max_distance_m": max_distance_m})
        point_grids = None if args.scheduler is None else point_grids_table_dask(
            project.layers, scheduler=args.scheduler, max_distance_m=max_distance_m)
        project, point_grids, result = assign_project(project, options=options, max_distance_m=max_distance_m,
                                                      point_grids=point_grids, progress=progress_bar(lang))
        scenario = options.scenario
    # the revision check holds whenever `out` is the project under any name (relative, absolute, symlink)
    save_project(project, out, expected_revision=project.revision if same_file(out, path) else None)
    for line in summary_lines(point_grids, result, scenario, lang):
        print(line)
    print(t("cli.saved", lang, file=str(out)))
    if callout is not None:
        fmt = "csv" if callout.suffix.lower() == ".csv" else "xlsx"
        callout.write_bytes(callout_roster_bytes(project, scenario=scenario, fmt=fmt, lang=lang))
        print(t("assign.summary.callout", lang, file=str(callout)))
    return 1 if len(result.short) else 0
