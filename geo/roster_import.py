"""Import a 花名册 (a roster without coordinates): place each person in a grid by code or by name.

A 街道's roster lists people with 姓名, 身份证号, 联系电话, 所属社区, 所属网格 (a micro-grid
or a general grid, by name) and 职务. Each row is matched to a grid by 网格编码 when the
sheet has one, else by (所属社区, 所属网格): a name is only ever resolved within its
community (滨江花园微网格 exists in two). A general grid named 望江社区第1网格 is the set of
micro-grids whose code starts with 社区代码 + 01; its code is that 14-digit prefix.

People become volunteers: their point is the representative point of their grid
(``located_by = "grid"``), so every map, staffing and coverage function works unchanged,
and the office's placement becomes an assignment row (method ``manual``, which staffing
keeps as it is). Rows that match no grid, or several, are listed by Excel row and the
person is kept without a point (``located_by = ""``) and without an assignment.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.io import protect_personal_columns
from geo.sheets import SKIP_TOTAL, read_workbook
from geo.tables import apply_mapping, rename_by_headers
from geo.unitnames import AMBIGUOUS, MATCHED, UNMATCHED, general_grid_code, normalise_name, resolve_unit_names
from geo.validate import ERROR, INFO, WARNING, finding
from geo.values import now_iso

LOCATED_BY = "located_by"  # volunteers: "grid" when the point is the grid's representative point
POST = "post"  # volunteers: 职务 as written
SOURCE_ROW = "source_row"  # volunteers: the Excel row the person came from
GENDER = "gender"

GRID_REF = "_grid_ref"
COMMUNITY_REF = "_community_ref"
GRID_CODE_REF = "_grid_code_ref"
_HEADERS = {
    GRID_CODE_REF: ("网格编码", "网格代码", "所属网格编码", "所属网格代码", "gridcode"),
    GRID_REF: ("所属网格", "网格名称", "所在网格", "网格", "所属微网格", "grid"),
    COMMUNITY_REF: ("所属社区", "所在社区", "社区", "所属村社区", "社区名称", "村社区"),
    POST: ("职务", "岗位", "职责", "担任职务", "post", "position"),
    GENDER: ("性别", "gender", "sex"),
}

# 职务 -> (assignment role, tier, party member); the first matching prefix wins
POSTS: tuple[tuple[str, str, str | None, bool | None], ...] = (
    ("网格长", "leader", None, None),
    ("专职网格员", "worker", None, None),
    ("兼职网格员", "leader", None, None),  # the micro-grid's own worker (微网格员)
    ("微网格员", "leader", None, None),
    ("楼栋长", "member", None, None),
    ("单元长", "member", None, None),
    ("党员志愿者", "member", None, True),
    ("下沉干部(市级)", "member", "市", True),
    ("下沉干部(镇街级)", "member", "镇街", True),
    ("下沉干部(社区级)", "member", "社区", True),
    ("志愿者", "member", None, None),
)


def post_role(post: object) -> tuple[str, str | None, bool | None] | None:
    """(role, tier, party member) for a 职务 such as ``下沉干部（镇街级）``; None when not recognised."""
    text = normalise_name(post)
    for name, role, tier, party in POSTS:
        if text.startswith(normalise_name(name)):
            return role, tier, party
    return None


@dataclass
class RosterImport:
    """The result of reading a roster: volunteers, their assignment rows, and what did not fit."""

    volunteers: gpd.GeoDataFrame  # WGS 84 points (grid representative points), index = Excel row
    assignments: pd.DataFrame  # ``ASSIGNMENT_COLUMNS``
    findings: list[dict] = field(default_factory=list)
    outcome: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # row -> matched/unmatched/ambiguous
    grid_level: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # row -> micro/general
    id_salt: str | None = None
    file: str = ""
    sheet: str = ""

    def rows(self, outcome: str) -> list[int]:
        """The Excel rows with ``outcome`` (``matched``, ``unmatched``, ``ambiguous``)."""
        return [int(r) for r, o in self.outcome.items() if o == outcome]

    def per_post(self) -> dict[str, int]:
        """People per 职务 as written."""
        return {str(k): int(v) for k, v in self.volunteers[POST].value_counts().items()}


def _columns(frame: pd.DataFrame, *, mapping: dict[str, str] | None) -> pd.DataFrame:
    """Rename the placement columns to private names, then the rest as a volunteers table."""
    out, _ = apply_mapping(rename_by_headers(frame, _HEADERS), s.VOLUNTEERS, mapping=mapping)
    return out


def _grid_tables(grids: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    """Grid codes, names, communities and levels; and a representative point per code (micro and general)."""
    table = pd.DataFrame({
        s.CODE: grids[s.CODE].astype(str).to_numpy(),
        s.NAME: grids[s.NAME].map(normalise_name).to_numpy() if s.NAME in grids else "",
        s.COMMUNITY_CODE: grids[s.COMMUNITY_CODE].astype(str).to_numpy() if s.COMMUNITY_CODE in grids else "",
        s.LEVEL: grids[s.LEVEL].astype(object).to_numpy() if s.LEVEL in grids else s.LEVEL_MICRO,
    })
    wgs = grids.to_crs(s.STORAGE_CRS).geometry.to_numpy()
    points = dict(zip(table[s.CODE], shapely.point_on_surface(wgs)))
    return table, points


def _general_point(code: str, table: pd.DataFrame, grids: gpd.GeoDataFrame, cache: dict[str, object]) -> object:
    """The representative point of a general grid: its own feature, else the union of its micro-grids."""
    if code not in cache:
        members = table[s.CODE].str.startswith(code).to_numpy() & (table[s.LEVEL] == s.LEVEL_MICRO).to_numpy()
        geoms = grids.to_crs(s.STORAGE_CRS).geometry.to_numpy()[members]
        cache[code] = shapely.point_on_surface(shapely.union_all(geoms)) if len(geoms) else None
    return cache[code]


def _match_row(community: str | None, grid_ref: object, code_ref: object, table: pd.DataFrame,
               micro_codes: frozenset[str]) -> tuple[str, list[str]]:
    """(outcome, candidate codes) for one row."""
    code_text = normalise_name(code_ref)
    if code_text and (code_text in set(table[s.CODE]) or any(m.startswith(code_text) and len(m) == len(code_text) + 2
                                                             for m in micro_codes)):
        return MATCHED, [code_text]  # a grid's code, or a general grid's (its micro-grids' prefix)
    name = normalise_name(grid_ref)
    if not name:
        return UNMATCHED, []
    pool = table if community is None else table[table[s.COMMUNITY_CODE] == community]
    found = pool.loc[pool[s.NAME] == name, s.CODE].tolist()
    if not found and community is not None:
        general = general_grid_code(name, community, micro_codes=micro_codes)
        found = [general] if general else []
    if len(found) == 1:
        return MATCHED, found
    return (AMBIGUOUS if found else UNMATCHED), sorted(found)


def _person_id(hash_: object, name: object, phone: object, *, salt: str) -> str:
    """A stable volunteer id: from the salted ID hash, else from name and phone (same roster -> same ids)."""
    if isinstance(hash_, str) and hash_:
        return "P" + hash_[:10]
    key = f"{normalise_name(name)}|{phone or ''}|{salt}".encode()
    return "P" + hashlib.sha256(key).hexdigest()[:10]


def read_roster(path: str | Path, *, grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                sheet: str | None = None, mapping: dict[str, str] | None = None, id_salt: str | None = None,
                keep_id_numbers: bool = False, scenario: str = s.DEFAULT_SCENARIO,
                label: str | None = None, now: str | None = None) -> RosterImport:
    """Read a roster without coordinates and place each person in a grid.

    Parameters
    ----------
    grids
        The project's grids (``code``, ``name``, ``community_code`` as codes, ``level``).
    communities
        The project's communities (``code``, ``name``), to resolve 所属社区 names.
    id_salt
        The project's salt for 身份证号 hashes (a new one when None; returned in the result).
    keep_id_numbers
        Keep 身份证号 in clear (explicit opt-in; audited by the caller).
    scenario
        The scenario the assignment rows are written to (``project.active_scenario``).

    Returns
    -------
    RosterImport
        Volunteers (index = Excel row) with masked ID, normalised phone, 职务, tier, party
        membership, community and a point at their grid; assignment rows; findings (every
        unmatched or ambiguous row by Excel row, invalid ID numbers, unknown 职务).
    """
    path = Path(path)
    label = label or path.name
    book = read_workbook(path, label=label)
    table = book.sheet(sheet)
    df = _columns(table.frame, mapping=mapping)
    df, findings, id_salt = protect_personal_columns(df, s.VOLUNTEERS, file=label, id_salt=id_salt,
                                                     keep_id_numbers=keep_id_numbers)
    salt = id_salt or ""
    findings += _sheet_notes(table, book, label)
    grid_table, points = _grid_tables(grids)
    micro_codes = frozenset(grid_table.loc[grid_table[s.LEVEL] == s.LEVEL_MICRO, s.CODE])
    comm = resolve_unit_names(df[COMMUNITY_REF] if COMMUNITY_REF in df else pd.Series(None, index=df.index),
                              communities)
    outcome, level, codes, general_cache = {}, {}, {}, {}
    geoms = []
    for row in df.index:
        community = comm.codes.loc[row]
        if row in comm.unmatched or row in comm.ambiguous:
            result, found = UNMATCHED, []  # a community was named but is unknown: do not search every community
        else:
            result, found = _match_row(community, df[GRID_REF].get(row) if GRID_REF in df else None,
                                       df[GRID_CODE_REF].get(row) if GRID_CODE_REF in df else None,
                                       grid_table, micro_codes)
        outcome[row] = result
        code = found[0] if result == MATCHED else None
        codes[row] = code
        level[row] = None if code is None else (s.LEVEL_MICRO if code in micro_codes else s.LEVEL_GENERAL)
        point = points.get(code) if code in points else (
            _general_point(code, grid_table, grids, general_cache) if code else None)
        geoms.append(point)
        if result != MATCHED:
            findings.append(_placement_finding(result, row, df, found, comm, label))
    vols = _volunteers(df, codes, comm.codes, geoms, salt=salt, file=label)
    findings += _post_notes(vols, label)
    assignments = _assignment_rows(vols, codes, scenario=scenario, now=now or now_iso())
    return RosterImport(volunteers=vols, assignments=assignments, findings=findings,
                        outcome=pd.Series(outcome, dtype=object), grid_level=pd.Series(level, dtype=object),
                        id_salt=id_salt, file=label, sheet=table.name)


def _placement_finding(result: str, row: object, df: pd.DataFrame, found: list[str], comm, label: str) -> dict:
    grid = str(df[GRID_REF].get(row) or "") if GRID_REF in df else ""
    community = str(df[COMMUNITY_REF].get(row) or "") if COMMUNITY_REF in df else ""
    if row in comm.unmatched:
        code = "roster.community_unmatched"
    elif row in comm.ambiguous:
        code, found = "roster.community_ambiguous", comm.ambiguous[row][1]
    else:
        code = "roster.grid_ambiguous" if result == AMBIGUOUS else "roster.grid_unmatched"
    return finding(WARNING, code, s.VOLUNTEERS, str(row), file=label, detail=f"{community} {grid}".strip(),
                   related_id=", ".join(found))


def _sheet_notes(table, book, label: str) -> list[dict]:
    rows = [finding(INFO, "io.sheet_read", s.VOLUNTEERS, table.name, file=label,
                    detail=", ".join(map(str, table.header_rows)), related_id=str(table.first_data_row))]
    totals = [r for r, why in table.skipped_rows.items() if why == SKIP_TOTAL]
    if totals:
        rows.append(finding(INFO, "io.total_rows_skipped", s.VOLUNTEERS, ", ".join(map(str, totals)), file=label,
                            detail=len(totals)))
    rows += [finding(INFO, f"io.sheet_skipped.{why}", s.VOLUNTEERS, name, file=label)
             for name, why in book.skipped_sheets.items()]
    return rows


def _volunteers(df: pd.DataFrame, codes: dict, community_codes: pd.Series, geoms: list, *,
                salt: str, file: str) -> gpd.GeoDataFrame:
    out = df.drop(columns=[c for c in (GRID_REF, COMMUNITY_REF, GRID_CODE_REF) if c in df.columns]).copy()
    posts = out[POST] if POST in out else pd.Series(None, index=out.index, dtype=object)
    roles = [post_role(p) for p in posts]
    out[POST] = posts
    if s.TIER not in out:
        out[s.TIER] = pd.Series([r[1] if r else None for r in roles], index=out.index, dtype=object)
    if s.PARTY_MEMBER not in out:
        out[s.PARTY_MEMBER] = pd.Series([r[2] if r else None for r in roles], index=out.index, dtype=object)
    out[s.COMMUNITY_CODE] = community_codes.reindex(out.index).astype(object)
    out[s.GRID_CODE] = [codes[r] for r in out.index]
    hashes = out["id_number_hash"] if "id_number_hash" in out else pd.Series("", index=out.index)
    ids = [_person_id(h, n, p, salt=salt) for h, n, p in
           zip(hashes, out.get(s.NAME, pd.Series(None, index=out.index)),
               out.get(s.PHONE, pd.Series(None, index=out.index)))]
    out.insert(0, s.VOLUNTEER_ID, ids)
    out[LOCATED_BY] = ["grid" if g is not None else "" for g in geoms]
    out[SOURCE_ROW] = out.index.astype(int)
    out[s.ROSTER_FILE] = file
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=out.index, crs=s.STORAGE_CRS))


def _post_notes(vols: gpd.GeoDataFrame, label: str) -> list[dict]:
    rows = []
    unknown = [str(r) for r, p in vols[POST].items() if p and post_role(p) is None]
    if unknown:
        rows.append(finding(WARNING, "roster.post_unknown", s.VOLUNTEERS, ", ".join(unknown[:20]), file=label,
                            detail=len(unknown)))
    dup = vols[s.VOLUNTEER_ID].duplicated(keep=False).to_numpy()
    if dup.any():
        rows.append(finding(ERROR, "roster.person_twice", s.VOLUNTEERS,
                            ", ".join(map(str, vols.index[dup][:20])), file=label, detail=int(dup.sum())))
    return rows


def _assignment_rows(vols: gpd.GeoDataFrame, codes: dict, *, scenario: str, now: str) -> pd.DataFrame:
    placed = vols[vols[s.GRID_CODE].notna()]
    roles = [(post_role(p) or ("member",))[0] for p in placed[POST]]
    return pd.DataFrame({
        s.VOLUNTEER_ID: placed[s.VOLUNTEER_ID].to_numpy(dtype=object),
        s.GRID_CODE: placed[s.GRID_CODE].to_numpy(dtype=object),
        s.ROLE: np.array(roles, dtype=object), s.METHOD: "manual", s.DISTANCE_M: np.nan, s.LOCKED: False,
        s.VERSION: 1, s.UPDATED_AT: now, s.SCENARIO: scenario,
    }, columns=list(s.ASSIGNMENT_COLUMNS))
