"""Unit kinds of micro-grids in the "365" model (小区, 林盘, 院落): validation, the edit, statistics per kind.

The kind lives in the grid layer's ``kind`` column (``geo.schema.MICRO_KINDS`` for micro-grids,
``geo.schema.DEDICATED_KINDS`` for dedicated grids). Statistics per kind are
``geo.rollup.kind_figures``: ``group_figures`` over ``kind_members``, no second aggregation.
This module imports no reader and no roll-up, so ``geo.validate`` can call it.
"""
from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from geo import schema as s
from geo.audit import append_audit
from geo.errors import GeoInputError
from geo.hierarchy import grid_tree
from geo.project import Project
from geo.values import now_iso

KINDS_BY_LEVEL = {s.LEVEL_MICRO: s.MICRO_KINDS, s.LEVEL_DEDICATED: s.DEDICATED_KINDS}
KIND_ROWS = (*s.MICRO_KINDS, s.UNIT_KIND_NONE)  # statistics rows: the three kinds, then micro-grids with none


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype(str).str.strip() == "")


def find_unknown_kinds(grids: pd.DataFrame) -> pd.DataFrame:
    """Micro-grids and dedicated grids whose ``kind`` is not one of their level's kinds (blank is allowed).

    Returns ``code, level, kind`` of the offenders (the layer's index kept).
    """
    cols = [s.CODE, s.LEVEL, s.KIND]
    if s.KIND not in grids.columns or s.LEVEL not in grids.columns:
        return pd.DataFrame(columns=cols)
    kinds = grids[s.KIND]
    bad = pd.Series(False, index=grids.index)
    for level, allowed in KINDS_BY_LEVEL.items():
        bad |= (grids[s.LEVEL] == level) & ~_blank(kinds) & ~kinds.astype(str).isin(allowed)
    out = grids.loc[bad, [c for c in cols if c in grids.columns]].copy()
    return out.reindex(columns=cols)


def with_unit_kind(project: Project, *, grid_code: str, kind: str | None, user: str = "") -> Project:
    """``project`` with micro-grid ``grid_code`` set to ``kind`` (None or "" clears it), the edit audited.

    Raises
    ------
    GeoInputError
        ``unitkind.unknown_grid`` when no micro-grid has that code; ``unitkind.unknown`` when the
        kind is not one of ``geo.schema.MICRO_KINDS``.
    """
    grids = project.layer(s.GRIDS)
    codes = grids[s.CODE].astype(str) if s.CODE in grids.columns else pd.Series(dtype=str)
    level = grids[s.LEVEL].astype(str) if s.LEVEL in grids.columns else pd.Series("", index=grids.index)
    hit = (codes == str(grid_code)) & (level == s.LEVEL_MICRO)
    if not hit.any():
        msg = f"no micro-grid {grid_code!r}"
        raise GeoInputError(msg, code="unitkind.unknown_grid", grid_code=str(grid_code))
    text = str(kind).strip() if kind is not None and kind == kind else ""
    text = text or None
    if text is not None and text not in s.MICRO_KINDS:
        msg = f"unit kind {kind!r} not in {s.MICRO_KINDS}"
        raise GeoInputError(msg, code="unitkind.unknown", kind=str(kind), known="、".join(s.MICRO_KINDS))
    out = grids.copy()
    if s.KIND not in out.columns:
        out[s.KIND] = None
    before = out.loc[hit, s.KIND].iloc[0]
    out[s.KIND] = out[s.KIND].astype(object)
    out.loc[hit, s.KIND] = text
    record = {"id": uuid.uuid4().hex, "time": now_iso(), "user": user, "scenario": project.active_scenario,
              "action": "unit_kind", "object": str(grid_code),
              "from": "" if before is None or before != before else str(before), "to": text or ""}
    return append_audit(project.with_layer(s.GRIDS, out), [record])


def kind_members(project: Project) -> pd.DataFrame:
    """``group, grid_code``: each micro-grid in the group of its kind (``none`` when blank or unknown)."""
    tree = grid_tree(project)
    micro = tree[tree[s.LEVEL] == s.LEVEL_MICRO]
    kinds = micro[s.KIND].astype(object)
    group = np.where(kinds.isin(s.MICRO_KINDS), kinds, s.UNIT_KIND_NONE)
    return pd.DataFrame({"group": group, s.GRID_CODE: micro.index.to_numpy()})
