"""Multi-page atlases (cover, contents, one page per unit, page selection) and grid notice boards (公示牌).

An atlas is one PDF (matplotlib ``PdfPages``, then pypdf adds an outline/bookmarks) or one
PDF per unit. Page numbers in a selection (``"3,5,7-10"``) are the units' atlas numbers,
as listed in the contents, so a reprint of pages 7–10 shows the same units.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from geo import schema as s
from geo.files import atomic_path
from geo.messages import label, t
from geo.printdata import (
    MapPageData, NoticeData, Unit, atlas_units, city_name, map_page_data, page_figures, parse_page_selection,
)
from geo.project import Project
from geo.progress import Progress, report
from geo.values import today_iso
from layers import print as lp
from layers import style
from layers.fonts import print_fonts

CONTENTS_ROWS = 40  # contents lines per A4 portrait page


@dataclass
class AtlasResult:
    """What an atlas run wrote: the file(s), the PDF page count and the units (atlas number, unit)."""

    paths: list[Path]
    n_pages: int
    units: list[tuple[int, Unit]]


def atlas_pages(project: Project, level: str, *, pages: str | None = None, town: str | None = None,
                community: str | None = None) -> list[tuple[int, Unit]]:
    """The selected ``(atlas number, unit)`` pairs; see ``geo.printdata.parse_page_selection``."""
    units = atlas_units(project, level, town=town, community=community)
    chosen = parse_page_selection(pages, len(units))
    return [(n, units[n - 1]) for n in chosen]


def render_cover(project: Project, level: str, entries: list[tuple[int, Unit]], *, measure_title: str,
                 options: lp.PageOptions) -> Figure:
    """The cover page: atlas title, unit count, measure, date, organisation and marks."""
    lang = options.lang
    entries, options = lp.literal_data(entries), lp.literal_data(options)
    with print_fonts(options.font_path):
        fig = lp.new_page(options)
        level_label = label("level", level, lang)
        title = options.title or t("print.atlas.cover_title", lang, city=city_name(project, lang), level=level_label)
        fig.text(0.5, 0.62, title, ha="center", va="center", fontsize=26, weight="bold", gid="title")
        fig.text(0.5, 0.55, t("print.atlas.cover_info", lang, n=len(entries), measure=measure_title),
                 ha="center", va="center", fontsize=12, gid="subtitle")
        fig.text(0.5, 0.50, options.date or today_iso(), ha="center", va="center", fontsize=11)
        if options.organisation:
            fig.text(0.5, 0.30, options.organisation, ha="center", va="center", fontsize=14)
        illustrative = any(u.illustrative for _, u in entries)
        lp.add_footer(fig, options, illustrative=illustrative)
    return fig


def render_contents(entries: list[tuple[int, Unit, int]], *, options: lp.PageOptions,
                    part: int = 0) -> Figure:
    """One contents page: atlas number, unit name, code and PDF page for each entry."""
    lang = options.lang
    entries, options = lp.literal_data(entries), lp.literal_data(options)
    with print_fonts(options.font_path):
        fig = lp.new_page(options)
        heading = t("print.atlas.contents", lang) + (f" ({part + 1})" if part else "")
        fig.text(0.5, 0.955, heading, ha="center", va="top", fontsize=18, weight="bold", gid="title")
        table = pd.DataFrame({
            "print.col.no": [str(n) for n, _, _ in entries],
            "print.col.name": [u.name for _, u, _ in entries],
            "print.col.code": [u.code for _, u, _ in entries],
            "print.col.page": [str(p) for _, _, p in entries],
        })
        ax = fig.add_axes([0.08, 0.06, 0.84, 0.84], gid="contents")
        lp.draw_table(ax, table, lang=lang, fontsize=8.5)
    return fig


def _outline_title(n: int, unit: Unit) -> str:
    return f"{n}. {unit.name}"


def _measure_title(measure: str, category: str | None, lang: str) -> str:
    return style.MeasureSpec(measure, category).title(lang)


def render_atlas(project: Project, level: str, out: str | Path, *, pages: str | None = None,
                 town: str | None = None, community: str | None = None, measure: str = "staffing",
                 category: str | None = None, radius_m: int | None = None,
                 options: lp.PageOptions | None = None, per_unit: bool = False,
                 mask_names: bool = False, progress: Progress | None = None) -> AtlasResult:
    """Write an atlas: cover, contents and one map+table page per selected unit.

    Parameters
    ----------
    level
        ``town``, ``community`` or ``grid`` (general and dedicated grids; their pages show rosters).
    out
        The PDF file, or with ``per_unit`` a folder receiving ``<number>_<code>.pdf`` files
        (no cover or contents then).
    pages, town, community
        Page selection (``"3,5,7-10"``, atlas numbers) and parent filters.
    progress
        Hears ``progress.atlas.pages`` per unit page, then ``progress.atlas.merge`` (``geo.progress``).

    Raises
    ------
    GeoInputError
        Unknown level or unit, bad page selection, no CJK font.
    """
    options = options or lp.PageOptions()
    entries = atlas_pages(project, level, pages=pages, town=town, community=community)
    if measure == "coverage" and category is None:
        category = "生活"
    figures = page_figures(project, category=category, radius_m=radius_m)

    def page(unit: Unit, page_no: int | None) -> Figure:
        data = map_page_data(project, unit, measure=measure, category=category, radius_m=radius_m,
                             with_table=True, figures=figures, mask_names=mask_names)
        return lp.render_map_page(data, options, page_no=page_no)

    out = Path(out)
    if per_unit:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, (n, unit) in enumerate(entries):
            report(progress, "progress.atlas.pages", i, len(entries))
            name = f"{n:03d}_{_safe(unit.code)}.pdf"
            paths.append(lp.save_figure(page(unit, None), out / name, fmt="pdf", font_path=options.font_path))
        report(progress, "progress.atlas.pages", len(entries), len(entries))
        return AtlasResult(paths, len(paths), entries)

    n_contents = max(1, -(-len(entries) // CONTENTS_ROWS))
    first_unit_page = 2 + n_contents
    numbered = [(n, u, first_unit_page + i) for i, (n, u) in enumerate(entries)]
    portrait = replace(options, orientation="portrait")
    with atomic_path(out) as tmp:
        with print_fonts(options.font_path), PdfPages(tmp, metadata={"Title": out.stem, "Creator": "GridAtlas"}) as pdf:
            pdf.savefig(lp.literal_texts(render_cover(project, level, entries, options=options,
                                                      measure_title=_measure_title(measure, category, options.lang))))
            for part in range(n_contents):
                chunk = numbered[part * CONTENTS_ROWS:(part + 1) * CONTENTS_ROWS]
                pdf.savefig(lp.literal_texts(render_contents(chunk, options=portrait, part=part)))
            for i, (_n, unit, page_no) in enumerate(numbered):
                report(progress, "progress.atlas.pages", i, len(numbered))
                pdf.savefig(lp.literal_texts(page(unit, page_no)))
            report(progress, "progress.atlas.pages", len(numbered), len(numbered))
        report(progress, "progress.atlas.merge", 0, 1)
        n_pages = _add_outline(str(tmp), [(_outline_title(n, u), p - 1) for n, u, p in numbered],
                               contents_page=1, lang=options.lang)
        report(progress, "progress.atlas.merge", 1, 1)
    return AtlasResult([out], n_pages, entries)


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.\-]+", "_", text)


def _add_outline(path: str, items: list[tuple[str, int]], *, contents_page: int, lang: str) -> int:
    """Add bookmarks (title, 0-based page) to the PDF at ``path`` in place; return its page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(path))
    writer.add_outline_item(title=t("print.atlas.contents", lang), page_number=contents_page)
    for title, index in items:
        writer.add_outline_item(title=title, page_number=index)
    writer.page_mode = "/UseOutlines"
    with open(path, "wb") as fh:
        writer.write(fh)
    return len(writer.pages)


# --- notice board -------------------------------------------------------------------------

def _person_lines(people: pd.DataFrame, lang: str) -> list[str]:
    if len(people) == 0:
        return [t("print.notice.vacant", lang)]
    return [f"{n}  {p}".strip() for n, p in zip(people[s.NAME], people[s.PHONE])]


def render_notice_page(data: NoticeData, options: lp.PageOptions | None = None) -> Figure:
    """A grid notice board (公示牌): map with buildings and service points, 四至, the people (work phones in
    full only with consent), the escalation chain, the service points within reach, the supervision
    phone and an offline QR code.
    """
    data, options = lp.literal_data(data), lp.literal_data(options or lp.PageOptions())
    lang = options.lang
    with print_fonts(options.font_path):
        fig = lp.new_page(replace(options, orientation="portrait"))
        sub = " ".join(x for x in (data.town_name, data.community_name, data.parent_name) if x)
        lp.add_title(fig, options.title or t("print.notice.title", lang, grid=data.unit.name), sub or None)
        ax = fig.add_axes([0.08, 0.56, 0.84, 0.34], gid="map")
        ax.set_axis_off()
        geom = data.unit.geometry
        if data.neighbours is not None and len(data.neighbours):
            data.neighbours.plot(ax=ax, facecolor="#f4f4f4", edgecolor="#9a9a9a", linewidth=0.5, zorder=1)
        data.grid.plot(ax=ax, facecolor="#fff7e6", edgecolor=style.HIGHLIGHT.color,
                       linewidth=style.HIGHLIGHT.width_pt, zorder=2)
        if data.households is not None and len(data.households):
            hh = pd.to_numeric(data.households.get(s.HOUSEHOLDS_N), errors="coerce").fillna(1).to_numpy()
            ax.scatter(data.households.geometry.x, data.households.geometry.y, s=8 + 2 * np.sqrt(hh), marker="s",
                       c="#8c8c8c", edgecolors="white", linewidths=0.3, zorder=6, gid="households")
        types = lp.draw_points(ax, data.points)
        # the grid fills the map, with its surroundings for orientation; points farther
        # away stay in the table below
        minx, miny, maxx, maxy = geom.bounds
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half = max(maxx - minx, maxy - miny) * 0.8 + 60.0
        lp.fit_extent(ax, (cx - half, cy - half, cx + half, cy + half), pad=0.02)
        if data.neighbours is not None and len(data.neighbours):
            lp.place_labels(ax, data.neighbours, fontsize=6.5, min_fontsize=5.0)
        lp.add_scale_bar(ax, lang=lang)
        lp.add_north_arrow(ax)
        _notice_legend(fig, types, lang)
        _notice_boundary(fig, data, lang)
        _notice_people(fig, data, lang)
        _notice_chain(fig, data, lang)
        _notice_points(fig, data, lang)
        _notice_qr(fig, data, lang)
        phone = data.supervision_phone
        fig.text(0.08, 0.30, t("notice.supervision", lang, phone=phone) if phone else
                 t("notice.supervision_unset", lang), ha="left", fontsize=10, weight="bold", gid="supervision")
        fig.text(0.08, 0.285, t("notice.phone_note", lang), ha="left", va="top", fontsize=6.5, color="#555555",
                 wrap=True)
        fig.text(0.5, 0.06, t("print.notice.escalation", lang), ha="center", fontsize=9, color="#444444")
        lp.add_footer(fig, options, illustrative=data.illustrative)
    return fig


def _notice_boundary(fig: Figure, data: NoticeData, lang: str) -> None:
    """四至: one line per side, under the map."""
    sep = "、" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    lines = [f"{t(f'notice.side.{side}', lang)}{colon}{sep.join(names[:3]) or t('notice.side.none', lang)}"
             for side, names in ((k, (data.boundary or {}).get(k, [])) for k in ("east", "south", "west", "north"))]
    fig.text(0.08, 0.548, t("notice.boundary", lang), ha="left", va="top", fontsize=8.5, weight="bold")
    fig.text(0.08, 0.530, "\n".join(lines), ha="left", va="top", fontsize=7.5, linespacing=1.3, gid="boundary")


def _chain_lines(chain: pd.DataFrame, lang: str, *, limit: int = 4) -> list[str]:
    """The escalation chain as lines: per step its people (name, post, phone as shown) and gaps."""
    lines: list[str] = []
    for step in ("building", "micro", "general", "community"):
        part = chain[chain["step"] == step]
        if len(part) == 0:
            continue
        lines.append(t(f"chain.step.{step}", lang))
        people = part[part["gap"].isna()]
        if step == "building":
            lines.append("  " + t("chain.buildings_headed", lang, headed=people["unit_code"].nunique(),
                                  n=part["unit_code"].nunique()))
        for rec in people.head(limit).itertuples(index=False):
            where = f"{rec.unit_name} " if step == "building" and rec.unit_name else ""
            post = rec.post if isinstance(rec.post, str) and rec.post else t(f"chain.role.{rec.role}", lang) if (
                rec.role in ("building_head", "secretary", "station")) else t(f"role.{rec.role}", lang)
            lines.append(f"  {where}{rec.name or ''} {post} {rec.shown_phone}".rstrip())
        if len(people) > limit:
            lines.append("  " + t("chain.more", lang, n=len(people) - limit))
        gaps = part[part["gap"].notna()]
        if step != "building" and len(gaps):
            lines.append("  " + "、".join(t(f"chain.gap.{g}", lang) for g in gaps["gap"].unique()))
    return lines


def _notice_chain(fig: Figure, data: NoticeData, lang: str) -> None:
    if data.chain is None or len(data.chain) == 0:
        return
    fig.text(0.52, 0.48, t("chain.title", lang), ha="left", va="top", fontsize=9.5, weight="bold")
    fig.text(0.52, 0.46, "\n".join(_chain_lines(data.chain, lang)[:16]), ha="left", va="top", fontsize=7,
             linespacing=1.35, gid="chain")


def _notice_qr(fig: Figure, data: NoticeData, lang: str) -> None:
    """The QR code, with a 4-module quiet zone, drawn module for module (nearest, no smoothing)."""
    if data.qr is None or not len(data.qr):
        return
    modules = np.pad(np.asarray(data.qr, dtype=bool), 4)
    ax = fig.add_axes([0.08, 0.12, 0.14, 0.14 * fig.get_figwidth() / fig.get_figheight()], gid="qr")
    ax.imshow(~modules, cmap="gray", interpolation="nearest", vmin=0, vmax=1, aspect="equal")
    ax.set_axis_off()
    caption = "notice.qr_url" if data.qr_payload.startswith(("http://", "https://")) else "notice.qr"
    fig.text(0.15, 0.115, t(caption, lang), ha="center", va="top", fontsize=7)


def _notice_legend(fig: Figure, types: list[str], lang: str) -> None:
    from matplotlib.lines import Line2D

    if not types:
        return
    handles = []
    for ptype in types:
        sym = style.point_symbol(ptype)
        handles.append(Line2D([], [], linestyle="", marker=sym.marker, markersize=sym.size_pt * 0.8,
                              markerfacecolor=sym.color, markeredgecolor="white"))
    leg = fig.legend(handles, [label("point_type", p, lang) for p in types], loc="upper right",
                     bbox_to_anchor=(0.92, 0.555), fontsize=6.5, frameon=False, ncol=1)
    leg.set_gid("legend")


def _notice_people(fig: Figure, data: NoticeData, lang: str) -> None:
    lines = [t("print.notice.households", lang, n="—" if not np.isfinite(data.households_n)
               else f"{data.households_n:,.0f}"), ""]
    for key, people in (("role.leader", data.leaders), ("role.worker", data.workers),
                        ("role.member", data.members)):
        lines.append(t(key, lang) + "：" if lang == "zh" else t(key, lang) + ":")
        lines += ["  " + x for x in _person_lines(people, lang)[:3]]
    fig.text(0.08, 0.465, "\n".join(lines), ha="left", va="top", fontsize=8.5, linespacing=1.35, gid="people")


def _notice_points(fig: Figure, data: NoticeData, lang: str) -> None:
    fig.text(0.52, 0.27, t("print.notice.points", lang, reach=f"{data.reach_m:,.0f}"), ha="left", va="top",
             fontsize=9, weight="bold")
    if data.reach is not None and len(data.reach):
        sep = "  "
        shares = sep.join(f"{label('category', c, lang)} {v:.0%}" if v == v else f"{label('category', c, lang)} —"
                          for c, v in zip(data.reach[s.CATEGORY], data.reach["share"]))
        radius = f"{data.reach_radius_m:,.0f}" if data.reach_radius_m else "—"
        fig.text(0.52, 0.255, t("notice.reach", lang, shares=shares, radius=radius), ha="left", va="top", fontsize=7,
                 gid="reach")
    pts = data.points
    table = pd.DataFrame({
        "print.col.name": pts[s.NAME].astype(str).to_numpy() if len(pts) else [],
        "print.col.type": [label("point_type", x, lang) for x in pts[s.POINT_TYPE]] if len(pts) else [],
        "print.col.distance": [f"{d:,.0f} m" for d in pts["distance_m"]] if len(pts) else [],
    })
    lp.draw_table(fig.add_axes([0.52, 0.09, 0.40, 0.15], gid="points_panel"), table, lang=lang, fontsize=6.5)


def render_page_for(data: MapPageData | NoticeData, options: lp.PageOptions) -> Figure:
    """Render a map page or a notice board, whichever ``data`` is."""
    if isinstance(data, NoticeData):
        return render_notice_page(data, options)
    return lp.render_map_page(data, options)
