"""``python -m cli print``: a map page, an atlas or a grid notice board as PDF/PNG.

``layers`` (and so matplotlib) is imported inside ``run`` so the other commands start
without loading a plotting library.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from cli.progress import progress_bar
from geo.errors import GeoInputError
from geo.messages import t
from geo.outputs import guard_output

NAME = "print"
HELP = "print.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """Options of ``python -m cli print``."""
    parser.add_argument("project", help=t("print.arg.project", lang))
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--unit", help=t("print.arg.unit", lang))
    what.add_argument("--atlas", choices=("town", "community", "grid"), help=t("print.arg.atlas", lang))
    what.add_argument("--notice", metavar="GRID_CODE", help=t("print.arg.notice", lang))
    parser.add_argument("--measure", default="staffing", help=t("print.arg.measure", lang))
    parser.add_argument("--radius-m", type=int, default=None, help=t("print.arg.radius", lang))
    parser.add_argument("--paper", default="A4", choices=("A4", "A3", "a4", "a3"), help=t("print.arg.paper", lang))
    parser.add_argument("--orientation", default="portrait", choices=("portrait", "landscape"),
                        help=t("print.arg.orientation", lang))
    parser.add_argument("--format", dest="fmt", default=None, choices=("pdf", "png"), help=t("print.arg.format", lang))
    parser.add_argument("--dpi", type=int, default=200, help=t("print.arg.dpi", lang))
    parser.add_argument("--pages", default=None, help=t("print.arg.pages", lang))
    parser.add_argument("--town", default=None, help=t("print.arg.town", lang))
    parser.add_argument("--community", default=None, help=t("print.arg.community", lang))
    parser.add_argument("--per-unit", action="store_true", help=t("print.arg.per_unit", lang))
    parser.add_argument("--title", default=None, help=t("print.arg.title", lang))
    parser.add_argument("--org", default="", help=t("print.arg.org", lang))
    parser.add_argument("--internal", action="store_true", help=t("print.arg.internal", lang))
    parser.add_argument("--approval-number", default="", help=t("print.arg.approval", lang))
    parser.add_argument("--source", default=None, help=t("print.arg.source", lang))
    parser.add_argument("--mask-names", action="store_true", help=t("print.arg.mask_names", lang))
    parser.add_argument("--out", required=False, help=t("print.arg.out", lang))


def run(args: argparse.Namespace, lang: str) -> int:
    """Render what was asked and write it atomically; 0 on success, 2 on bad input."""
    if not args.out or not (args.unit or args.atlas or args.notice):
        msg = "give --unit, --atlas or --notice, and --out"
        raise GeoInputError(msg, code="print.missing_args")
    guard_output(args.out, command=NAME, others=(args.project,))
    from geo import printdata
    from geo.project import load_project
    from layers import atlas
    from layers import print as lp
    from layers.style import parse_measure

    started = time.perf_counter()
    project = load_project(args.project)
    spec = parse_measure(args.measure)
    options = lp.PageOptions(paper=args.paper.upper(), orientation=args.orientation, lang=lang, title=args.title,
                             organisation=args.org, internal=args.internal, approval_number=args.approval_number,
                             data_source=args.source)
    out = Path(args.out)
    if args.atlas:
        result = atlas.render_atlas(project, args.atlas, out, pages=args.pages, town=args.town,
                                    community=args.community, measure=spec.name, category=spec.category,
                                    radius_m=args.radius_m, options=options, per_unit=args.per_unit,
                                    mask_names=args.mask_names, progress=progress_bar(lang))
        seconds = f"{time.perf_counter() - started:.1f}"
        if args.per_unit:
            print(t("print.done_many", lang, n=len(result.paths), file=str(out), seconds=seconds))
        else:
            print(t("print.done", lang, file=str(out), pages=result.n_pages,
                    size_kb=f"{out.stat().st_size / 1024:,.0f}", seconds=seconds))
        return 0
    if args.notice:
        data = printdata.notice_data(project, args.notice, mask_names=args.mask_names)
        fig = atlas.render_notice_page(data, options)
    else:
        data = printdata.map_page_data(project, args.unit, measure=spec.name, category=spec.category,
                                       radius_m=args.radius_m)
        fig = lp.render_map_page(data, options)
    fmt = args.fmt or (out.suffix.lstrip(".").lower() or "pdf")
    lp.save_figure(fig, out, fmt=fmt, dpi=args.dpi)
    print(t("print.done", lang, file=str(out), pages=1, size_kb=f"{out.stat().st_size / 1024:,.0f}",
            seconds=f"{time.perf_counter() - started:.1f}"))
    return 0
