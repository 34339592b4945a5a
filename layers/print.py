"""A printed map page (A4/A3, portrait/landscape) as a matplotlib Figure, and saving it as PDF/PNG.

The page is drawn in the metric CRS (EPSG:32648) so the scale bar is true. It has a title
and subtitle, the unit's children coloured by a measure (``layers.style``), service points
by type, non-colliding labels, a legend, a scale bar, a north arrow, an inset overview and
a footer (date, source, CRS, organisation, 示意图/内部使用 marks, approval number). No
basemap: it renders offline. Artists carry gids (``legend``, ``scalebar``, ``north_arrow``,
``inset``, ``footer``, ``title``, ``table``, ``label:<code>``) so tests can find them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from geo import schema as s
from geo.errors import GeoInputError
from geo.files import atomic_path
from geo.messages import label, t
from geo.printdata import MapPageData
from geo.values import CONTROL_CHARACTERS, strip_controls, today_iso
from layers import style
from layers.fonts import print_fonts

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS = ("portrait", "landscape")
FORMATS = ("pdf", "png")
MM_PER_IN = 25.4
CRS_NOTE = "WGS 84 → UTM 48N (EPSG:32648)"


@dataclass(frozen=True)
class PageOptions:
    """Page set-up and footer fields shared by every printed page.

    ``internal`` adds the 内部使用 mark; ``approval_number`` the 审图号 field; ``data_source``
    defaults to the catalogue's "GridAtlas project"; ``date`` to today (ISO). ``labels``
    switches unit-name labels off.
    """

    paper: str = "A4"
    orientation: str = "portrait"
    lang: str = "zh"
    title: str | None = None
    subtitle: str | None = None
    organisation: str = ""
    internal: bool = False
    approval_number: str = ""
    data_source: str | None = None
    date: str | None = None
    labels: bool = True
    font_path: str | None = None


def figure_size_in(paper: str, orientation: str) -> tuple[float, float]:
    """Figure size in inches for ``paper`` (A4/A3) and ``orientation``.

    Raises
    ------
    GeoInputError
        Code ``print.bad_paper`` for another paper or orientation.
    """
    if paper.upper() not in PAPER_MM or orientation not in ORIENTATIONS:
        msg = f"unknown paper {paper!r} / orientation {orientation!r}"
        raise GeoInputError(msg, code="print.bad_paper", paper=paper, orientation=orientation)
    w, h = PAPER_MM[paper.upper()]
    if orientation == "landscape":
        w, h = h, w
    return w / MM_PER_IN, h / MM_PER_IN


class _PageCanvas(FigureCanvasAgg):
    """Agg canvas whose ``draw_idle`` does nothing: geopandas' plot calls it after every layer,
    which would render the whole page each time (the page is drawn once, when saved)."""

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        return None


def new_page(options: PageOptions) -> Figure:
    """A blank page (a ``Figure`` with an Agg canvas, no pyplot state)."""
    fig = Figure(figsize=figure_size_in(options.paper, options.orientation))
    _PageCanvas(fig)
    return fig


def _layout(orientation: str, has_table: bool) -> dict[str, list[float]]:
    """Figure-fraction rectangles ``[left, bottom, width, height]`` of the page's panels."""
    if orientation == "portrait":
        if has_table:
            return {"map": [0.06, 0.45, 0.64, 0.45], "legend": [0.72, 0.63, 0.25, 0.27],
                    "inset": [0.73, 0.45, 0.23, 0.16], "table": [0.06, 0.07, 0.88, 0.35]}
        return {"map": [0.06, 0.25, 0.88, 0.65], "legend": [0.06, 0.06, 0.55, 0.17],
                "inset": [0.67, 0.06, 0.27, 0.17]}
    if has_table:
        return {"map": [0.04, 0.08, 0.52, 0.80], "legend": [0.58, 0.56, 0.18, 0.32],
                "inset": [0.78, 0.58, 0.18, 0.28], "table": [0.58, 0.08, 0.38, 0.45]}
    return {"map": [0.04, 0.08, 0.68, 0.80], "legend": [0.75, 0.40, 0.22, 0.48],
            "inset": [0.76, 0.08, 0.20, 0.28]}


# --- pieces --------------------------------------------------------------------------

def add_title(fig: Figure, title: str, subtitle: str | None, *, scale: float = 1.0) -> None:
    """Title and subtitle at the top of the page."""
    fig.text(0.5, 0.965, title, ha="center", va="top", fontsize=17 * scale, weight="bold", gid="title")
    if subtitle:
        fig.text(0.5, 0.928, subtitle, ha="center", va="top", fontsize=10 * scale, color="#333333",
                 gid="subtitle")


def _nice_length(target_m: float) -> float:
    """The largest 1/2/5 x 10^k metres not above ``target_m``."""
    if target_m <= 0:
        return 1.0
    k = 10 ** np.floor(np.log10(target_m))
    for step in (5, 2, 1):
        if step * k <= target_m:
            return float(step * k)
    return float(k)


def add_scale_bar(ax: Axes, *, lang: str = "zh", fontsize: float = 7.0,
                  data_minx: float | None = None) -> float:
    """A two-segment scale bar in the lower left of a metric-CRS map; returns its length in metres.

    ``data_minx`` (metres) aligns the bar with the left edge of the mapped unit.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    length = _nice_length(width / 4)
    left = x0 + 0.04 * width if data_minx is None else max(x0 + 0.04 * width, data_minx)
    bx, by, bh = left, y0 + 0.03 * height, 0.012 * height
    for i, colour in enumerate(("#000000", "#ffffff")):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, bh, facecolor=colour,
                               edgecolor="#000000", linewidth=0.6, zorder=20, gid="scalebar"))
    unit_text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((bx, "0"), (bx + length, unit_text)):
        ax.text(x, by + bh * 1.6, text, ha="center", va="bottom", fontsize=fontsize, zorder=21, gid="scalebar")
    return length


def add_north_arrow(ax: Axes, *, fontsize: float = 10.0) -> None:
    """A north arrow in the upper right, inside the frame (grid north of UTM 48N; < 1° from true north here).

    The tip stops 6 % below the frame and the "N" sits on a white box, so neither touches the frame line.
    """
    ax.annotate("N", xy=(0.94, 0.94), xytext=(0.94, 0.83), xycoords="axes fraction", ha="center", va="center",
                fontsize=fontsize, weight="bold", zorder=21, gid="north_arrow",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.8},
                arrowprops={"arrowstyle": "-|>", "color": "#000000", "linewidth": 1.4, "mutation_scale": 14})


def place_labels(ax: Axes, gdf: gpd.GeoDataFrame, *, fontsize: float = 8.0,
                 min_fontsize: float = 5.0, obstacles: list | None = None) -> tuple[int, int]:
    """Label each feature with its name at a point inside it, largest first, without overlaps.

    A label that would overlap an earlier one, an ``obstacles`` box (display units, e.g.
    point symbols) or leave the map is tried just below and above its anchor, then smaller,
    down to ``min_fontsize``, and skipped if it still collides. Returns ``(placed, skipped)``.
    """
    if len(gdf) == 0:
        return 0, 0
    renderer = ax.figure.canvas.get_renderer()
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    order = np.argsort(-gdf.geometry.area.to_numpy())
    anchors = gdf.geometry.representative_point()
    placed_boxes: list = list(obstacles or [])
    placed = skipped = 0
    for i in order:
        pt, name, code = anchors.iloc[i], str(gdf[s.NAME].iloc[i]), str(gdf[s.CODE].iloc[i])
        text = ax.text(pt.x, pt.y, name, ha="center", va="center", fontsize=fontsize, zorder=15,
                       gid=f"label:{code}", clip_on=True,
                       bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.6, "linewidth": 0})
        if _fit_label(text, renderer, frame, placed_boxes, min_fontsize):
            placed += 1
        else:
            text.remove()
            skipped += 1
    return placed, skipped


def _fit_label(text, renderer, frame, placed_boxes: list, min_fontsize: float) -> bool:
    """Try the label at its anchor, then just below and above it, shrinking until it fits."""
    size = text.get_fontsize()
    while size >= min_fontsize:
        text.set_fontsize(size)
        for dy in (0.0, -1.3, 1.3):
            text.set_transform(text.axes.transData + _offset(text.figure, dy * size))
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(b) for b in placed_boxes):
                placed_boxes.append(box)
                return True
        size *= 0.8
    return False


def _offset(fig: Figure, dy_pt: float):
    from matplotlib.transforms import ScaledTranslation

    return ScaledTranslation(0, dy_pt / 72, fig.dpi_scale_trans)


def fit_extent(ax: Axes, bounds: tuple[float, float, float, float], *, pad: float = 0.04) -> None:
    """Set equal-scale limits showing ``bounds`` (data units) centred in the axes box, plus ``pad``."""
    minx, miny, maxx, maxy = bounds
    fig = ax.figure
    pos = ax.get_position()
    box_w, box_h = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    span = max(maxx - minx, maxy - miny, 1.0)
    dx, dy = (maxx - minx) + 2 * pad * span, (maxy - miny) + 2 * pad * span
    per_inch = max(dx / box_w, dy / box_h)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - box_w * per_inch / 2, cx + box_w * per_inch / 2)
    ax.set_ylim(cy - box_h * per_inch / 2, cy + box_h * per_inch / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("")
    ax.set_ylabel("")


def _outline(child_level: str) -> style.LineStyle:
    return style.OUTLINES.get(child_level, style.OUTLINES["general"])


def _draw_by_value(ax: Axes, gdf: gpd.GeoDataFrame, values: pd.Series, *, order: list[str], symbol: Any,
                   edge: str, width: float, zorder: int, gid: str, scale: float) -> list[str]:
    """Point rows grouped by ``values``, each group with ``symbol(value)``; returns the values drawn, in ``order``
    then the rest sorted."""
    drawn = []
    for value in [*order, *sorted(set(values) - set(order))]:
        sel = gdf[values == value]
        if len(sel) == 0:
            continue
        sym = symbol(value)
        ax.scatter(sel.geometry.x, sel.geometry.y, marker=sym.marker, s=(sym.size_pt * scale) ** 2,
                   c=sym.color, edgecolors=edge, linewidths=width, zorder=zorder, gid=f"{gid}:{value}")
        drawn.append(value)
    return drawn


def draw_points(ax: Axes, points: gpd.GeoDataFrame, *, scale: float = 1.0) -> list[str]:
    """Service points by type with the shared symbols; returns the types drawn (in symbol order)."""
    if len(points) == 0:
        return []
    return _draw_by_value(ax, points, points[s.POINT_TYPE].astype(str), order=list(style.POINT_SYMBOLS),
                          symbol=style.point_symbol, edge="white", width=0.5, zorder=12, gid="points", scale=scale)


def draw_projects(ax: Axes, projects: gpd.GeoDataFrame | None, *, scale: float = 1.0) -> list[str]:
    """Governance projects by kind (``style.PROJECT_SYMBOLS``, black edge); returns the kinds drawn."""
    if projects is None or len(projects) == 0:
        return []
    kinds = projects[s.KIND].astype(str) if s.KIND in projects else pd.Series("", index=projects.index)
    return _draw_by_value(ax, projects, kinds, order=list(style.PROJECT_SYMBOLS), symbol=style.project_symbol,
                          edge="#222222", width=0.6, zorder=13, gid="projects", scale=scale)


def draw_map(ax: Axes, data: MapPageData, breaks: tuple[float, ...], *, labels: bool = True,
             scale: float = 1.0) -> list[str]:
    """Children coloured by the measure, unit outline, households, service points; returns point types."""
    kids = data.children
    ax.set_axis_off()
    if len(kids):
        colours = style.colors_for(data.measure, kids["value"], breaks=breaks)
        ls = _outline(str(kids[s.LEVEL].iloc[0]) if s.LEVEL in kids.columns else data.unit.level)
        kids.plot(ax=ax, color=colours, edgecolor=ls.color, linewidth=ls.width_pt, zorder=2)
    unit_ls = style.OUTLINES.get(data.unit.level, style.OUTLINES["community"])
    gpd.GeoSeries([data.unit.geometry], crs=s.METRIC_CRS).boundary.plot(
        ax=ax, color=unit_ls.color, linewidth=unit_ls.width_pt * 1.5, zorder=5)
    if data.households is not None and len(data.households):
        sym = style.HOUSEHOLD_POINT
        ax.scatter(data.households.geometry.x, data.households.geometry.y, s=sym.size_pt ** 2, c=sym.color,
                   marker="o", linewidths=0, zorder=8, gid="households")
    drawn = draw_points(ax, data.points, scale=scale)
    fit_extent(ax, data.unit.geometry.bounds)
    if labels and len(kids):
        # names matter more than symbols: labels dodge point symbols only where points are
        # sparse (a grid or small community), else they sit on a white halo above them
        sparse = len(data.points) <= len(kids)
        place_labels(ax, kids, fontsize=8.0 * scale,
                     obstacles=_point_boxes(ax, data.points, scale) if sparse else None)
    return drawn


def _point_boxes(ax: Axes, points: gpd.GeoDataFrame, scale: float) -> list:
    """Display-space boxes around the service-point symbols (label obstacles)."""
    from matplotlib.transforms import Bbox

    if len(points) == 0 or len(points) > 500:
        return []
    xy = ax.transData.transform(np.column_stack([points.geometry.x, points.geometry.y]))
    half = 4.0 * scale * ax.figure.dpi / 72
    return [Bbox([[x - half, y - half], [x + half, y + half]]) for x, y in xy]


def legend_handles(data: MapPageData, breaks: tuple[float, ...], point_types: list[str],
                   lang: str, project_kinds: list[str] | None = None) -> tuple[list, list[str]]:
    """Legend handles and labels: measure classes, service-point types, then governance-project kinds."""
    handles, labels = [], []
    for colour, text in style.legend_entries(data.measure, breaks, lang=lang):
        handles.append(Patch(facecolor=colour, edgecolor="#777777", linewidth=0.4))
        labels.append(text)
    for ptype in point_types:
        sym = style.point_symbol(ptype)
        handles.append(Line2D([], [], linestyle="", marker=sym.marker, markersize=sym.size_pt * 0.8,
                              markerfacecolor=sym.color, markeredgecolor="white"))
        labels.append(label("point_type", ptype, lang))
    for kind in project_kinds or []:
        sym = style.project_symbol(kind)
        handles.append(Line2D([], [], linestyle="", marker=sym.marker, markersize=sym.size_pt * 0.8,
                              markerfacecolor=sym.color, markeredgecolor="#222222"))
        labels.append(label("project_kind", kind, lang))
    return handles, labels


def add_legend(ax: Axes, data: MapPageData, breaks: tuple[float, ...], point_types: list[str], *,
               lang: str, scale: float = 1.0, project_kinds: list[str] | None = None) -> None:
    """The legend panel: measure title and classes, point and project symbols, remarks, governance line."""
    ax.set_axis_off()
    handles, labels = legend_handles(data, breaks, point_types, lang, project_kinds)
    spec = style.MeasureSpec(data.measure, data.category)
    title = spec.title(lang)
    if data.radius_m:
        title += t("print.radius_suffix", lang, radius=data.radius_m)
    leg = ax.legend(handles, labels, loc="upper left", title=title, frameon=False, fontsize=7.5 * scale,
                    title_fontsize=8.5 * scale, ncol=2 if len(labels) > 11 else 1, alignment="left")
    leg.set_gid("legend")
    if data.notes:
        ax.text(0.0, 0.0, "\n".join(t(k, lang) for k in data.notes), transform=ax.transAxes, fontsize=6.5 * scale,
                color="#b2182b", va="bottom", wrap=True, gid="notes")
    if governance_text(data, lang):
        ax.text(0.0, -0.04, governance_text(data, lang), transform=ax.transAxes, fontsize=6.0 * scale,
                color="#333333", va="top", wrap=True, gid="governance")


def governance_text(data: MapPageData, lang: str) -> str:
    """The unit's governance counts as one printed line (empty when the project holds none of them)."""
    gov = data.governance
    if gov is None or not np.nansum(gov.to_numpy(dtype=float)):
        return ""
    n = {k: f"{float(v):,.0f}" if v == v else "—" for k, v in gov.items()}
    return t("print.gov.summary", lang, orgs=n["organisations"], projects=n["gov_projects"], done=n["projects_done"],
             bodies=n["selfgov_bodies"], self_orgs=n["self_orgs"], conventions=n["conventions"], gaps=n["org_gaps"],
             buildings=n["buildings"], headless=n["headless_buildings"])


def add_inset(ax: Axes, data: MapPageData) -> None:
    """The inset overview: the parent's children in grey, the unit in red."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_gid("inset")
    ctx = data.context
    if ctx is None or len(ctx) == 0:
        gpd.GeoSeries([data.unit.geometry]).plot(ax=ax, facecolor="#fbb4ae", edgecolor=style.HIGHLIGHT.color,
                                                 linewidth=0.8)
        fit_extent(ax, data.unit.geometry.bounds, pad=0.08)
        return
    colours = ["#fbb4ae" if h else "#f0f0f0" for h in ctx["highlight"]]
    ctx.plot(ax=ax, color=colours, edgecolor="#969696", linewidth=0.3)
    ctx[ctx["highlight"]].boundary.plot(ax=ax, color=style.HIGHLIGHT.color, linewidth=1.0)
    fit_extent(ax, tuple(ctx.total_bounds), pad=0.08)


def footer_text(options: PageOptions, *, illustrative: bool) -> tuple[str, str]:
    """The footer's left part (date, source, CRS, organisation) and right part (marks)."""
    lang = options.lang
    parts = [t("print.footer.date", lang, date=options.date or today_iso()),
             t("print.footer.source", lang, source=options.data_source or t("print.footer.default_source", lang)),
             t("print.footer.crs", lang, crs=CRS_NOTE)]
    if options.organisation:
        parts.append(t("print.footer.organisation", lang, organisation=options.organisation))
    marks = []
    if illustrative:
        marks.append(t("print.mark.illustrative", lang))
    if options.internal:
        marks.append(t("print.mark.internal", lang))
    if options.approval_number:
        marks.append(t("print.footer.approval", lang, number=options.approval_number))
    return "  |  ".join(parts), "  ".join(marks)


def add_footer(fig: Figure, options: PageOptions, *, illustrative: bool, page_no: int | None = None) -> None:
    """The footer line at the bottom of the page."""
    left, right = footer_text(options, illustrative=illustrative)
    fig.text(0.04, 0.018, left, ha="left", va="bottom", fontsize=6.5, color="#333333", gid="footer")
    if right:
        fig.text(0.96, 0.018, right, ha="right", va="bottom", fontsize=7.5, color="#b2182b", weight="bold",
                 gid="marks")
    if page_no is not None:
        fig.text(0.96, 0.040, str(page_no), ha="right", va="bottom", fontsize=7, gid="page_no")


def _cell(value: object, lang: str) -> str:
    text = "" if value is None else str(value)
    return t(text, lang) if text.startswith("role.") else text


def draw_table(ax: Axes, table: pd.DataFrame, *, lang: str, fontsize: float = 7.0) -> int:
    """A table of ``table`` (columns are catalogue keys) filling ``ax``; returns the rows shown.

    Each column is one multi-line text (fast to draw and to embed); rows that do not fit are
    replaced by one "and N more" row.
    """
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig = ax.figure
    height_pt = ax.get_position().height * fig.get_figheight() * 72
    linespacing = 1.45
    row_pt = fontsize * linespacing * 1.2
    fit = max(int(height_pt // row_pt) - 2, 1)
    rows = [[_cell(v, lang) for v in r] for r in table.itertuples(index=False)]
    if len(rows) > fit:
        more = len(rows) - (fit - 1)
        rows = rows[: fit - 1] + [[t("print.table.more", lang, n=more)] + [""] * (table.shape[1] - 1)]
    headers = [t(c, lang) for c in table.columns]
    if not rows:
        ax.text(0.0, 1.0, t("print.table.empty", lang), va="top", fontsize=fontsize, gid="table")
        return 0
    widths = np.array([max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)], dtype=float)
    widths = np.clip(widths, 3, 24)
    lefts = np.concatenate([[0.0], np.cumsum(widths / widths.sum())[:-1]])
    header_h = row_pt * 1.3 / height_pt
    ax.add_patch(Rectangle((0, 1 - header_h), 1, header_h, facecolor="#eeeeee", edgecolor="none", gid="table"))
    ax.plot([0, 1], [1 - header_h, 1 - header_h], color="#777777", linewidth=0.5)
    for i, (x, header) in enumerate(zip(lefts, headers)):
        ax.text(x + 0.005, 1 - header_h / 2, header, va="center", ha="left", fontsize=fontsize, weight="bold",
                gid="table")
        ax.text(x + 0.005, 1 - header_h - 0.2 * row_pt / height_pt, "\n".join(r[i] for r in rows), va="top",
                ha="left", fontsize=fontsize, linespacing=linespacing, gid="table")
    return len(rows)


def default_title(data: MapPageData, lang: str) -> tuple[str, str]:
    """Default title (unit name + measure) and subtitle (parent, level)."""
    spec = style.MeasureSpec(data.measure, data.category)
    title = t("print.title.map", lang, unit=data.unit.name, measure=spec.title(lang))
    level = label("level", data.unit.level, lang)
    # the whole place has no code of its own: "市", never "市 city"
    subtitle = level if data.unit.level == "city" else t("print.subtitle", lang, level=level, code=data.unit.code)
    if data.parent_name:
        subtitle = t("print.subtitle.parent", lang, parent=data.parent_name) + "  " + subtitle
    return title, subtitle


def render_map_page(data: MapPageData, options: PageOptions | None = None, *,
                    page_no: int | None = None) -> Figure:
    """One map page for ``data`` (from ``geo.printdata.map_page_data``), with a table when ``data.table``.

    Parameters
    ----------
    data
        The unit, its children and measure, service points and inset context, all in EPSG:32648.
    options
        Paper, orientation, language, title override and footer fields.

    Raises
    ------
    GeoInputError
        ``print.no_cjk_font`` without a Chinese font; ``print.bad_paper`` for an unknown paper.
    """
    options = options or PageOptions()
    lang = options.lang
    data, options = literal_data(data), literal_data(options)
    with print_fonts(options.font_path):
        fig = new_page(options)
        scale = 1.0 if options.paper.upper() == "A4" else 1.3
        rects = _layout(options.orientation, data.table is not None)
        title, subtitle = default_title(data, lang)
        add_title(fig, options.title or title, options.subtitle if options.subtitle is not None else subtitle,
                  scale=scale)
        breaks = style.class_breaks(data.children["value"], data.measure)
        ax = fig.add_axes(rects["map"], gid="map")
        point_types = draw_map(ax, data, breaks, labels=options.labels, scale=scale)
        project_kinds = draw_projects(ax, data.projects, scale=scale)
        add_scale_bar(ax, lang=lang, fontsize=7 * scale, data_minx=data.unit.geometry.bounds[0])
        add_north_arrow(ax, fontsize=10 * scale)
        add_legend(fig.add_axes(rects["legend"], gid="legend_panel"), data, breaks, point_types, lang=lang,
                   scale=scale, project_kinds=project_kinds)
        if data.unit.level != "city":
            add_inset(fig.add_axes(rects["inset"]), data)
        if data.table is not None:
            draw_table(fig.add_axes(rects["table"], gid="table_panel"), data.table, lang=lang,
                       fontsize=7.0 * scale)
        add_footer(fig, options, illustrative=data.illustrative, page_no=page_no)
    return fig


def print_text(text: str) -> str:
    """User text as printable: no control or bidi-override characters, tabs and line breaks as spaces."""
    return re.sub(r"[\t\r\n]+", " ", strip_controls(text))


def literal_data(value: Any) -> Any:
    """``value`` (page data, options, units: dataclasses, frames, lists) with every text through ``print_text``.

    Run on what a page is drawn from, before any text is measured (label placement); maths is
    off for printed pages (``layers.fonts.print_rc``), so ``$…$`` prints as typed.
    """
    if isinstance(value, str):
        return print_text(value)
    if isinstance(value, pd.DataFrame):
        out = value.copy()
        for col in out.columns:
            if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
                out[col] = out[col].map(lambda v: print_text(v) if isinstance(v, str) else v)
        return out
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: literal_data(getattr(value, f.name)) for f in fields(value) if f.init})
    if isinstance(value, (list, tuple)):
        return type(value)(literal_data(v) for v in value)
    return value


def literal_texts(fig: Figure) -> Figure:
    """``fig`` with control and bidi-override characters removed from every text (names are user data).

    Maths is off for printed pages (``layers.fonts.print_rc``: ``text.parse_math``), so ``$…$`` prints
    as typed; a control character would print as a missing glyph. Called before every save.
    """
    for text in fig.findobj(Text):
        raw = text.get_text()
        if CONTROL_CHARACTERS.search(raw):
            text.set_text(strip_controls(raw))
    return fig


def find_gids(fig: Figure) -> set[str]:
    """Every gid set on the figure's artists (for tests and checks)."""
    return {a.get_gid() for a in fig.findobj() if a.get_gid()}


def save_figure(fig: Figure, path: str | Path, *, fmt: str | None = None, dpi: int = 200,
                font_path: str | None = None) -> Path:
    """Write ``fig`` to ``path`` as PDF (vector, fonts embedded) or PNG at ``dpi``, atomically.

    Raises
    ------
    GeoInputError
        Code ``print.bad_format`` for a format other than pdf/png.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "pdf").lower()
    if fmt not in FORMATS:
        msg = f"unknown print format {fmt!r}"
        raise GeoInputError(msg, code="print.bad_format", format=fmt, choices=", ".join(FORMATS))
    with atomic_path(path) as tmp, print_fonts(font_path):
        literal_texts(fig).savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fig, fmt))
    return path


def figure_bytes(fig: Figure, *, fmt: str = "pdf", dpi: int = 150) -> bytes:
    """``fig`` as PDF or PNG bytes (for downloads and previews)."""
    import io

    buf = io.BytesIO()
    with print_fonts():
        literal_texts(fig).savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(fig, fmt))
    return buf.getvalue()


def _metadata(fig: Figure, fmt: str) -> dict[str, str]:
    titles = [a.get_text() for a in fig.texts if a.get_gid() == "title"]
    meta = {"Title": titles[0] if titles else "GridAtlas", "Creator": "GridAtlas"}
    if fmt == "png":
        return {"Title": meta["Title"], "Software": "GridAtlas"}
    return meta


def with_paper(options: PageOptions, paper: str, orientation: str) -> PageOptions:
    """A copy of ``options`` with another paper and orientation."""
    return replace(options, paper=paper, orientation=orientation)
