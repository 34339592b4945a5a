"""Compose the explore map of one selection from project layers, figures and options (pure, no Streamlit)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import pandas as pd

from geo import schema as s
from geo.explore import CITY, COMMUNITY, GRID, TOWN, Selection
from geo.lod import TOLERANCE_M, simplify_levels, view_layers
from geo.messages import label, t
from geo.project import Project
from geo.rollup import Figures
from geo.validate import finding_text
from layers import style
from layers.web import CircleSpec, PointSpec, PolygonSpec, layer_group, layered_map, map_collections, view_center_zoom

METRIC_COLUMN = {"coverage": "coverage", "staffing": "staffing", "households": "households"}
Simplifier = Callable[[str, str], gpd.GeoDataFrame]  # (layer name, view) -> simplified layer


@dataclass(frozen=True)
class MapOptions:
    """What the user toggled: metric colouring, layers shown, grid levels, point types."""

    metric: str = "none"  # none | coverage | staffing | households | unit_kind (style.UNIT_KIND_MEASURE)
    category: str = "生活"
    radius_m: float = 500.0
    grid_levels: tuple[str, ...] = (s.LEVEL_GENERAL, s.LEVEL_MICRO, s.LEVEL_DEDICATED)
    show_volunteers: bool = True
    show_points: bool = True
    point_types: tuple[str, ...] | None = None  # None: all types
    show_radii: bool = False
    show_problems: bool = True
    basemap: str = "none"
    tianditu_key: str = ""
    unit_kinds: tuple[str, ...] | None = None  # micro-grids shown by kind (None: all; "none" = no kind set)
    show_projects: bool = True  # governance projects (community view)


@dataclass
class LegendInfo:
    """Legend of the map: a title and ``(hex colour, label)`` entries (measure and point types)."""

    title: str = ""
    entries: list[tuple[str, str]] = field(default_factory=list)
    points: list[tuple[str, str]] = field(default_factory=list)
    projects: list[tuple[str, str]] = field(default_factory=list)  # governance-project kinds


def simplified_layer(project: Project, layer: str, view: str) -> gpd.GeoDataFrame:
    """The whole ``layer`` simplified for ``view`` (grid levels separately): for maps over every unit.

    The explore views draw one unit at a time (``geo.lod.view_layers``); this is for maps that
    show a whole layer at once (the site suggestions over every community).
    """
    return simplify_levels(project.layer(layer), tolerance_m=TOLERANCE_M[view])


def _metric_colors(figures: pd.DataFrame, gdf: gpd.GeoDataFrame, metric: str,
                   breaks: tuple[float, ...]) -> pd.Series | None:
    if metric == "none" or len(gdf) == 0:
        return None
    if metric == style.UNIT_KIND_MEASURE:  # categorical: the grid's own kind (towns/communities: no data)
        kinds = gdf[s.KIND] if s.KIND in gdf and s.LEVEL in gdf else pd.Series(None, index=gdf.index)
        return kinds.map(style.unit_kind_color)
    column = METRIC_COLUMN[metric]
    if column not in figures:
        return pd.Series(style.NO_DATA_COLOR, index=gdf.index)
    values = figures[column].reindex(gdf[s.CODE].astype(str)).to_numpy(dtype=float)
    return pd.Series(style.colors_for(metric, values, breaks=breaks), index=gdf.index)


def _metric_breaks(figures: Figures, level: str, metric: str) -> tuple[float, ...]:
    if metric in ("none", style.UNIT_KIND_MEASURE):
        return ()
    frame = figures.get(level)
    column = METRIC_COLUMN[metric]
    return style.class_breaks(frame[column].to_numpy(dtype=float) if column in frame else [], metric)


def _with_figures(gdf: gpd.GeoDataFrame, figures: pd.DataFrame, lang: str) -> gpd.GeoDataFrame:
    """Copy of ``gdf`` with display columns: ``_hh`` households, ``_staff`` rate, ``_cov`` share, ``_lvl``,
    ``_orgs`` organisations and ``_prj`` governance projects (``geo.rollup``)."""
    out = gdf.copy()
    if len(out) == 0:
        return out
    fig = figures.reindex(out[s.CODE].astype(str))
    out["_hh"] = [f"{v:,.0f}" if pd.notna(v) else "" for v in fig.get("households", pd.Series(dtype=float))]
    out["_staff"] = [f"{v:.0%}" if pd.notna(v) else "" for v in fig.get("staffing", pd.Series(dtype=float))]
    out["_cov"] = [f"{v:.0%}" if pd.notna(v) else "" for v in fig.get("coverage", pd.Series(dtype=float))]
    out["_orgs"] = [f"{v:,.0f}" if pd.notna(v) else "" for v in fig.get("organisations", pd.Series(dtype=float))]
    out["_prj"] = [f"{v:,.0f}" if pd.notna(v) else "" for v in fig.get("gov_projects", pd.Series(dtype=float))]
    if s.LEVEL in out:
        out["_lvl"] = [label("level", lv, lang) for lv in out[s.LEVEL].astype(str)]
    return out


def _fields(lang: str, *, level: bool = False) -> dict[str, str]:
    fields = {s.NAME: t("ui.col.unit_name", lang)}  # a town's or grid's name (名称), not a person's (姓名)
    if level:
        fields["_lvl"] = t("ui.col.level", lang)
    fields.update({"_hh": t("ui.col.households", lang), "_staff": t("ui.col.staffing", lang),
                   "_cov": t("ui.col.coverage", lang), "_orgs": t("ui.gov.metric.organisations", lang),
                   "_prj": t("col.gov_projects", lang)})
    return fields


def kind_filtered(grids: gpd.GeoDataFrame, opts: MapOptions) -> gpd.GeoDataFrame:
    """``grids`` without the micro-grids whose unit kind is filtered out (``opts.unit_kinds``)."""
    if opts.unit_kinds is None or s.KIND not in grids or s.LEVEL not in grids:
        return grids
    kind = grids[s.KIND].where(grids[s.KIND].isin(s.MICRO_KINDS), s.UNIT_KIND_NONE)
    return grids[(grids[s.LEVEL] != s.LEVEL_MICRO) | kind.isin(opts.unit_kinds)]


def _grid_specs(grids: gpd.GeoDataFrame, figures: Figures, opts: MapOptions, lang: str,
                highlight: tuple[str, ...]) -> list[PolygonSpec]:
    if len(grids) == 0 or s.LEVEL not in grids:
        return []
    grids = kind_filtered(grids[grids[s.LEVEL].astype(str).isin(opts.grid_levels)], opts)
    grid_fig = figures.get(GRID)
    breaks = _metric_breaks(figures, GRID, opts.metric)
    finest = s.LEVEL_MICRO if (grids[s.LEVEL] == s.LEVEL_MICRO).any() else s.LEVEL_GENERAL
    specs = []
    for level in (s.LEVEL_MASTER, s.LEVEL_GENERAL, s.LEVEL_DEDICATED, s.LEVEL_MICRO):
        part = grids[grids[s.LEVEL].astype(str) == level]
        if len(part) == 0:
            continue
        line = style.OUTLINES.get(level, style.OUTLINES["general"])
        filled = level in (finest, s.LEVEL_DEDICATED)
        specs.append(PolygonSpec(
            _with_figures(part, grid_fig, lang), name=level, fields=_fields(lang, level=True),
            colors=_metric_colors(grid_fig, part, opts.metric, breaks) if filled else None,
            line_color=line.color, weight=max(line.width_pt * 2, 0.8) if filled else line.width_pt * 4,
            dash="4 3" if line.dash == "dashed" else None, highlight=highlight))
    return specs


def _labelled(frame: gpd.GeoDataFrame, column: str, family: str, lang: str) -> gpd.GeoDataFrame:
    """``frame`` with ``column`` shown through its label family (point types, tiers in English)."""
    if column not in frame:
        return frame
    return frame.assign(**{column: frame[column].map(lambda v: label(family, v, lang))})


def _point_specs(units: dict[str, gpd.GeoDataFrame], opts: MapOptions, lang: str) -> list:
    specs: list = []
    points = units.get("service_points", gpd.GeoDataFrame())
    if opts.show_points and len(points):
        if opts.point_types is not None and s.POINT_TYPE in points:
            points = points[points[s.POINT_TYPE].astype(str).isin(opts.point_types)]
        colors = pd.Series([style.point_symbol(v).color for v in points.get(s.POINT_TYPE, [])],
                           index=points.index, dtype=object)
        if opts.show_radii:
            specs.append(CircleSpec(points, name="radii", radius_m=opts.radius_m, colors=colors))
        shown = _labelled(points, s.POINT_TYPE, "point_type", lang)
        specs.append(PointSpec(shown, name="service_points", colors=colors, radius_px=7,
                               fields={s.NAME: t("ui.col.unit_name", lang), s.POINT_TYPE: t("ui.col.type", lang)}))
    projects = units.get("gov_projects", gpd.GeoDataFrame())
    if opts.show_projects and len(projects):
        shown = projects[[c for c in (s.NAME, s.KIND, s.STATUS, s.YEAR) if c in projects]].copy()
        shown = gpd.GeoDataFrame(shown, geometry=projects.geometry.representative_point(), crs=projects.crs)
        colors = pd.Series([style.project_symbol(k).color for k in shown.get(s.KIND, [])], index=shown.index,
                           dtype=object)
        shown = _labelled(_labelled(shown, s.KIND, "project_kind", lang), s.STATUS, "project_status", lang)
        specs.append(PointSpec(shown, name="gov_projects", colors=colors, radius_px=6,
                               fields={s.NAME: t("col.project_name", lang), s.KIND: t("col.project_kind", lang),
                                       s.STATUS: t("col.status", lang)}))
    vols = units.get("volunteers", gpd.GeoDataFrame())
    if opts.show_volunteers and len(vols):
        # no names or phones in the map payload: label volunteers by id and tier only
        cols = [c for c in (s.VOLUNTEER_ID, s.TIER, "geometry") if c in vols]
        specs.append(PointSpec(_labelled(vols[cols], s.TIER, "tier", lang), name="volunteers", radius_px=4,
                               default_color="#7b3294",
                               fields={s.VOLUNTEER_ID: t("ui.col.code", lang), s.TIER: t("ui.col.tier", lang)}))
    return specs


def problem_points(grids: gpd.GeoDataFrame, figures: Figures) -> gpd.GeoDataFrame:
    """One point per grid with a problem (short of staff, no leader, no reach), for the QA layer."""
    if len(grids) == 0:
        return grids
    fig = figures.get(GRID).reindex(grids[s.CODE].astype(str))
    bad = (fig["short"].fillna(0) > 0).to_numpy() | fig["no_leader"].fillna(False).astype(bool).to_numpy()
    if "coverage" in fig:
        bad |= (fig["coverage"] == 0).to_numpy()
    sub = grids[bad]
    return gpd.GeoDataFrame(sub[[s.CODE, s.NAME]], geometry=sub.geometry.representative_point(), crs=grids.crs)


def finding_points(findings: gpd.GeoDataFrame | None, bounds: tuple[float, ...], lang: str) -> gpd.GeoDataFrame:
    """Hierarchy/topology findings (``geo.validate``) inside ``bounds`` as points with their message."""
    empty = gpd.GeoDataFrame({"message": []}, geometry=gpd.GeoSeries([], crs=s.STORAGE_CRS))
    if findings is None or len(findings) == 0:
        return empty
    spots = findings[findings.geometry.notna() & ~findings.geometry.is_empty]
    if len(spots) == 0:
        return empty
    points = spots.geometry.to_crs(s.STORAGE_CRS).representative_point()
    minx, miny, maxx, maxy = bounds
    inside = points.x.between(minx, maxx) & points.y.between(miny, maxy)
    messages = [finding_text(row, lang, front="web") for _, row in spots[inside].iterrows()]
    return gpd.GeoDataFrame({"message": messages}, geometry=points[inside].values, crs=s.STORAGE_CRS)


@dataclass(frozen=True)
class PreparedMap:
    """One view's layers, legend and bounds with their GeoJSON built: the same for every session."""

    specs: tuple
    legend: LegendInfo
    bounds: tuple[float, ...]
    collections: tuple[dict, ...]


def build_explore_map(project: Project, selection: Selection, figures: Figures, opts: MapOptions, *,
                      lang: str = "zh", layers: dict[str, gpd.GeoDataFrame] | None = None,
                      findings: gpd.GeoDataFrame | None = None,
                      static_url: str = "/app/static") -> tuple[folium.Map, LegendInfo]:
    """The folium map of ``selection``'s view and its legend (``prepare_explore_map`` + ``prepared_folium_map``)."""
    prepared = prepare_explore_map(project, selection, figures, opts, lang=lang, layers=layers, findings=findings)
    return prepared_folium_map(prepared, opts, static_url=static_url), prepared.legend


def prepared_folium_map(prepared: PreparedMap, opts: MapOptions, *, static_url: str = "/app/static") -> folium.Map:
    """A new folium map of a prepared view (cheap: the GeoJSON is reused, never copied or changed)."""
    return layered_map(prepared.specs, bounds=prepared.bounds, basemap=opts.basemap, tianditu_key=opts.tianditu_key,
                       static_url=static_url, collections=prepared.collections)


@dataclass(frozen=True)
class LiveView:
    """One view for a map that stays in the browser: its layers as a group, where to look."""

    group: folium.FeatureGroup
    center: tuple[float, float]
    zoom: int


def live_view(prepared: PreparedMap, opts: MapOptions) -> LiveView:
    """``prepared``'s layers as one feature group with the centre and zoom that show its bounds.

    Sent with a base map that is the same in every view (``prepared_base_map``), the browser
    swaps the layers and moves the map instead of reloading Leaflet (``st_folium``'s
    ``feature_group_to_add``, ``center`` and ``zoom``).
    """
    center, zoom = view_center_zoom(prepared.bounds, basemap=opts.basemap)
    return LiveView(layer_group(prepared.specs, collections=prepared.collections), center, zoom)


def prepared_base_map(bounds: tuple[float, ...], opts: MapOptions, *, static_url: str = "/app/static") -> folium.Map:
    """An empty map over ``bounds`` (the whole place) with the basemap of ``opts``: the same in every view."""
    return layered_map([], bounds=bounds, basemap=opts.basemap, tianditu_key=opts.tianditu_key,
                       static_url=static_url, collections=[])


def prepare_explore_map(project: Project, selection: Selection, figures: Figures, opts: MapOptions, *,
                        lang: str = "zh", layers: dict[str, gpd.GeoDataFrame] | None = None,
                        findings: gpd.GeoDataFrame | None = None) -> PreparedMap:
    """The layers of ``selection``'s view, its legend and bounds, GeoJSON built (cached by the app).

    One level per view (``geo.lod``): the city view colours the towns, a town view its
    communities, a community view its grids (with staff, points and problems); the legend
    classes are those of the level drawn. ``layers``: ``geo.lod.view_layers(project,
    selection)``, cached per unit by the app (computed here when not given). ``findings``
    (``geo.validate.check_project``) are drawn as the QA layer in town and community views.
    """
    view = selection.view
    units = view_layers(project, selection) if layers is None else layers
    specs: list = []
    legend = LegendInfo()
    if view == CITY:
        specs.append(_unit_spec(units["towns"], figures, TOWN, opts, lang, fill=True))
        level_of = TOWN
    elif view == TOWN:
        specs.append(_unit_spec(units["communities"], figures, COMMUNITY, opts, lang, fill=True))
        specs.append(_outline_spec(units["outline"], "town"))
        level_of = COMMUNITY
    else:
        highlight = (selection.grid,) if selection.grid else ()
        specs.extend(_grid_specs(units["grids"], figures, opts, lang, highlight))
        specs.append(_outline_spec(units["outline"], "community"))
        if opts.show_problems:
            probs = problem_points(kind_filtered(units["grids"], opts), figures)
            specs.append(PointSpec(probs, name="problems", radius_px=5, default_color="#e31a1c",
                                   fields={s.NAME: t("ui.panel.problems", lang)}))
        specs.extend(_point_specs(units, opts, lang))
        level_of = GRID
    specs = [sp for sp in specs if sp is not None]
    if opts.metric == style.UNIT_KIND_MEASURE:
        legend.title = label("measure", opts.metric, lang)
        legend.entries = style.unit_kind_legend(lang)
    elif opts.metric != "none":
        breaks = _metric_breaks(figures, level_of, opts.metric)
        legend.title = label("measure", opts.metric, lang)
        legend.entries = style.legend_entries(opts.metric, breaks, lang=lang)
    if view == COMMUNITY and opts.show_points:
        types = sorted(set(units["service_points"].get(s.POINT_TYPE, pd.Series(dtype=str)).astype(str)))
        legend.points = [(style.point_symbol(tp).color, label("point_type", tp, lang)) for tp in types]
    if view == COMMUNITY and opts.show_projects and len(units.get("gov_projects", ())):
        kinds = [k for k in s.PROJECT_KINDS if k in set(units["gov_projects"][s.KIND].astype(str))]
        legend.projects = [(style.project_symbol(k).color, label("project_kind", k, lang)) for k in kinds]
    bounds = _bounds(units, project)
    if opts.show_problems and view != CITY:  # the city view draws towns only: findings are detail
        qa = finding_points(findings, bounds, lang)
        if len(qa):
            specs.append(PointSpec(qa, name="qa", radius_px=6, default_color="#ff7f00",
                                   fields={"message": t("ui.explore.qa_finding", lang)}))
    return PreparedMap(tuple(specs), legend, tuple(float(b) for b in bounds),
                       tuple(map_collections(specs, basemap=opts.basemap)))


def _unit_spec(gdf: gpd.GeoDataFrame, figures: Figures, level: str, opts: MapOptions, lang: str, *,
               fill: bool, interactive: bool = True) -> PolygonSpec | None:
    if len(gdf) == 0:
        return None
    fig = figures.get(level)
    line = style.OUTLINES[level]
    colors = None
    if fill:
        breaks = _metric_breaks(figures, level, opts.metric)
        colors = _metric_colors(fig, gdf, opts.metric, breaks)
        if colors is None:
            colors = pd.Series("#f2efe9", index=gdf.index)
    return PolygonSpec(_with_figures(gdf, fig, lang), name=level, fields=_fields(lang), colors=colors,
                       line_color=line.color, weight=line.width_pt * (2 if level == TOWN else 1.5),
                       fill_opacity=0.65, fill=fill, interactive=interactive)


def _outline_spec(gdf: gpd.GeoDataFrame, level: str) -> PolygonSpec | None:
    if len(gdf) == 0:
        return None
    line = style.OUTLINES[level]
    return PolygonSpec(gdf, name=f"{level}_outline", line_color=line.color, weight=line.width_pt * 3,
                       fill=False, interactive=False)


def _bounds(units: dict[str, gpd.GeoDataFrame], project: Project) -> tuple[float, ...]:
    for role in ("outline", "towns", "communities", "grids"):
        gdf = units.get(role)
        if gdf is not None and len(gdf):
            return tuple(gdf.to_crs(s.STORAGE_CRS).total_bounds)
    for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        gdf = project.layer(layer)
        if len(gdf):
            return tuple(gdf.to_crs(s.STORAGE_CRS).total_bounds)
    return (103.4, 30.5, 103.9, 30.9)  # Chongzhou


def grid_locator_map(project: Project, grid_code: str, *, lang: str = "zh", basemap: str = "none",
                     tianditu_key: str = "", static_url: str = "/app/static") -> folium.Map | None:
    """A small map of one grid (outlined in red) among its community's grids, with its assigned staff as dots.

    None when the grid has no geometry. Staff are sent by id and tier only (no names or phones).
    """
    grids = project.layer(s.GRIDS)
    if s.CODE not in grids:
        return None
    row = grids[grids[s.CODE].astype(str) == str(grid_code)]
    if len(row) == 0 or row.geometry.isna().all():
        return None
    around = row
    if s.COMMUNITY_CODE in grids and row[s.COMMUNITY_CODE].notna().any():
        around = grids[grids[s.COMMUNITY_CODE].astype(str) == str(row[s.COMMUNITY_CODE].iloc[0])]
    specs: list = [PolygonSpec(around, name="grids", fields={s.NAME: t("ui.col.unit_name", lang)},
                               line_color="#666666", weight=1.0, fill=False, highlight=(str(grid_code),))]
    rows = project.assignments()
    vols = project.layer(s.VOLUNTEERS)
    if len(rows) and len(vols) and s.VOLUNTEER_ID in vols:
        ids = set(rows.loc[rows[s.GRID_CODE].astype(str) == str(grid_code), s.VOLUNTEER_ID].astype(str))
        staff = vols[vols[s.VOLUNTEER_ID].astype(str).isin(ids)]
        cols = [c for c in (s.VOLUNTEER_ID, s.TIER, "geometry") if c in staff]
        if len(staff):
            specs.append(PointSpec(_labelled(staff[cols], s.TIER, "tier", lang), name="staff", radius_px=5,
                                   default_color="#7b3294",
                                   fields={s.VOLUNTEER_ID: t("ui.col.code", lang), s.TIER: t("ui.col.tier", lang)}))
    minx, miny, maxx, maxy = row.to_crs(s.STORAGE_CRS).total_bounds
    pad_x, pad_y = max((maxx - minx) * 0.6, 0.002), max((maxy - miny) * 0.6, 0.002)
    return layered_map(specs, bounds=(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y), basemap=basemap,
                       tianditu_key=tianditu_key, static_url=static_url)


def suggestion_map(project: Project, points: gpd.GeoDataFrame, *, radius_m: float, lang: str = "zh",
                   simplified: Simplifier | None = None, basemap: str = "none", tianditu_key: str = "",
                   static_url: str = "/app/static") -> folium.Map:
    """Suggested service points (``geo.siting.suggest_sites``) as numbered red dots with their reach circles.

    Over the communities' outlines; each dot's tooltip gives its rank and the households it adds.
    """
    simplify = simplified or (lambda layer, v: simplified_layer(project, layer, v))
    specs: list = []
    comms = simplify(s.COMMUNITIES, CITY) if s.COMMUNITIES in project.layers else gpd.GeoDataFrame()
    if len(comms):
        specs.append(PolygonSpec(comms, name="communities", fields={s.NAME: t("ui.col.unit_name", lang)},
                                 line_color=style.OUTLINES[COMMUNITY].color, weight=1.0, fill=False))
    if len(points):
        shown = points.assign(_rank=points["rank"].astype(int).astype(str),
                              _gain=[f"{v:,.0f}" for v in points["households_gained"]])
        specs.append(CircleSpec(shown, name="reach", radius_m=float(radius_m), default_color="#e31a1c"))
        specs.append(PointSpec(shown, name="suggested", radius_px=8, default_color="#e31a1c",
                               fields={"_rank": t("coverage.col.rank", lang),
                                       "_gain": t("coverage.col.households_gained", lang)}))
    frame = points if len(points) else (comms if len(comms) else None)
    bounds = tuple(frame.to_crs(s.STORAGE_CRS).total_bounds) if frame is not None else _bounds({}, project)
    if len(points) == 1:  # one point: open around its reach
        pad = radius_m / 80_000
        bounds = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    return layered_map(specs, bounds=bounds, basemap=basemap, tianditu_key=tianditu_key, static_url=static_url)
