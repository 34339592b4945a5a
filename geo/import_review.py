"""The import wizard's logic: guess what each file is by its content, load them all, review problems in words.

``guess_target`` looks at geometry type, columns and code lengths, not at the file name
(网格员名单.csv is a list of people, not grid boundaries). ``load_files`` reads every file
and collects each file's error instead of stopping at the first. ``qa_kinds`` and
``qa_table`` turn findings into words for a planner, with remedies phrased for the web
form (``geo.messages`` front ``web``: never a command-line flag).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from geo import schema as s
from geo.errors import GeoInputError
from geo.govprojects import PROJECT_HEADERS
from geo.idcard import find_id_column
from geo.io import POLYGON_LAYERS, LoadedLayer, RawFrame, load_layer, read_raw
from geo.messages import CATALOGUE, t
from geo.sanity import area_of
from geo.selfgov import SELFGOV_HEADERS
from geo.tables import LAT, LON, normalise_header, synonyms_for
from geo.validate import finding_text

ROSTER = "roster"  # a list of people without coordinates (placed by grid name)
ORGANISATIONS = "organisations"  # organisations entering the grid (no coordinates)
SKIP = ""

_PERSON_HEADERS = {"姓名", "联系电话", "手机", "手机号", "电话", "职务", "性别", "身份证号"}
_PLACEMENT_HEADERS = {"所属网格", "网格名称", "所在网格", "所属微网格", "服务小区网格名称", "服务网格"}
_ORG_HEADERS = {"负责人", "服务小区网格名称", "服务网格", "组织名称"}
_GRID_HEADERS = {"网格编码", "网格名称", "网格代码", "网格编号", "层级", "网格层级"}
_COMMUNITY_HEADERS = {"社区名称", "社区代码", "社区编码", "村社区名称"}
_TOWN_HEADERS = {"镇街名称", "镇街代码", "镇街编码", "乡镇名称", "街道名称"}
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Guess:
    """What a file most likely is (a project layer, ``roster``, ``organisations`` or skip) and why."""

    target: str
    reason: str  # a catalogue key "guess.<reason>"


def _headers(frame: pd.DataFrame) -> set[str]:
    return {normalise_header(c) for c in frame.columns if c != s.GEOMETRY}


def _code_lengths(frame: pd.DataFrame) -> set[int]:
    lengths: set[int] = set()
    for col in frame.columns:
        if col == s.GEOMETRY:
            continue
        values = frame[col].dropna().astype(str).head(50)
        if len(values) and values.map(lambda v: bool(_DIGITS.match(v))).all():
            lengths |= set(values.str.len())
    return lengths


def _polygon_guess(headers: set[str], lengths: set[int]) -> Guess:
    norm = {normalise_header(h) for h in _GRID_HEADERS}
    if headers & norm or lengths & {14, 16}:
        return Guess(s.GRIDS, "grid_columns")
    if headers & {normalise_header(h) for h in _TOWN_HEADERS} and not headers & {
            normalise_header(h) for h in _COMMUNITY_HEADERS}:
        return Guess(s.TOWNS, "town_columns")
    if headers & {normalise_header(h) for h in _COMMUNITY_HEADERS}:
        return Guess(s.COMMUNITIES, "community_columns")
    return Guess(SKIP, "polygons_unknown")


def _table_guess(frame: pd.DataFrame, headers: set[str], has_xy: bool) -> Guess:
    if headers & {normalise_header(h) for h in PROJECT_HEADERS}:
        return Guess(s.GOV_PROJECTS, "project_columns")
    if not has_xy and headers & {normalise_header(h) for h in SELFGOV_HEADERS}:
        return Guess(s.SELFGOV, "selfgov_columns")
    person = bool(headers & {normalise_header(h) for h in _PERSON_HEADERS}) or find_id_column(frame) is not None
    placed = bool(headers & {normalise_header(h) for h in _PLACEMENT_HEADERS})
    if not has_xy:
        if headers & {normalise_header(h) for h in _ORG_HEADERS}:
            return Guess(ORGANISATIONS, "organisation_columns")
        if person and placed:
            return Guess(ROSTER, "roster_without_coordinates")
        return Guess(SKIP, "no_coordinates")
    if person:
        return Guess(s.VOLUNTEERS, "person_columns")
    kinds = frame[next(iter(c for c in frame.columns if normalise_header(c) in {"类型", "点位类型", "type"}),
                       frame.columns[0])].astype(str)
    if kinds.isin(list(s.POINT_TYPES)).any():
        return Guess(s.SERVICE_POINTS, "service_point_types")
    if normalise_header("户数") in headers or s.HOUSEHOLDS_N in headers:
        return Guess(s.HOUSEHOLDS, "household_counts")
    return Guess(s.SERVICE_POINTS, "points")


def guess_target(raw: RawFrame) -> Guess:
    """Guess the target of a file read as-is, from its geometry type, columns and code lengths."""
    frame = pd.DataFrame(raw.frame)
    headers = _headers(frame)
    if s.GEOMETRY in frame.columns and raw.fmt not in ("csv", "xlsx"):
        geoms = raw.frame.geometry.to_numpy()
        types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        if types and types <= {3, 6}:
            return _polygon_guess(headers, _code_lengths(frame))
        if types and types <= {0, 4}:
            return _table_guess(frame, headers, has_xy=True)
        return Guess(SKIP, "geometry_unknown")
    table = synonyms_for(s.VOLUNTEERS)
    has_xy = {table.get(h) for h in headers} >= {LON, LAT}
    return _table_guess(frame, headers, has_xy)


def guess_file(path: str | Path, *, label: str | None = None) -> Guess:
    """``guess_target`` for a file on disk; an unreadable file is skipped with its reason."""
    try:
        raw = read_raw(path, target=s.GRIDS, label=label)
    except GeoInputError:
        return Guess(SKIP, "unreadable")
    return guess_target(raw)


# --- loading every file, all problems at once --------------------------------------------------

@dataclass(frozen=True)
class FilePlan:
    """One file and how the planner declared it: target layer, CRS, column mapping, repair."""

    path: Path
    target: str
    crs: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()
    label: str = ""
    repair: bool = False


@dataclass
class LoadOutcome:
    """Every loaded layer, and every file's error (code and context), never only the first."""

    loaded: dict[str, LoadedLayer] = field(default_factory=dict)
    errors: dict[str, GeoInputError] = field(default_factory=dict)  # file label -> error

    def findings(self) -> list[dict]:
        """The notes and warnings of every loaded file."""
        return [f for item in self.loaded.values() for f in item.findings]


def load_plan(plan: FilePlan, *, id_salt: str | None = None, area: shapely.Geometry | None = None) -> LoadedLayer:
    """``geo.io.load_layer`` for one plan (points checked against ``area``, WGS 84)."""
    return load_layer(plan.path, plan.target, crs=plan.crs, mapping=dict(plan.mapping) or None,
                      label=plan.label or plan.path.name, id_salt=id_salt, repair=plan.repair, area=area)


def load_files(plans: Iterable[FilePlan], *, id_salt: str | None = None,
               loader: Callable[..., LoadedLayer] | None = None,
               known_layers: Mapping[str, Any] | None = None) -> LoadOutcome:
    """Load every planned layer file; collect each file's ``GeoInputError`` instead of stopping.

    Polygon layers load first; point layers are then checked against the project area
    (``geo.sanity.area_of`` of ``known_layers`` and the polygons just loaded). Rosters and
    organisation sheets (no coordinates) are placed later, once the grids are known.
    ``loader(plan, area=...)`` replaces ``load_plan`` (the app passes its cached reader).
    """
    out = LoadOutcome()
    todo = [p for p in plans if p.target not in (SKIP, ROSTER, ORGANISATIONS)]
    todo.sort(key=lambda p: p.target not in POLYGON_LAYERS)
    for plan in todo:
        area = None
        if plan.target not in POLYGON_LAYERS:
            area = area_of({**(known_layers or {}), **{k: v.gdf for k, v in out.loaded.items()}})
        try:
            out.loaded[plan.target] = (loader(plan, area=area) if loader
                                       else load_plan(plan, id_salt=id_salt, area=area))
        except GeoInputError as exc:
            out.errors[plan.label or plan.path.name] = exc
    return out


# --- words for the web form --------------------------------------------------------------------

def _kind(code: str, lang: str) -> str:
    key = f"qa.kind.{code}"
    return t(key, lang) if key in CATALOGUE else t("qa.kind.other", lang)


def qa_kinds(findings: pd.DataFrame | list[dict], lang: str) -> pd.DataFrame:
    """One row per kind of problem, in words: severity, kind, how many, one example; errors first."""
    rows = pd.DataFrame(list(findings) if isinstance(findings, list) else findings)
    columns = [t(f"qa.col.{c}", lang) for c in ("severity", "kind", "count", "example")]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    order = {"error": 0, "warning": 1, "info": 2}
    out = []
    for (severity, code), group in rows.groupby(["severity", "code"], sort=False):
        first = group.iloc[0]
        out.append((order.get(str(severity), 3), t(f"check.severity.{severity}", lang), _kind(str(code), lang),
                    len(group), finding_text(first, lang, front="web")))
    out.sort(key=lambda r: (r[0], -r[3]))
    return pd.DataFrame([r[1:] for r in out], columns=columns)


def qa_table(findings: pd.DataFrame | list[dict], lang: str) -> pd.DataFrame:
    """Every finding in words (severity, kind, file, feature, message), blanks instead of None."""
    rows = pd.DataFrame(list(findings) if isinstance(findings, list) else findings)
    columns = [t(f"qa.col.{c}", lang) for c in ("severity", "kind", "file", "feature", "message")]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    data = [(t(f"check.severity.{r['severity']}", lang), _kind(str(r["code"]), lang), r.get("file") or "",
             r.get("feature_id") or "", finding_text(r, lang, front="web"))
            for _, r in rows.iterrows()]
    return pd.DataFrame(data, columns=columns).fillna("")


def counts_by_kind(findings: pd.DataFrame | list[dict]) -> Mapping[str, int]:
    """How many findings of each code (for tests and summaries)."""
    rows = pd.DataFrame(list(findings) if isinstance(findings, list) else findings)
    return {} if rows.empty else rows["code"].value_counts().to_dict()
