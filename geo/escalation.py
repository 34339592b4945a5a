"""The escalation chain (上报链) of each grid: 楼栋长 → 微网格长 → 网格长/专职网格员 → 社区书记/工作站, gaps flagged.

"私事止于楼栋、小事止于小区、大事止于社区": a matter goes up the chain until someone settles
it. Steps, for every leaf grid (micro-grids, and general or dedicated grids without children):

1. ``building``: the 楼栋长/单元长 of each of its buildings (``geo.buildings``); gap
   ``no_building_head`` for a building nobody heads;
2. ``micro``: the micro-grid's leader (微网格长/兼职网格员; micro-grids only);
3. ``general``: the leader and worker (网格长, 专职网格员) of its general grid (its parent, or
   itself when it is one);
4. ``community``: people whose post starts with ``COMMUNITY_POSTS`` in its community, else the
   community's workstation (``COMMUNITY_POINT_TYPES`` located in the community's grids).

Gaps of steps 2 and 3 are ``geo.rules``' ``no_leader`` violations of that grid (the one rule);
a step with nobody and no rule violation (a grid without a target) is a gap ``vacant``.
Phones are returned unmasked: every caller shows them through ``geo.privacy``.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from geo import schema as s
from geo.buildings import POST, building_heads, buildings_table
from geo.hierarchy import grid_tree
from geo.messages import t
from geo.project import Project
from geo.rollup import service_point_grids
from geo.rules import find_violations
from geo.unitnames import normalise_name

STEPS = ("building", "micro", "general", "community")
GAPS = ("no_building_head", "no_leader", "vacant", "no_community_contact")
COMMUNITY_POSTS = ("社区书记", "社区党委书记", "村党组织书记", "书记")
COMMUNITY_POINT_TYPES = ("社区工作站", "党群服务中心")
ROLE_LABELS = ("building_head", "secretary", "station")  # chain roles besides schema.ROLES (``chain.role.*``)
CHAIN_COLUMNS = (s.GRID_CODE, "step", s.LEVEL, "unit_code", "unit_name", s.VOLUNTEER_ID, s.NAME, POST, s.ROLE,
                 s.PHONE, s.WORK_PHONE, s.PHONE_CONSENT, "gap")


def _people(project: Project, scenario: str | None) -> pd.DataFrame:
    """Assignment rows of one scenario joined to the people's name, post and phones."""
    rows = project.assignments(scenario)
    vols = project.layer(s.VOLUNTEERS)
    if len(rows) == 0 or len(vols) == 0:
        return pd.DataFrame(columns=[s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID, s.NAME, POST, s.PHONE, s.WORK_PHONE,
                                     s.PHONE_CONSENT])
    info = _person_info(vols)
    merged = rows[[s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID]].astype({s.GRID_CODE: str, s.VOLUNTEER_ID: str}).merge(
        info, on=s.VOLUNTEER_ID, how="left")
    order = {"leader": 0, "worker": 1, "member": 2}
    return merged.sort_values([s.GRID_CODE, s.ROLE], key=lambda c: c.map(order) if c.name == s.ROLE else c,
                              kind="stable")


def _person_info(vols: pd.DataFrame) -> pd.DataFrame:
    info = pd.DataFrame({s.VOLUNTEER_ID: vols[s.VOLUNTEER_ID].astype(str).to_numpy()})
    for col in (s.NAME, POST, s.PHONE, s.WORK_PHONE, s.PHONE_CONSENT, s.COMMUNITY_CODE):
        info[col] = vols[col].to_numpy() if col in vols.columns else None
    return info.drop_duplicates(s.VOLUNTEER_ID)


def _row(grid: str, step: str, level: str, unit_code: str | None, unit_name: str | None, person: dict | None,
         gap: str | None, role: str | None = None) -> dict:
    person = person or {}
    return {s.GRID_CODE: grid, "step": step, s.LEVEL: level, "unit_code": unit_code, "unit_name": unit_name,
            s.VOLUNTEER_ID: person.get(s.VOLUNTEER_ID), s.NAME: person.get(s.NAME), POST: person.get(POST),
            s.ROLE: role or person.get(s.ROLE), s.PHONE: person.get(s.PHONE), s.WORK_PHONE: person.get(s.WORK_PHONE),
            s.PHONE_CONSENT: person.get(s.PHONE_CONSENT), "gap": gap}


def _community_contacts(project: Project, tree: pd.DataFrame) -> dict[str, list[dict]]:
    """Community code → its secretaries (people), else its workstations (service points as contacts)."""
    vols = project.layer(s.VOLUNTEERS)
    out: dict[str, list[dict]] = {}
    if len(vols) and POST in vols.columns and s.COMMUNITY_CODE in vols.columns:
        info = _person_info(vols)
        keys = tuple(normalise_name(p) for p in COMMUNITY_POSTS)
        mask = info[POST].map(lambda p: normalise_name(p).startswith(keys) if normalise_name(p) else False)
        for rec in info[mask].to_dict("records"):
            out.setdefault(str(rec[s.COMMUNITY_CODE]), []).append({**rec, s.ROLE: "secretary"})
    points = project.layer(s.SERVICE_POINTS)
    if len(points) and s.POINT_TYPE in points.columns:
        stations = points[points[s.POINT_TYPE].isin(COMMUNITY_POINT_TYPES)]
        where = service_point_grids(project)
        where = where[where[s.POINT_ID].isin(stations[s.POINT_ID].astype(str))]
        where = where.assign(community=where[s.GRID_CODE].map(tree[s.COMMUNITY_CODE])).dropna(subset=["community"])
        info = stations.assign(**{s.POINT_ID: stations[s.POINT_ID].astype(str)}).set_index(s.POINT_ID)
        for community, ids in where.drop_duplicates([s.POINT_ID, "community"]).groupby("community")[s.POINT_ID]:
            if str(community) in out:
                continue
            out[str(community)] = [{s.NAME: info.at[i, s.NAME], POST: info.at[i, s.POINT_TYPE], s.ROLE: "station",
                                    s.PHONE: info.at[i, s.PHONE] if s.PHONE in info.columns else None,
                                    s.PHONE_CONSENT: True}  # an office phone is public
                                   for i in ids]
    return out


def escalation_chain(project: Project, *, scenario: str | None = None,
                     grid_codes: list[str] | None = None) -> pd.DataFrame:
    """The escalation chain of every leaf grid (or of ``grid_codes``): one row per person or gap per step.

    Columns ``CHAIN_COLUMNS``; ``gap`` is None on a person's row, else one of ``GAPS``. Ordered by
    grid (the layer's order), then step. Phones are unmasked.
    """
    tree = grid_tree(project)
    if len(tree) == 0:
        return pd.DataFrame(columns=list(CHAIN_COLUMNS), dtype=object)
    codes = [c for c in (grid_codes if grid_codes is not None else tree.index[tree["is_leaf"].astype(bool)])
             if c in tree.index]
    people = _people(project, scenario)
    if grid_codes is not None:  # one board: only the rows of these grids and their parents
        wanted = set(codes) | {p for p in tree.loc[codes, s.PARENT_CODE] if p is not None}
        people = people[people[s.GRID_CODE].isin(wanted)]
    by_grid = _group_records(people, s.GRID_CODE)
    violations = find_violations(project, scenario=scenario)
    no_leader = set(violations.loc[violations["rule"] == "no_leader", s.GRID_CODE].dropna().astype(str))
    bld = buildings_table(project)
    heads = building_heads(project, buildings=bld)
    heads_by = _group_records(heads, s.BUILDING_CODE)
    bld_by: dict[str, list[tuple[str, str | None]]] = {}
    names = bld[s.NAME] if s.NAME in bld.columns else bld[s.CODE]
    for grid, code, name in zip(bld[s.GRID_CODE].tolist(), bld[s.CODE].astype(str).tolist(), names.tolist()):
        if grid is not None and grid == grid:  # not None, not NaN (lists: an Arrow array is slow to walk)
            bld_by.setdefault(str(grid), []).append((code, None if pd.isna(name) else str(name)))
    contacts = _community_contacts(project, tree)
    comms = project.layer(s.COMMUNITIES)
    comm_names = dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str))) if len(comms) else {}
    info = tree[[s.LEVEL, s.NAME, s.PARENT_CODE, s.COMMUNITY_CODE]].to_dict("index")
    rows: list[dict] = []
    for code in codes:
        rows += _building_rows(code, bld_by.get(code), heads_by)
        level = info[code][s.LEVEL]
        if level == s.LEVEL_MICRO:
            rows += _grid_rows(code, "micro", code, info, by_grid, ("leader",), no_leader)
        parent = info[code][s.PARENT_CODE]
        general = code if level != s.LEVEL_MICRO else (parent if parent in info else None)
        if general is not None:
            rows += _grid_rows(code, "general", general, info, by_grid, ("leader", "worker"), no_leader)
        community = info[code][s.COMMUNITY_CODE]
        found = contacts.get(str(community), []) if community is not None else []
        name = comm_names.get(str(community))
        rows += [_row(code, "community", "community", community, name, p, None) for p in found] or [
            _row(code, "community", "community", community, name, None, "no_community_contact")]
    return pd.DataFrame(rows, columns=list(CHAIN_COLUMNS), dtype=object)


def _group_records(frame: pd.DataFrame, column: str) -> dict[str, list[dict]]:
    """Rows of ``frame`` as dicts, grouped by ``column`` (text), in frame order."""
    out: dict[str, list[dict]] = {}
    for rec in frame.to_dict("records"):
        key = rec.get(column)
        if key is not None and not pd.isna(key):
            out.setdefault(str(key), []).append(rec)
    return out


def _building_rows(grid: str, bld: list[tuple[str, str | None]] | None,
                   heads_by: dict[str, list[dict]]) -> list[dict]:
    if bld is None:
        return []
    rows = []
    for code, name in bld:
        found = heads_by.get(code, [])
        rows += [_row(grid, "building", "building", code, name, p, None, role="building_head") for p in found] or [
            _row(grid, "building", "building", code, name, None, "no_building_head")]
    return rows


def _grid_rows(grid: str, step: str, unit: str, info: dict[str, dict], by_grid: dict[str, list[dict]],
               roles: tuple[str, ...], no_leader: set[str]) -> list[dict]:
    level, name = info[unit][s.LEVEL], info[unit][s.NAME]
    found = [p for p in by_grid.get(unit, []) if p[s.ROLE] in roles]
    if found:
        return [_row(grid, step, level, unit, name, p, None) for p in found]
    return [_row(grid, step, level, unit, name, None, "no_leader" if unit in no_leader else "vacant")]


def chain_gaps(chain: pd.DataFrame) -> pd.DataFrame:
    """The gap rows of a chain, one per (unit, gap) (a building or general grid is listed once, not per grid)."""
    gaps = chain[chain["gap"].notna()]
    return gaps.drop_duplicates(["step", "unit_code", "gap"]).reset_index(drop=True)


CHAIN_SHEET_COLUMNS = (s.GRID_CODE, "grid_name", "chain_buildings", "chain_buildings_unheaded", "chain_building_heads",
                       "chain_micro", "chain_general", "chain_community", "chain_gap_n", "chain_gap")


def _person_text(names: pd.Series, posts: list[str], phones: pd.Series, lang: str) -> pd.Series:
    """``姓名（职务，电话）`` per row (``chain.cell.person``; name, post or phone left out when empty)."""
    person, sep = t("chain.cell.person", lang), t("chain.cell.detail", lang)
    inner = [sep.join(x for x in (post, phone) if x) for post, phone in zip(posts, phones.tolist())]
    return pd.Series([person.format(name=n, detail=i) if n and i else (n or i) for n, i in zip(names.tolist(), inner)],
                     index=names.index, dtype=object)


def _joined(keys: pd.Series, values: pd.Series, sep: str) -> pd.Series:
    """``values`` joined by ``sep`` per key, in row order (a dict pass: pandas' groupby join is slow per group)."""
    out: dict[Any, list[str]] = {}
    for key, value in zip(keys.tolist(), values.tolist()):
        out.setdefault(key, []).append(value)
    return pd.Series({k: sep.join(v) for k, v in out.items()}, dtype=object)


def chain_export_table(chain: pd.DataFrame, *, privacy: Any, lang: str) -> pd.DataFrame:
    """The chain as an export sheet, **one row per grid** (``CHAIN_SHEET_COLUMNS``), in the chain's grid order.

    Steps are columns: the grid's buildings and how many have no 楼栋长 (the
    ``no_building_head`` gaps), the 楼栋长 names, then the people of the micro-grid, general
    grid and community steps as ``姓名（职务，电话）`` joined by ``；`` (the general and
    community units named first). A step with nobody shows its gap in words in brackets;
    ``chain_gap_n`` counts the grid's gap rows and ``chain_gap`` lists them in words
    (buildings as ``楼栋无楼栋长 ×n``). ``privacy`` is a ``geo.export_tables.Privacy`` (its
    ``name`` and ``phone`` decide what is shown).
    """
    if len(chain) == 0:
        return pd.DataFrame(columns=list(CHAIN_SHEET_COLUMNS))
    grids = pd.unique(chain[s.GRID_CODE])
    step = chain["step"]
    gap = chain["gap"]
    found = chain[gap.isna()]  # the people's rows (most building rows are gaps)
    work = found[s.WORK_PHONE].where(found[s.WORK_PHONE].notna(), found[s.PHONE])
    roles = {r: (t(f"chain.role.{r}", lang) if r in ROLE_LABELS else (t(f"role.{r}", lang) if r else ""))
             for r in {r for r in found[s.ROLE] if isinstance(r, str)}}
    posts = [p if isinstance(p, str) and p else roles.get(r, "") if isinstance(r, str) else ""
             for p, r in zip(found[POST].tolist(), found[s.ROLE].tolist())]
    names = pd.Series([str(n) if r == "station" else privacy.name(n)  # a workstation is an office, not a person
                       for n, r in zip(found[s.NAME].tolist(), found[s.ROLE].tolist())], index=found.index, dtype=object)
    phones = work.map(lambda p: privacy.phone(p) if p is not None and not pd.isna(p) else "")
    gap_words = {g: t(f"chain.gap.{g}", lang) for g in GAPS}
    cell_gap, cell_unit, cell_count = (t(f"chain.cell.{k}", lang) for k in ("gap", "unit", "count"))
    listing, names_sep = t("chain.cell.list", lang), t("chain.cell.names", lang)
    text = pd.Series([cell_gap.format(gap=gap_words.get(g, g)) if isinstance(g, str) else "" for g in gap.tolist()],
                     index=chain.index, dtype=object)
    text[found.index] = _person_text(names, posts, phones, lang)
    building = step == "building"
    by_grid = chain[s.GRID_CODE]
    out = pd.DataFrame(index=pd.Index(grids, name=s.GRID_CODE))
    own = chain[(chain["unit_code"] == by_grid) & step.isin(["micro", "general"])]
    out["grid_name"] = own.drop_duplicates(s.GRID_CODE).set_index(s.GRID_CODE)["unit_name"]
    out["chain_buildings"] = chain[building].groupby(by_grid[building])["unit_code"].nunique()
    unheaded = building & (gap == "no_building_head")
    out["chain_buildings_unheaded"] = unheaded.groupby(by_grid).sum()
    heads = found.index[found["step"] == "building"]
    out["chain_building_heads"] = _joined(by_grid[heads], names[heads], names_sep)
    for key in ("micro", "general", "community"):
        rows = step == key
        cells = text[rows]
        if key == "micro":
            out[f"chain_{key}"] = _joined(by_grid[rows], cells, listing)
            continue
        unit = chain.loc[rows, "unit_name"].fillna(chain.loc[rows, "unit_code"]).fillna("").astype(str)
        joined = _joined(pd.Series(list(zip(by_grid[rows], unit))), cells, listing)  # the unit named once
        named = pd.Series([cell_unit.format(unit=u, people=c) if u else c for (_, u), c in zip(joined.index, joined)],
                          index=[g for g, _ in joined.index])
        out[f"chain_{key}"] = _joined(pd.Series(named.index), named, listing)
    gaps = chain[gap.notna()]
    listed = gaps.drop_duplicates([s.GRID_CODE, "gap"])
    counted = gaps.groupby([s.GRID_CODE, "gap"]).size().to_dict()
    words = [cell_count.format(gap=gap_words.get(g, str(g)), n=counted[(c, g)]) if counted[(c, g)] > 1 else
             gap_words.get(g, str(g)) for c, g in zip(listed[s.GRID_CODE].tolist(), listed["gap"].tolist())]
    out["chain_gap_n"] = gap.notna().groupby(by_grid).sum()
    out["chain_gap"] = _joined(listed[s.GRID_CODE], pd.Series(words), listing)
    for col in ("chain_buildings", "chain_buildings_unheaded", "chain_gap_n"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("grid_name", "chain_building_heads", "chain_micro", "chain_general", "chain_community", "chain_gap"):
        out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out.reset_index()[list(CHAIN_SHEET_COLUMNS)]
