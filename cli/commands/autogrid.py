"""``python -m cli autogrid``: split communities into micro-grids and general grids by household count."""
from __future__ import annotations

import argparse
import time

import pyogrio

from geo import schema as s
from geo.autogrid import autogrid_project
from geo.errors import GeoInputError
from geo.messages import label, t
from geo.outputs import guard_output, same_file
from geo.project import load_project, save_project

NAME = "autogrid"
HELP = "autogrid.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Options of the ``autogrid`` subcommand."""
    parser.add_argument("project", help=t("autogrid.arg_project", lang))
    parser.add_argument("--community", action="append", default=[], metavar="CODE",
                        help=t("autogrid.arg_community", lang))
    parser.add_argument("--all", action="store_true", help=t("autogrid.arg_all", lang))
    parser.add_argument("--min", type=float, default=30, help=t("autogrid.arg_min", lang))
    parser.add_argument("--max", type=float, default=100, help=t("autogrid.arg_max", lang))
    parser.add_argument("--general-min", type=float, default=300, help=argparse.SUPPRESS)
    parser.add_argument("--general-max", type=float, default=500, help=argparse.SUPPRESS)
    parser.add_argument("--barriers", default=None, help=t("autogrid.arg_barriers", lang))
    parser.add_argument("--seed", type=int, default=0, help=t("autogrid.arg_seed", lang))
    parser.add_argument("--out", default=None, help=t("autogrid.arg_out", lang))


def run(args: argparse.Namespace, lang: str) -> int:
    """Grid the chosen communities, save, print the household distribution (1 if any grid is out of band)."""
    if not args.all and not args.community:
        msg = "no community chosen"
        raise GeoInputError(msg, code="autogrid.no_target")
    start = time.perf_counter()
    out = args.project
    if args.out:
        out = guard_output(args.out, command=NAME, updates=args.project, others=(args.barriers,))
    project = load_project(args.project)
    barriers = pyogrio.read_dataframe(args.barriers) if args.barriers else None
    new, report = autogrid_project(project, community_codes=None if args.all else args.community,
                                   micro_band=(args.min, args.max),
                                   general_band=(args.general_min, args.general_max),
                                   barriers=barriers, seed=args.seed)
    # the revision check holds whenever `out` is the project under any name (relative, absolute, symlink)
    save_project(new, out, expected_revision=project.revision if same_file(out, args.project) else None)
    print(t("autogrid.done", lang, communities=len(report["communities"]),
            seconds=f"{time.perf_counter() - start:.1f}"))
    bands = {s.LEVEL_MICRO: (args.min, args.max), s.LEVEL_GENERAL: (args.general_min, args.general_max)}
    for level in (s.LEVEL_MICRO, s.LEVEL_GENERAL):
        summ = report[level]
        print(t("autogrid.summary", lang, level=label("level", level, lang), grids=summ["grids"],
                min=summ["min"], median=f"{summ['median']:g}", max=summ["max"],
                share=f"{100 * summ['share_in_band']:.1f}", lo=f"{bands[level][0]:g}", hi=f"{bands[level][1]:g}"))
    for note in report["notes"]:
        print(t(f"autogrid.note.{note['kind']}", lang, **note))
    if report["outside"]:
        print(t("autogrid.outside", lang, count=len(report["outside"]), ids=report["outside"]))
    if report["dropped_assignments"]:
        print(t("autogrid.dropped_assignments", lang, count=report["dropped_assignments"]))
    print(t("cli.saved", lang, file=str(out)))
    out_of_band = any(report[lv]["share_in_band_excl_single"] < 1.0 for lv in (s.LEVEL_MICRO, s.LEVEL_GENERAL))
    return 1 if out_of_band else 0
