"""Grid codes: a configurable pattern, never renumbered; split, merge and re-gridding keep codes stable.

A code, once given, names one grid for good. When grids change:

- a grid whose shape is unchanged (same level, ``SAME_SHAPE_IOU`` overlap) keeps its code;
- every other new grid gets a **new** code: the next free number under its parent in the
  pattern (setting ``grid_code_pattern``; default the field kit's numeric pattern,
  community code + 2-digit general grid + 2-digit micro-grid);
- codes that go away are **retired**: kept in table ``grid_code_history`` (code, name, level,
  parent, community, what happened, which codes replaced it, when) and never given again.

``split_grid``, ``merge_grids`` and ``geo.autogrid.autogrid_project`` all go through
``stable_codes``; ``code_changes`` lists what a change kept, retired and added (the app's preview
before saving); ``check_code_pattern`` validates a pattern a planner types and gives example codes.
"""
from __future__ import annotations

import re
import string
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.audit import log_event
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.hierarchy import make_valid_bounded
from geo.project import Project
from geo.values import now_iso

SAME_SHAPE_IOU = 0.95  # a new grid overlapping an old one of the same level this much keeps its code
HISTORY_COLUMNS = (s.CODE, s.NAME, s.LEVEL, s.PARENT_CODE, s.COMMUNITY_CODE, "event", "replaced_by",
                   "retired_at", "user")
EVENTS = ("split", "merge", "regrid")
PLACEHOLDERS = {"general": ("community", "general"), "micro": ("community", "general", "micro")}
MAX_NUMBER = 99  # two digits by default; a pattern with wider fields allows more


def code_pattern(settings: dict[str, Any]) -> dict[str, str]:
    """The ``grid_code_pattern`` setting, checked: ``{"general": ..., "micro": ...}`` format strings.

    Raises
    ------
    GeoInputError
        ``gridcodes.bad_pattern`` when a pattern lacks a placeholder or names an unknown one.
    """
    default = s.DEFAULT_SETTINGS["grid_code_pattern"]
    pattern = {**default, **(settings.get("grid_code_pattern") or {})}
    for level, needed in PLACEHOLDERS.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern[level]) if f}
        if fields != set(needed):
            msg = f"grid code pattern {pattern[level]!r} for {level} needs exactly {{{'}, {'.join(needed)}}}"
            raise GeoInputError(msg, code="gridcodes.bad_pattern", level=level, pattern=pattern[level],
                                needed=", ".join("{" + n + "}" for n in needed))
    return pattern


EXAMPLE_NUMBERS = ((1, 23), (12, 3), (99, 99))  # (general, micro) pairs a pattern must keep apart


def check_code_pattern(pattern: dict[str, str], *, community: str) -> dict[str, str]:
    """Validate a ``grid_code_pattern`` a planner typed; example codes (``general``, ``micro``) under ``community``.

    Besides ``code_pattern``'s placeholder check, every example code must read back to its own
    numbers (``{general}{micro}`` without widths cannot tell 1-23 from 12-3).

    Raises
    ------
    GeoInputError
        ``gridcodes.bad_pattern``; ``gridcodes.ambiguous_pattern`` when codes cannot be read back.
    """
    checked = code_pattern({"grid_code_pattern": dict(pattern)})
    for general, micro in EXAMPLE_NUMBERS:
        try:
            code = checked["micro"].format(community=community, general=general, micro=micro)
            parts = parse_code(code, level=s.LEVEL_MICRO, pattern=checked)
            head = parse_code(checked["general"].format(community=community, general=general),
                              level=s.LEVEL_GENERAL, pattern=checked)
        except (ValueError, IndexError, KeyError):  # a format spec that does not take a number
            parts = head = None
        if parts != {"community": community, "general": general, "micro": micro} or \
                head != {"community": community, "general": general}:
            msg = f"grid code pattern {checked['micro']!r} cannot be read back ({general}, {micro})"
            raise GeoInputError(msg, code="gridcodes.ambiguous_pattern", pattern=checked["micro"],
                                general=general, micro=micro)
    return {s.LEVEL_GENERAL: checked["general"].format(community=community, general=1),
            s.LEVEL_MICRO: checked["micro"].format(community=community, general=1, micro=2)}


def with_code_pattern(project: Project, pattern: dict[str, str], *, user: str = "",
                      now: str | None = None) -> Project:
    """The project with setting ``grid_code_pattern`` set to ``pattern`` (checked) and an audit row.

    Codes already given are never changed; only grids coded from now on follow the new pattern.
    """
    communities = project.layer(s.COMMUNITIES)
    community = str(communities[s.CODE].iloc[0]) if s.CODE in communities.columns and len(communities) else "0"
    check_code_pattern(pattern, community=community)
    out = project.with_settings(grid_code_pattern={"general": pattern["general"], "micro": pattern["micro"]})
    return log_event(out, action="code_pattern", user=user, obj="grid_code_pattern",
                     detail=f"{pattern['general']} | {pattern['micro']}", counts={}, now=now)


def _pattern_regex(template: str) -> re.Pattern[str]:
    """A regex with one group per numbered placeholder, matching codes made by ``template``."""
    out = ""
    for literal, name, spec, _ in string.Formatter().parse(template):
        out += re.escape(literal)
        if name == "community":
            out += r"(?P<community>.+?)"
        elif name:
            width = re.match(r"0?(\d+)d", spec or "")
            out += rf"(?P<{name}>\d{{{width.group(1)}}})" if width else rf"(?P<{name}>\d+)"
    return re.compile(out + r"\Z")


def parse_code(code: str, *, level: str, pattern: dict[str, str]) -> dict[str, Any] | None:
    """The parts of ``code`` under ``pattern[level]`` (``community``, ``general``, ``micro``), or None."""
    found = _pattern_regex(pattern[level]).match(str(code))
    if not found:
        return None
    return {k: (v if k == "community" else int(v)) for k, v in found.groupdict().items()}


def history_table(project: Project) -> pd.DataFrame:
    """Table ``grid_code_history`` (``HISTORY_COLUMNS``; empty when nothing was ever retired)."""
    table = project.table(s.GRID_CODE_HISTORY)
    if len(table.columns) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    return table


def used_codes(project: Project) -> set[str]:
    """Every code ever given: the grids' and the retired ones."""
    grids = project.layer(s.GRIDS)
    now = set(grids[s.CODE].astype(str)) if s.CODE in grids.columns else set()
    return now | set(history_table(project)[s.CODE].astype(str))


def _numbers(codes: set[str], *, level: str, community: str, general: int | None,
             pattern: dict[str, str]) -> set[int]:
    """Numbers already used at ``level`` under one community (and one general number, for micro-grids)."""
    out = set()
    for code in codes:
        parts = parse_code(code, level=level, pattern=pattern)
        if parts is None or parts["community"] != community:
            continue
        if level == s.LEVEL_MICRO:
            if parts["general"] == general:
                out.add(parts["micro"])
        else:
            out.add(parts["general"])
    return out


def next_code(used: set[str], *, level: str, community: str, pattern: dict[str, str],
              general: int | None = None) -> str:
    """The next code never used at ``level`` under ``community`` (and general number ``general``).

    Raises
    ------
    GeoInputError
        ``gridcodes.exhausted`` when every number up to ``MAX_NUMBER`` is used.
    """
    taken = _numbers(used, level=level, community=community, general=general, pattern=pattern)
    number = max(taken, default=0) + 1  # never reuse a gap left by a retired code
    while number <= MAX_NUMBER:
        if level == s.LEVEL_MICRO:
            code = pattern["micro"].format(community=community, general=general or 0, micro=number)
        else:
            code = pattern["general"].format(community=community, general=number)
        if code not in used:  # a code made by an earlier pattern is never given twice either
            return code
        number += 1
    msg = f"no free {level} number under {community} {general or ''}"
    raise GeoInputError(msg, code="gridcodes.exhausted", level=level, community=community)


def _general_number(parent: str | None, *, community: str, pattern: dict[str, str], old_codes: list[str]) -> int:
    """The general-grid number a new micro-grid of ``community`` is coded under.

    Its parent's number under ``pattern``, else under the default pattern (a parent coded before
    the pattern changed), else the demo's older ``-Gnn``; a parent that is no general grid of this
    community (micro-grids directly under their community) gives the number in the codes of the
    grids replaced (``old_codes``, lowest first); 0 when none says.
    """
    patterns = (pattern, s.DEFAULT_SETTINGS["grid_code_pattern"])
    if parent and str(parent) != community:
        for candidate in patterns:
            parts = parse_code(parent, level=s.LEVEL_GENERAL, pattern=candidate)
            if parts is not None and parts["community"] == community:
                return int(parts["general"])
        legacy = re.search(r"G(\d+)\Z", str(parent))  # the demo's older <community>-Gnn codes
        if legacy:
            return int(legacy.group(1))
    numbers = sorted({int(parts["general"]) for code in old_codes for candidate in patterns
                      if (parts := parse_code(code, level=s.LEVEL_MICRO, pattern=candidate)) is not None
                      and parts["community"] == community})
    return numbers[0] if numbers else 0


def _same_shape(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> dict[int, str]:
    """New row position → old code, for new grids matching an old grid of the same level (IoU)."""
    if len(old) == 0 or len(new) == 0:
        return {}
    old_m, new_m = to_metric_crs(old), to_metric_crs(new.to_crs(old.crs))
    tree = shapely.STRtree(old_m.geometry.values)
    ni, oi = tree.query(new_m.geometry.values, predicate="intersects")
    a, b = new_m.geometry.values[ni], old_m.geometry.values[oi]
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(a) + shapely.area(b) - inter
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    same_level = old[s.LEVEL].astype(str).to_numpy()[oi] == new[s.LEVEL].astype(str).to_numpy()[ni]
    keep = (iou >= SAME_SHAPE_IOU) & same_level
    out: dict[int, str] = {}
    old_codes = old[s.CODE].astype(str).to_numpy()
    best = np.argsort(-iou[keep], kind="stable")
    for n, o in zip(ni[keep][best], oi[keep][best]):
        if n not in out and old_codes[o] not in out.values():
            out[int(n)] = old_codes[o]
    return out


def stable_codes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, used: set[str], pattern: dict[str, str],
                 event: str, now: str | None = None, user: str = "") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Codes for ``new`` grids replacing ``old`` ones: unchanged shapes keep theirs, the rest get new codes.

    ``new`` rows carry provisional codes in ``code`` and ``parent_code`` (a parent may be another
    new row's provisional code, or a grid outside the change). General grids are coded before
    micro-grids, so a micro-grid's code follows its parent's final number.

    Returns
    -------
    grids
        ``new`` with final ``code`` and ``parent_code`` (same index).
    retired
        History rows (``HISTORY_COLUMNS``) for the old codes no new grid kept.
    """
    new = new.copy()
    provisional = new[s.CODE].astype(str).tolist()
    old_codes = old[s.CODE].astype(str).tolist() if s.CODE in old.columns else []
    kept = _same_shape(old, new)
    final: dict[str, str] = {}
    taken = set(used)
    order = sorted(range(len(new)), key=lambda i: (str(new[s.LEVEL].iloc[i]) != s.LEVEL_GENERAL, i))
    for i in order:
        parent = new[s.PARENT_CODE].iloc[i] if s.PARENT_CODE in new.columns else None
        parent = final.get(str(parent), parent) if parent is not None and not pd.isna(parent) else None
        new.iloc[i, new.columns.get_loc(s.PARENT_CODE)] = parent
        if i in kept:
            code = kept[i]
        else:
            level = str(new[s.LEVEL].iloc[i])
            level = s.LEVEL_GENERAL if level == s.LEVEL_GENERAL else s.LEVEL_MICRO
            community = str(new[s.COMMUNITY_CODE].iloc[i])
            general = _general_number(parent, community=community, pattern=pattern,
                                      old_codes=old_codes) if level == s.LEVEL_MICRO else None
            code = next_code(taken, level=level, community=community, pattern=pattern, general=general)
        taken.add(code)
        final[provisional[i]] = code
    new[s.CODE] = [final[c] for c in provisional]
    retired = _retired_rows(old, new, final, event=event, now=now or now_iso(), user=user)
    return new, retired


def _retired_rows(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, final: dict[str, str], *, event: str,
                  now: str, user: str) -> pd.DataFrame:
    kept = set(final.values())
    gone = old[~old[s.CODE].astype(str).isin(kept)]
    if len(gone) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    new_m = to_metric_crs(new.to_crs(old.crs)) if len(new) else new
    old_m = to_metric_crs(gone)
    rows = []
    for k in range(len(gone)):
        geom = old_m.geometry.values[k]
        hit = shapely.area(shapely.intersection(new_m.geometry.values, geom)) > 0.01 * max(shapely.area(geom), 1.0) \
            if len(new_m) else np.zeros(0, dtype=bool)
        same = new[s.LEVEL].astype(str).to_numpy() == str(gone[s.LEVEL].iloc[k]) if len(new) else hit
        rows.append({s.CODE: str(gone[s.CODE].iloc[k]), s.NAME: gone[s.NAME].iloc[k] if s.NAME in gone else None,
                     s.LEVEL: gone[s.LEVEL].iloc[k], s.PARENT_CODE: gone.get(s.PARENT_CODE, pd.Series(
                         None, index=gone.index)).iloc[k], s.COMMUNITY_CODE: gone.get(s.COMMUNITY_CODE, pd.Series(
                             None, index=gone.index)).iloc[k], "event": event,
                     "replaced_by": ";".join(new[s.CODE].astype(str).to_numpy()[hit & same]),
                     "retired_at": now, "user": user})
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS), dtype=object)


def with_history(project: Project, retired: pd.DataFrame) -> Project:
    """The project with ``retired`` appended to table ``grid_code_history``."""
    if len(retired) == 0:
        return project
    table = pd.concat([history_table(project), retired], ignore_index=True)
    return project.with_table(s.GRID_CODE_HISTORY, table.astype(object))


def _require_grids(project: Project, codes: list[str]) -> gpd.GeoDataFrame:
    grids = project.layer(s.GRIDS)
    known = grids[s.CODE].astype(str) if s.CODE in grids.columns else pd.Series(dtype=str)
    missing = [c for c in codes if c not in set(known)]
    if missing:
        msg = f"unknown grid codes {missing}"
        raise GeoInputError(msg, code="gridcodes.unknown_grid", ids=", ".join(missing))
    return grids[known.isin(codes).to_numpy()]


def _replace(project: Project, gone: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, event: str, user: str,
             now: str | None) -> tuple[Project, list[str]]:
    pattern = code_pattern(project.settings)
    coded, retired = stable_codes(gone, new, used=used_codes(project), pattern=pattern, event=event, now=now,
                                  user=user)
    grids = project.layer(s.GRIDS)
    rest = _reparent(grids[~grids[s.CODE].astype(str).isin(gone[s.CODE].astype(str))], gone, coded)
    out = gpd.GeoDataFrame(pd.concat([rest, coded.to_crs(grids.crs)], ignore_index=True), crs=grids.crs)
    project = with_history(project.with_layer(s.GRIDS, out), retired)
    rows = project.table(s.ASSIGNMENTS)
    stale = rows[s.GRID_CODE].astype(str).isin(retired[s.CODE]) if len(rows) else pd.Series(dtype=bool)
    if stale.any():  # people of a retired grid: re-run the assignment (counted in the audit row)
        project = project.with_table(s.ASSIGNMENTS, rows[~stale].reset_index(drop=True))
    replaced = set(gone[s.CODE].astype(str))  # a piece that kept its grid's shape kept its code: not new
    added = [c for c in coded[s.CODE].astype(str) if c not in replaced]
    project = log_event(project, action=f"grid_{event}", user=user, obj=",".join(gone[s.CODE].astype(str)),
                        detail=",".join(added), counts={"retired": len(retired), "grids_added": len(added),
                                                        "assignments_removed": int(stale.sum())})
    return project, added


def split_grid(project: Project, code: str, parts: list[shapely.Geometry], *, user: str = "",
               now: str | None = None) -> tuple[Project, list[str]]:
    """Split grid ``code`` into ``parts`` (WGS 84 polygons): each part is a new grid with a new code.

    The old code is retired (``replaced_by`` the parts); the parts' households are left blank
    (the roll-up sums their buildings); children move to the part they overlap most; assignments
    to the old grid are removed (re-run the assignment). Returns the project and the new codes.

    Raises
    ------
    GeoInputError
        ``gridcodes.unknown_grid``; ``gridcodes.split_parts`` for fewer than 2 parts.
    """
    old = _require_grids(project, [str(code)])
    if len(parts) < 2:
        msg = f"a split needs at least 2 parts, got {len(parts)}"
        raise GeoInputError(msg, code="gridcodes.split_parts", grid=str(code), n=len(parts))
    row = old.iloc[0]
    new = gpd.GeoDataFrame([{**row.drop(labels=[old.geometry.name]).to_dict(), s.CODE: f"_new{i}",
                             s.NAME: f"{row.get(s.NAME) or code}-{i + 1}", s.HOUSEHOLDS_N: np.nan}
                            for i in range(len(parts))], geometry=list(_valid(np.asarray(parts, dtype=object))),
                           crs=old.crs)
    return _replace(project, old, new, event="split", user=user, now=now)


def merge_grids(project: Project, codes: list[str], *, name: str | None = None, user: str = "",
                now: str | None = None) -> tuple[Project, list[str]]:
    """Merge grids ``codes`` (same level and parent) into one new grid with a new code; all old codes retire.

    Raises
    ------
    GeoInputError
        ``gridcodes.unknown_grid``; ``gridcodes.merge_mixed`` when the grids differ in level or parent,
        or fewer than 2 are given.
    """
    codes = [str(c) for c in codes]
    old = _require_grids(project, codes)
    parents = set(old.get(s.PARENT_CODE, pd.Series(None, index=old.index)).astype(str))
    if len(old) < 2 or old[s.LEVEL].nunique() != 1 or len(parents) != 1:
        msg = f"grids {codes} do not share one level and parent"
        raise GeoInputError(msg, code="gridcodes.merge_mixed", ids=", ".join(codes))
    row = old.iloc[0]
    hh = pd.to_numeric(old.get(s.HOUSEHOLDS_N), errors="coerce")
    new = gpd.GeoDataFrame([{**row.drop(labels=[old.geometry.name]).to_dict(), s.CODE: "_new0",
                             s.NAME: name or str(row.get(s.NAME) or codes[0]),
                             s.HOUSEHOLDS_N: hh.sum() if hh is not None and hh.notna().all() else np.nan}],
                           geometry=[shapely.union_all(_valid(old.geometry.to_numpy()))], crs=old.crs)
    return _replace(project, old, new, event="merge", user=user, now=now)


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Split parts and merged grids repaired first: a part cut in metres and turned back into degrees can
    cross itself by a hair, and GEOS then refuses to merge it (a TopologyException, not a message)."""
    return make_valid_bounded(geoms, method="structure", keep_collapsed=False)


def _reparent(rest: gpd.GeoDataFrame, gone: gpd.GeoDataFrame, coded: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Children of replaced grids get the new grid they overlap most as their parent (codes unchanged)."""
    if s.PARENT_CODE not in rest.columns or len(coded) == 0:
        return rest
    orphan = rest[s.PARENT_CODE].astype(str).isin(gone[s.CODE].astype(str)).to_numpy()
    if not orphan.any():
        return rest
    rest = rest.copy()
    kids = to_metric_crs(rest[orphan])
    parents = to_metric_crs(coded.to_crs(rest.crs))
    kid_geoms, parent_geoms = kids.geometry.to_numpy(), parents.geometry.to_numpy()  # plain arrays broadcast
    share = shapely.area(shapely.intersection(kid_geoms[:, None], parent_geoms[None, :]))
    rest.loc[orphan, s.PARENT_CODE] = parents[s.CODE].astype(str).to_numpy()[share.argmax(axis=1)]
    return rest


CHANGES = ("kept", "retired", "new")


def code_changes(before: Project, after: Project) -> pd.DataFrame:
    """What a split, merge or re-gridding did to the codes: one row per code, ``change`` one of ``CHANGES``.

    Columns ``code, name, level, change, replaced_by`` (``replaced_by`` from the history rows the
    change added, for retired codes). Order: kept, retired, new, each in the layer's order.
    """
    cols = [s.CODE, s.NAME, s.LEVEL, "change", "replaced_by"]
    old, new = before.layer(s.GRIDS), after.layer(s.GRIDS)
    old_codes = old[s.CODE].astype(str).tolist() if s.CODE in old.columns else []
    new_codes = new[s.CODE].astype(str).tolist() if s.CODE in new.columns else []
    history = history_table(after)
    replaced = dict(zip(history[s.CODE].astype(str), history["replaced_by"]))
    rows = []
    for frame, codes, change, wanted in ((old, old_codes, "kept", set(new_codes)),
                                         (old, old_codes, "retired", set(old_codes) - set(new_codes)),
                                         (new, new_codes, "new", set(new_codes) - set(old_codes))):
        names = frame.get(s.NAME, pd.Series(None, index=frame.index)).tolist()
        levels = frame.get(s.LEVEL, pd.Series(None, index=frame.index)).tolist()
        for code, name, level in zip(codes, names, levels):
            if code in wanted:
                rows.append({s.CODE: code, s.NAME: name, s.LEVEL: level, "change": change,
                             "replaced_by": replaced.get(code, "") if change == "retired" else ""})
    return pd.DataFrame(rows, columns=cols)


def strip_parts(project: Project, code: str, *, n: int) -> list[shapely.Geometry]:
    """Grid ``code`` cut into ``n`` strips of equal area across its longer side (WGS 84), for ``split_grid``.

    Raises
    ------
    GeoInputError
        ``gridcodes.unknown_grid``; ``gridcodes.split_parts`` for ``n`` below 2.
    """
    grid = _require_grids(project, [str(code)])
    if n < 2:
        msg = f"a split needs at least 2 parts, got {n}"
        raise GeoInputError(msg, code="gridcodes.split_parts", grid=str(code), n=n)
    metric = to_metric_crs(grid)
    geom = metric.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    across_x = (x1 - x0) >= (y1 - y0)
    lo, hi = (x0, x1) if across_x else (y0, y1)

    def below(v: float) -> shapely.Geometry:
        box = shapely.box(x0, y0, v, y1) if across_x else shapely.box(x0, y0, x1, v)
        return shapely.intersection(geom, box)

    cuts = [lo]
    total = geom.area
    for k in range(1, n):
        a, b = cuts[-1], hi
        for _ in range(50):  # bisection: the cut leaving k/n of the area below it
            mid = (a + b) / 2
            a, b = (mid, b) if below(mid).area < total * k / n else (a, mid)
        cuts.append((a + b) / 2)
    cuts.append(hi)
    parts = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        box = shapely.box(a, y0, b, y1) if across_x else shapely.box(x0, a, x1, b)
        parts.append(shapely.intersection(geom, box))
    return gpd.GeoSeries(parts, crs=metric.crs).to_crs(grid.crs).tolist()
