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

from collections import Counter
from typing import Any

import numpy as np
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
_PERSON = (s.VOLUNTEER_ID, s.NAME, POST, s.ROLE, s.PHONE, s.WORK_PHONE, s.PHONE_CONSENT)  # a row's person columns
Part = dict[str, np.ndarray]  # one step's rows: ``_grid`` (position), ``_step`` and ``CHAIN_COLUMNS``, objects
_NO_ROWS: Part = {"_grid": np.empty(0, dtype=np.int64)}


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


def _community_contacts(project: Project, tree: pd.DataFrame) -> dict[str, list[dict]]:
    """Community code → its secretaries (people), else its workstations (service points as contacts)."""
    vols = project.layer(s.VOLUNTEERS)
    out: dict[str, list[dict]] = {}
    if len(vols) and POST in vols.columns and s.COMMUNITY_CODE in vols.columns:
        info = _person_info(vols)
        keys = tuple(normalise_name(p) for p in COMMUNITY_POSTS)
        def secretary(post: object) -> bool:
            key = normalise_name(post)
            return bool(key) and key.startswith(keys)

        mask = pd.Series(_each(info[POST].tolist(), secretary), index=info.index, dtype=bool)  # ~10 distinct posts
        for rec in info[mask].to_dict("records"):
            out.setdefault(str(rec[s.COMMUNITY_CODE]), []).append({**rec, s.ROLE: "secretary"})
    points = project.layer(s.SERVICE_POINTS)
    if len(points) and s.POINT_TYPE in points.columns:
        stations = points[points[s.POINT_TYPE].isin(COMMUNITY_POINT_TYPES)]
        where = service_point_grids(project)
        where = where[where[s.POINT_ID].isin(stations[s.POINT_ID].astype(str))]
        where = where.assign(community=where[s.GRID_CODE].map(tree[s.COMMUNITY_CODE])).dropna(subset=["community"])
        info = stations.assign(**{s.POINT_ID: stations[s.POINT_ID].astype(str)}).drop_duplicates(s.POINT_ID)
        phones = info[s.PHONE].tolist() if s.PHONE in info.columns else [None] * len(info)
        office = {i: {s.NAME: name, POST: kind, s.ROLE: "station", s.PHONE: phone,
                      s.PHONE_CONSENT: True}  # an office phone is public
                  for i, name, kind, phone in zip(info[s.POINT_ID].tolist(), info[s.NAME].tolist(),
                                                  info[s.POINT_TYPE].tolist(), phones)}
        for community, ids in where.drop_duplicates([s.POINT_ID, "community"]).groupby("community")[s.POINT_ID]:
            if str(community) not in out:
                out[str(community)] = [dict(office[i]) for i in ids.tolist()]
    return out


def escalation_chain(project: Project, *, scenario: str | None = None,
                     grid_codes: list[str] | None = None) -> pd.DataFrame:
    """The escalation chain of every leaf grid (or of ``grid_codes``): one row per person or gap per step.

    Columns ``CHAIN_COLUMNS``; ``gap`` is None on a person's row, else one of ``GAPS``. Ordered by
    grid (the layer's order), then step. Phones are unmasked. Built a step at a time by joins
    of the grids to their buildings, people and contacts, with no Python per row (the demo's
    ~33,000 rows: the joins take a few hundredths of a second, ``building_heads`` and the
    rules most of the rest).
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
    violations = find_violations(project, scenario=scenario)
    no_leader = set(violations.loc[violations["rule"] == "no_leader", s.GRID_CODE].dropna().astype(str))
    bld = buildings_table(project)
    heads = building_heads(project, buildings=bld)
    grids = pd.DataFrame({"_grid": np.arange(len(codes)), s.GRID_CODE: pd.Series(codes, dtype=object)})
    info = tree.loc[codes]
    micro = (info[s.LEVEL] == s.LEVEL_MICRO).to_numpy()
    parent = info[s.PARENT_CODE].to_numpy(dtype=object)
    known = pd.Series(parent, dtype=object).isin(tree.index).to_numpy()
    general = np.where(micro, np.where(known, parent, None), grids[s.GRID_CODE].to_numpy(dtype=object))
    has_general = pd.notna(general)
    parts = [
        _building_part(grids, bld, heads),
        _grid_part(grids[micro], grids.loc[micro, s.GRID_CODE], tree, people, ("leader",), no_leader, 1, "micro"),
        _grid_part(grids[has_general], pd.Series(general[has_general], dtype=object), tree, people,
                   ("leader", "worker"), no_leader, 2, "general"),
        _community_part(grids, info[s.COMMUNITY_CODE].to_numpy(dtype=object), project, tree),
    ]
    parts = [p for p in parts if len(p["_grid"])]
    if not parts:
        return pd.DataFrame(columns=list(CHAIN_COLUMNS), dtype=object)
    key = np.concatenate([p["_grid"] * len(STEPS) + p["_step"] for p in parts])
    order = np.argsort(key, kind="stable")  # grid, then step; each part is in order within its grid
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts])[order] for c in CHAIN_COLUMNS}, dtype=object)


def _part(rows: pd.DataFrame, step: str, step_n: int, level: np.ndarray | str, found: np.ndarray,
          gap: np.ndarray | str) -> Part:
    """A step's rows as object arrays: the person columns from ``rows`` where ``found``, else None and ``gap``."""
    n = len(rows)

    def objects(values: object) -> np.ndarray:
        out = np.empty(n, dtype=object)
        out[:] = values
        return out

    part = {"_grid": rows["_grid"].to_numpy(dtype=np.int64), "_step": np.full(n, step_n, dtype=np.int64),
            s.GRID_CODE: rows[s.GRID_CODE].to_numpy(dtype=object), "step": objects(step), s.LEVEL: objects(level),
            "unit_code": rows["unit_code"].to_numpy(dtype=object), "unit_name": rows["unit_name"].to_numpy(dtype=object)}
    for col in _PERSON:
        values = rows[col].to_numpy(dtype=object) if col in rows.columns else objects(None)
        part[col] = np.where(found, values, None)
    part["gap"] = np.where(found, None, gap)
    return part


def _building_part(grids: pd.DataFrame, bld: pd.DataFrame, heads: pd.DataFrame) -> Part:
    """Step ``building``: each building of the grid with each of its heads, or a ``no_building_head`` gap."""
    if len(bld) == 0:
        return _NO_ROWS
    placed = bld[s.GRID_CODE].notna().to_numpy()
    names = bld[s.NAME] if s.NAME in bld.columns else bld[s.CODE]
    own = pd.DataFrame({"_key": bld[s.GRID_CODE].to_numpy(dtype=object)[placed].astype(str),
                        "unit_code": bld[s.CODE].astype(str).to_numpy(dtype=object)[placed],
                        "unit_name": pd.Series([None if pd.isna(n) else str(n) for n in names.to_numpy(dtype=object)[
                            placed]], dtype=object),
                        "_bld": np.arange(int(placed.sum()))})
    rows = grids.merge(own, left_on=s.GRID_CODE, right_on="_key", how="inner")
    hd = heads[heads[s.BUILDING_CODE].notna()]
    hd = pd.DataFrame(hd).assign(unit_code=hd[s.BUILDING_CODE].astype(str).to_numpy(dtype=object),
                                 _head=np.arange(len(hd)), **{s.ROLE: "building_head"})
    hd = hd[[c for c in (*_PERSON, "unit_code", "_head") if c in hd.columns]]
    rows = rows.merge(hd, on="unit_code", how="left", suffixes=("", "_h"))
    rows = rows.iloc[np.lexsort((rows["_head"].fillna(-1).to_numpy(), rows["_bld"].to_numpy(),
                                 rows["_grid"].to_numpy()))].reset_index(drop=True)
    found = rows["_head"].notna().to_numpy()
    return _part(rows, "building", 0, "building", found, "no_building_head")


def _grid_part(grids: pd.DataFrame, units: pd.Series, tree: pd.DataFrame, people: pd.DataFrame,
               roles: tuple[str, ...], no_leader: set[str], step_n: int, step: str) -> Part:
    """Steps ``micro``/``general``: the people of ``roles`` in each grid's unit, or a ``no_leader``/``vacant`` gap."""
    if len(grids) == 0:
        return _NO_ROWS
    rows = pd.DataFrame({"_grid": grids["_grid"].to_numpy(), s.GRID_CODE: grids[s.GRID_CODE].to_numpy(),
                         "unit_code": units.to_numpy(dtype=object)})
    found_people = people[people[s.ROLE].isin(roles)]
    found_people = pd.DataFrame(found_people).assign(_person=np.arange(len(found_people)),
                                                     _unit=found_people[s.GRID_CODE].to_numpy(dtype=object))
    rows = rows.merge(found_people[["_unit", "_person", *[c for c in _PERSON if c in found_people.columns]]],
                      left_on="unit_code", right_on="_unit", how="left")
    rows = rows.iloc[np.lexsort((rows["_person"].fillna(-1).to_numpy(), rows["_grid"].to_numpy()))]
    rows = rows.reset_index(drop=True)
    found = rows["_person"].notna().to_numpy()
    unit = rows["unit_code"]
    gap = np.where(unit.isin(no_leader).to_numpy(), "no_leader", "vacant")
    rows["unit_name"] = pd.Series(unit.map(tree[s.NAME]).to_numpy(dtype=object), dtype=object)
    return _part(rows, step, step_n, unit.map(tree[s.LEVEL]).to_numpy(dtype=object), found, gap)


def _community_part(grids: pd.DataFrame, community: np.ndarray, project: Project,
                    tree: pd.DataFrame) -> Part:
    """Step ``community``: the community's contacts (``_community_contacts``), or a ``no_community_contact`` gap."""
    contacts = _community_contacts(project, tree)
    comms = project.layer(s.COMMUNITIES)
    comm_names = dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str))) if len(comms) else {}
    keys = [None if c is None else str(c) for c in community]
    rows = pd.DataFrame({"_grid": grids["_grid"].to_numpy(), s.GRID_CODE: grids[s.GRID_CODE].to_numpy(),
                         "unit_code": pd.Series(community, dtype=object),
                         "unit_name": pd.Series([comm_names.get(str(c)) for c in community], dtype=object),
                         "_key": pd.Series(keys, dtype=object)})
    listed = pd.DataFrame([{"_key": key, **{c: p.get(c) for c in _PERSON}} for key, found in contacts.items()
                           for p in found], columns=["_key", *_PERSON], dtype=object)
    listed["_person"] = np.arange(len(listed))
    rows = rows.merge(listed, on="_key", how="left")
    rows = rows.iloc[np.lexsort((rows["_person"].fillna(-1).to_numpy(dtype=float), rows["_grid"].to_numpy()))]
    rows = rows.reset_index(drop=True)
    found = rows["_person"].notna().to_numpy()
    return _part(rows, "community", 3, "community", found, "no_community_contact")


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


def _each(values: list, func: Any) -> list:
    """``func`` of each value, called once per distinct value (a name or phone recurs in many grids)."""
    done: dict[tuple[type, Any], Any] = {}
    out = []
    for value in values:
        key = (type(value), value)
        if key not in done:
            done[key] = func(value)
        out.append(done[key])
    return out


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
    names = pd.Series(_each(found[s.NAME].tolist(), privacy.name), index=found.index, dtype=object)
    station = (found[s.ROLE] == "station").to_numpy()  # a workstation is an office, not a person
    names[station] = [str(n) for n in found.loc[station, s.NAME].tolist()]
    phones = pd.Series(_each(work.tolist(), lambda p: privacy.phone(p) if p is not None and not pd.isna(p) else ""),
                       index=found.index, dtype=object)
    gap_words = {g: t(f"chain.gap.{g}", lang) for g in GAPS}
    cell_gap, cell_unit, cell_count = (t(f"chain.cell.{k}", lang) for k in ("gap", "unit", "count"))
    listing, names_sep = t("chain.cell.list", lang), t("chain.cell.names", lang)
    text = pd.Series([cell_gap.format(gap=gap_words.get(g, g)) if isinstance(g, str) else "" for g in gap.tolist()],
                     index=chain.index, dtype=object)
    text[found.index] = _person_text(names, posts, phones, lang)
    building = step == "building"
    by_grid = chain[s.GRID_CODE]
    out = pd.DataFrame(index=pd.Index(grids, name=s.GRID_CODE))
    grid_n, _ = pd.factorize(chain[s.GRID_CODE].to_numpy(dtype=object))  # the position of each row's grid in grids
    own = chain[(chain["unit_code"] == by_grid) & step.isin(["micro", "general"])]
    out["grid_name"] = own.drop_duplicates(s.GRID_CODE).set_index(s.GRID_CODE)["unit_name"]
    where = building.to_numpy()
    unit_n, units = pd.factorize(chain["unit_code"].to_numpy(dtype=object)[where])
    pairs = np.unique(grid_n[where].astype(np.int64) * max(len(units), 1) + unit_n)  # distinct (grid, building)
    out["chain_buildings"] = np.bincount(pairs // max(len(units), 1), minlength=len(grids))
    unheaded = building & (gap == "no_building_head")
    out["chain_buildings_unheaded"] = np.bincount(grid_n, weights=unheaded.to_numpy(), minlength=len(grids))
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
    counted = Counter(zip(gaps[s.GRID_CODE].tolist(), gaps["gap"].tolist()))
    words = [cell_count.format(gap=gap_words.get(g, str(g)), n=counted[(c, g)]) if counted[(c, g)] > 1 else
             gap_words.get(g, str(g)) for c, g in zip(listed[s.GRID_CODE].tolist(), listed["gap"].tolist())]
    out["chain_gap_n"] = np.bincount(grid_n, weights=gap.notna().to_numpy(), minlength=len(grids))
    out["chain_gap"] = _joined(listed[s.GRID_CODE], pd.Series(words), listing)
    for col in ("chain_buildings", "chain_buildings_unheaded", "chain_gap_n"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("grid_name", "chain_building_heads", "chain_micro", "chain_general", "chain_community", "chain_gap"):
        out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out.reset_index()[list(CHAIN_SHEET_COLUMNS)]
