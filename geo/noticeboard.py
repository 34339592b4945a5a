"""The content of a grid's notice board (公示牌) that layers/atlas.py draws: 四至, chain, contacts, QR code.

- 四至 (``boundary_description``): what lies east, south, west and north of the grid: the
  neighbouring grids of its level, named roads (a ``roads`` layer with a ``name`` column, when
  the project has one) and landmarks (service points just outside); a side with none of them
  names the neighbouring community, else stays empty;
- the escalation chain (``geo.escalation``) with phones shown as the board shows them:
  **work** phone (``work_phone``, else ``phone``) in full only when the person consented
  (``phone_consent``), masked otherwise (``geo.privacy.notice_phone``);
- a QR code (``segno``, offline) encoding the ``notice_qr_url`` setting when set (``{grid}`` is
  replaced by the grid code), else a MeCard contact card of the grid's first consenting contact,
  else of the supervision phone (setting ``supervision_phone``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import segno
import shapely

from geo import schema as s
from geo.audit import log_event
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.escalation import escalation_chain
from geo.privacy import has_consent, mask_name, notice_phone
from geo.project import Project

SIDES = ("east", "south", "west", "north")
TOUCH_M = 5.0  # grids closer than this share a boundary
LANDMARK_M = 100.0  # service points this close outside the grid name a side
ROADS = "roads"  # optional line layer of named roads
QR_ERROR = "m"  # segno error correction level (15 %)


def _side(dx: float, dy: float) -> str:
    """The compass side of a direction (east = +x), by 90° sectors."""
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return SIDES[0] if angle < 45 or angle >= 315 else (
        "north" if angle < 135 else ("west" if angle < 225 else "south"))


def _add(out: dict[str, list[str]], side: str, name: object) -> None:
    text = "" if name is None or (isinstance(name, float) and pd.isna(name)) else str(name).strip()
    if text and text not in out[side]:
        out[side].append(text)


def boundary_description(project: Project, grid_code: str) -> dict[str, list[str]]:
    """四至 of one grid: side (``SIDES``) → names of the grids, roads and landmarks there (nearest first)."""
    grids = project.layer(s.GRIDS)
    out: dict[str, list[str]] = {side: [] for side in SIDES}
    row = grids[grids[s.CODE].astype(str) == str(grid_code)]
    if len(row) == 0:
        return out
    metric = to_metric_crs(grids)
    geom = metric.geometry.values[grids.index.get_loc(row.index[0])]
    centre = shapely.centroid(geom)
    same = metric[(grids[s.LEVEL] == row[s.LEVEL].iloc[0]).to_numpy()
                  & (grids[s.CODE].astype(str) != str(grid_code)).to_numpy()]
    near = same[shapely.dwithin(same.geometry.values, geom, TOUCH_M)]
    rim = shapely.buffer(shapely.boundary(geom), TOUCH_M)
    for name, other in zip(near[s.NAME], near.geometry.values):
        _by_parts(out, shapely.intersection(rim, other), centre, name)
    _roads(out, project, geom, centre)
    _landmarks(out, project, geom, centre)
    _communities(out, project, row, geom, centre)
    return out


def _by_parts(out: dict[str, list[str]], shared: shapely.Geometry, centre: shapely.Point, name: object) -> None:
    """Name ``name`` on every side where a part of the shared strip lies (a long neighbour may flank two)."""
    if shared.is_empty:
        return
    total = shared.area or 1.0
    for part in shapely.get_parts(shared):
        if part.area >= 0.2 * total or part.area == total:
            c = shapely.centroid(part)
            _add(out, _side(c.x - centre.x, c.y - centre.y), name)


def _roads(out: dict[str, list[str]], project: Project, geom: shapely.Geometry, centre: shapely.Point) -> None:
    roads = project.layers.get(ROADS)
    if roads is None or len(roads) == 0 or s.NAME not in roads.columns:
        return
    metric = to_metric_crs(roads)
    rim = shapely.buffer(shapely.boundary(geom), 30.0)
    for name, line in zip(metric[s.NAME], metric.geometry.values):
        piece = shapely.intersection(line, rim)
        if not piece.is_empty and piece.length > 0.2 * max(shapely.length(shapely.boundary(geom)) / 8, 1.0):
            c = shapely.centroid(piece)
            _add(out, _side(c.x - centre.x, c.y - centre.y), name)


def _landmarks(out: dict[str, list[str]], project: Project, geom: shapely.Geometry, centre: shapely.Point) -> None:
    points = project.layer(s.SERVICE_POINTS)
    if len(points) == 0 or s.NAME not in points.columns:
        return
    metric = to_metric_crs(points)
    dist = shapely.distance(metric.geometry.values, geom)
    near = (dist > 0) & (dist <= LANDMARK_M)
    for k in np.argsort(dist, kind="stable"):
        if near[k]:
            p = metric.geometry.values[k]
            _add(out, _side(p.x - centre.x, p.y - centre.y), metric[s.NAME].iloc[k])


def _communities(out: dict[str, list[str]], project: Project, row: gpd.GeoDataFrame, geom: shapely.Geometry,
                 centre: shapely.Point) -> None:
    """Sides still empty name the neighbouring community across the grid's edge, if any."""
    comms = project.layer(s.COMMUNITIES)
    if len(comms) == 0 or all(out.values()):
        return
    own = str(row[s.COMMUNITY_CODE].iloc[0]) if s.COMMUNITY_CODE in row.columns else ""
    metric = to_metric_crs(comms)
    other = metric[metric[s.CODE].astype(str) != own]
    rim = shapely.buffer(shapely.boundary(geom), TOUCH_M)
    filled = {k for k, v in out.items() if v}
    for name, poly in zip(other[s.NAME], other.geometry.values):
        shared = shapely.intersection(rim, poly)
        for part in shapely.get_parts(shared) if not shared.is_empty else []:
            c = shapely.centroid(part)
            side = _side(c.x - centre.x, c.y - centre.y)
            if side not in filled:
                _add(out, side, name)


def notice_chain(project: Project, grid_code: str, *, scenario: str | None = None,
                 mask_names: bool = False) -> pd.DataFrame:
    """The grid's escalation chain as the board shows it: phones by consent, names masked on request.

    Columns of ``geo.escalation.CHAIN_COLUMNS`` plus ``shown_phone`` and ``consented``; the raw
    ``phone``/``work_phone`` columns are dropped.
    """
    chain = escalation_chain(project, scenario=scenario, grid_codes=[str(grid_code)])
    consented = chain[s.PHONE_CONSENT].map(has_consent)
    work = chain[s.WORK_PHONE].where(chain[s.WORK_PHONE].notna() & (chain[s.WORK_PHONE].astype(str) != ""),
                                     chain[s.PHONE])
    shown = [notice_phone(p, consented=c) if p is not None and not pd.isna(p) else ""
             for p, c in zip(work, consented)]
    out = chain.drop(columns=[s.PHONE, s.WORK_PHONE]).assign(shown_phone=shown, consented=consented.to_numpy())
    if mask_names:
        out[s.NAME] = out[s.NAME].map(lambda n: mask_name(n) if n is not None else None)
    return out


def qr_payload(project: Project, grid_code: str, grid_name: str, chain: pd.DataFrame) -> str:
    """What the board's QR code encodes: the URL setting, else a MeCard contact card (see module docstring)."""
    url = str(project.settings.get("notice_qr_url") or "").strip()
    if url:
        return url.replace("{grid}", str(grid_code))
    people = chain[chain["consented"].astype(bool) & chain[s.NAME].notna()
                   & chain["shown_phone"].astype(bool) & chain["step"].isin(("micro", "general"))]
    if len(people):
        first = people.iloc[0]
        name, phone = str(first[s.NAME]), str(first["shown_phone"])
    else:
        name, phone = grid_name, str(project.settings.get("supervision_phone") or "")
    return _mecard(name=name, phone=phone, note=f"{grid_name} {grid_code}")


def _mecard(*, name: str, phone: str, note: str) -> str:
    def esc(text: str) -> str:
        return "".join("\\" + ch if ch in '\\;:,"' else ch for ch in text)

    tel = f"TEL:{esc(phone)};" if phone else ""
    return f"MECARD:N:{esc(name)};{tel}NOTE:{esc(note)};;"


def qr_modules(payload: str) -> np.ndarray:
    """The QR code of ``payload`` as a boolean module matrix (True = dark), without the quiet zone."""
    qr = segno.make_qr(payload, error=QR_ERROR, boost_error=False)
    return np.array([list(row) for row in qr.matrix], dtype=bool)


def with_phone_consent(project: Project, *, consented: Iterable[str], withdrawn: Iterable[str] = (),
                       user: str = "") -> Project:
    """The project with ``phone_consent`` set for people ``consented`` and cleared for ``withdrawn`` (ids).

    Logged in the audit table (``phone_consent``: who changed it, which people).

    Raises
    ------
    GeoInputError
        ``notice.unknown_people`` naming ids that are not volunteers.
    """
    vols = project.layer(s.VOLUNTEERS)
    ids = vols[s.VOLUNTEER_ID].astype(str) if s.VOLUNTEER_ID in vols.columns else pd.Series(dtype=str)
    yes, no = [str(v) for v in consented], [str(v) for v in withdrawn]
    unknown = sorted(set(yes + no) - set(ids))
    if unknown:
        msg = f"unknown volunteer ids {unknown}"
        raise GeoInputError(msg, code="notice.unknown_people", ids=", ".join(unknown[:20]))
    out = vols.copy()
    current = out[s.PHONE_CONSENT].map(has_consent) if s.PHONE_CONSENT in out.columns else pd.Series(
        False, index=out.index)
    out[s.PHONE_CONSENT] = current.where(~ids.isin(no), False).where(~ids.isin(yes), True).astype(bool)
    project = project.with_layer(s.VOLUNTEERS, out)
    return log_event(project, action="phone_consent", user=user, obj=s.VOLUNTEERS,
                     detail=f"+{','.join(yes)} -{','.join(no)}", counts={"added": len(yes), "removed": len(no)})
