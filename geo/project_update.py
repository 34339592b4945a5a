"""Import into a project that already exists: replace named layers only, with a diff; never lose the rest.

``update_project`` adds or replaces the layers it is given and keeps every other layer,
every table (assignments of every scenario, coverage, the audit log) and the metadata.
It returns an ``UpdateReport``: per layer the features added, removed, with changed
geometry and with changed attributes (matched by code), and what the change does to
assignments (rows whose grid or volunteer disappears) and to coverage (stale when grids
or service points moved). The audit log gets one ``import`` row naming each layer replaced, its old and new file and the diff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.audit import log_event, project_counts
from geo.hierarchy import complete_hierarchy
from geo.idcard import ID_CLEAR
from geo.project import Project, new_project
from geo.unitnames import implied_general_grids, resolve_layer_names
from geo.validate import id_column
from geo.values import now_iso

ACTION_IMPORT = "import"  # geo.audit.EVENT_ACTIONS: one audit row per import, naming what it replaced
GEOMETRY_TOLERANCE_DEG = 1e-7  # about 1 cm: closer vertices are "the same geometry"


@dataclass
class LayerDiff:
    """What replacing one layer changes, features matched by the layer's code column."""

    layer: str
    key: str
    before: int
    after: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    geometry_changed: list[str] = field(default_factory=list)
    attributes_changed: list[str] = field(default_factory=list)
    duplicate_keys: list[str] = field(default_factory=list)  # codes found twice: not matched

    @property
    def unchanged(self) -> int:
        """Features present before and after with the same geometry and attributes."""
        touched = set(self.geometry_changed) | set(self.attributes_changed)
        return self.after - len(self.added) - len(touched)

    def counts(self) -> dict[str, int]:
        """The diff as numbers, for a table or a message."""
        return {"before": self.before, "after": self.after, "added": len(self.added), "removed": len(self.removed),
                "geometry_changed": len(self.geometry_changed),
                "attributes_changed": len(self.attributes_changed), "unchanged": self.unchanged}


@dataclass
class UpdateReport:
    """The diff of an update and its effect on assignments and coverage."""

    diffs: dict[str, LayerDiff] = field(default_factory=dict)
    added_layers: list[str] = field(default_factory=list)
    replaced_layers: list[str] = field(default_factory=list)
    kept_layers: list[str] = field(default_factory=list)
    kept_tables: list[str] = field(default_factory=list)
    orphaned_assignments: dict[str, int] = field(default_factory=dict)  # scenario -> rows whose grid/volunteer went
    added_assignments: int = 0
    coverage_stale: bool = False
    inferred_parents: pd.DataFrame = field(default_factory=pd.DataFrame)  # geo.hierarchy: layer, code, column, value
    findings: list[dict] = field(default_factory=list)  # names resolved or not, general grids added (QA rows)

    def inferred_counts(self) -> dict[str, int]:
        """How many parent codes were inferred by overlap and written, per ``layer.column``."""
        if self.inferred_parents.empty:
            return {}
        keys = self.inferred_parents["layer"] + "." + self.inferred_parents["column"]
        return {str(k): int(v) for k, v in keys.value_counts().items()}

    def summary(self) -> dict[str, Any]:
        """Plain numbers per layer and the effects, for the CLI, the wizard and tests."""
        return {"layers": {k: d.counts() for k, d in self.diffs.items()}, "added_layers": self.added_layers,
                "replaced_layers": self.replaced_layers, "kept_layers": self.kept_layers,
                "kept_tables": self.kept_tables, "orphaned_assignments": self.orphaned_assignments,
                "added_assignments": self.added_assignments, "coverage_stale": self.coverage_stale,
                "inferred_parents": self.inferred_counts()}


def _keyed(gdf: gpd.GeoDataFrame, key: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    if key not in gdf.columns:
        return gdf.iloc[0:0], []
    keys = gdf[key].astype(str)
    dup = sorted(set(keys[keys.duplicated()]))
    keep = ~keys.isin(dup)
    return gdf[keep.to_numpy()].set_index(keys[keep].to_numpy()), dup


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def diff_layer(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, layer: str) -> LayerDiff:
    """Compare two versions of a layer (any CRS; compared in WGS 84), features matched by code.

    Geometry counts as changed when a vertex moved by more than about 1 cm; attributes as
    changed when any column present in either version differs as text (blank = missing).
    """
    key = id_column(layer)
    a, dup_a = _keyed(old.to_crs(s.STORAGE_CRS) if old.crs is not None else old, key)
    b, dup_b = _keyed(new.to_crs(s.STORAGE_CRS) if new.crs is not None else new, key)
    diff = LayerDiff(layer, key, len(old), len(new), duplicate_keys=sorted(set(dup_a) | set(dup_b)))
    diff.added = sorted(set(b.index) - set(a.index))
    diff.removed = sorted(set(a.index) - set(b.index))
    common = sorted(set(a.index) & set(b.index))
    if not common:
        return diff
    ga = shapely.normalize(a.geometry.reindex(common).to_numpy())
    gb = shapely.normalize(b.geometry.reindex(common).to_numpy())
    same = shapely.equals_exact(ga, gb, tolerance=GEOMETRY_TOLERANCE_DEG) | (shapely.is_missing(ga)
                                                                             & shapely.is_missing(gb))
    diff.geometry_changed = [c for c, ok in zip(common, same) if not ok]
    columns = sorted((set(a.columns) | set(b.columns)) - {a.geometry.name, b.geometry.name})
    changed = []
    for code in common:
        ra, rb = a.loc[code], b.loc[code]
        if any(_cell(ra.get(c)) != _cell(rb.get(c)) for c in columns):
            changed.append(code)
    diff.attributes_changed = changed
    return diff


def _assignment_effect(project: Project, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Per scenario, the assignment rows whose grid or volunteer is no longer in the (new) layers."""
    table = project.table(s.ASSIGNMENTS)
    if not len(table):
        return {}
    grids = layers.get(s.GRIDS, project.layer(s.GRIDS))
    vols = layers.get(s.VOLUNTEERS, project.layer(s.VOLUNTEERS))
    grid_codes = set(grids[s.CODE].astype(str)) if s.CODE in grids else set()
    micro = [c for c in grid_codes if len(c) >= 2]
    prefixes = {c[:-2] for c in micro}  # a general grid known only by its micro-grids' prefix
    vol_ids = set(vols[s.VOLUNTEER_ID].astype(str)) if s.VOLUNTEER_ID in vols else set()
    gone = ~(table[s.GRID_CODE].astype(str).isin(grid_codes | prefixes)
             & table[s.VOLUNTEER_ID].astype(str).isin(vol_ids))
    scenarios = table[s.SCENARIO].astype(object).fillna(s.DEFAULT_SCENARIO) if s.SCENARIO in table else \
        pd.Series(s.DEFAULT_SCENARIO, index=table.index)
    counts = scenarios[gone.to_numpy()].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _audit_detail(diffs: dict[str, LayerDiff], sources: dict[str, dict], clear_ids: list[str], note: str) -> str:
    """What an import read and what it replaced, for the audit row's ``from`` column."""
    parts = []
    for layer, d in diffs.items():
        c = d.counts()
        src = sources.get(layer, {})
        was = f" (was {src['old_file']})" if src.get("old_file") else ""
        parts.append(f"{layer}: {src.get('file', '?')}{was} {d.before}->{d.after} +{c['added']} -{c['removed']} "
                     f"geometry~{c['geometry_changed']} attributes~{c['attributes_changed']}")
    parts += [f"{layer}: ID numbers kept in clear (opt-in)" for layer in clear_ids]
    return "; ".join([*parts, *([note] if note else [])])


def update_project(project: Project, layers: dict[str, gpd.GeoDataFrame], *,
                   sources: dict[str, dict] | None = None, user: str = "", id_salt: str | None = None,
                   now: str | None = None, note: str = "") -> tuple[Project, UpdateReport]:
    """``project`` with ``layers`` added or replaced, everything else kept; and the diff.

    Parameters
    ----------
    layers
        New versions of some layers (``geo.schema.SPATIAL_LAYERS``), any CRS (stored in WGS 84).
    sources
        ``meta["sources"]`` entries for those layers (file, CRS, format ...), stored over the old ones.
    id_salt
        The salt the new layers' 身份证号 hashes were made with; stored when the project has none.
    note
        Added to the audit row (what else the import did, e.g. a roster's assignment rows).

    Returns
    -------
    tuple
        The updated project (not saved) and an ``UpdateReport``.
    """
    now = now or now_iso()
    report = UpdateReport()
    out = project
    old_sources = dict(project.meta.get("sources", {}))
    new_sources = dict(old_sources)
    for layer, gdf in layers.items():
        before = project.layers.get(layer)
        report.diffs[layer] = diff_layer(before if before is not None else gdf.iloc[0:0], gdf, layer=layer)
        (report.replaced_layers if before is not None else report.added_layers).append(layer)
        out = out.with_layer(layer, gdf.to_crs(s.STORAGE_CRS) if gdf.crs is not None else gdf)
        if layer not in (sources or {}) and layer in old_sources:
            continue  # rewritten from the same source (e.g. parents completed): the source stays
        entry = {**(sources or {}).get(layer, {}), "imported_at": now}
        if layer in old_sources:
            entry["old_file"] = old_sources[layer].get("file")
        new_sources[layer] = entry
    report.kept_layers = sorted(set(project.layers) - set(layers))
    report.kept_tables = sorted(project.tables)
    report.orphaned_assignments = _assignment_effect(project, layers)
    moved = [d for k, d in report.diffs.items() if k in (s.GRIDS, s.SERVICE_POINTS, s.HOUSEHOLDS)
             and (d.added or d.removed or d.geometry_changed)]
    report.coverage_stale = bool(moved) and len(project.table(s.COVERAGE)) > 0
    changes: dict[str, Any] = {"sources": new_sources}
    if id_salt and not project.meta.get("id_salt"):
        changes["id_salt"] = id_salt
    out = out.with_meta(**changes)
    clear_ids = [layer for layer, gdf in layers.items() if ID_CLEAR in gdf.columns]  # the planner's opt-in
    out = log_event(out, action=ACTION_IMPORT, user=user, obj=",".join(layers), now=now,
                    detail=_audit_detail(report.diffs, new_sources, clear_ids, note), counts=project_counts(out))
    return out, report


def _with_other_people(current: gpd.GeoDataFrame, roster: Any) -> gpd.GeoDataFrame:
    """The roster's volunteers plus the current ones that came from elsewhere (WGS 84, fresh index)."""
    # imported here: geo.roster_import reads files through geo.io, which imports this module

    new = roster.volunteers.reset_index(drop=True)
    if not len(current):
        return new
    same_file = current[s.ROSTER_FILE].astype(str) == roster.file if s.ROSTER_FILE in current else False
    same_id = current[s.VOLUNTEER_ID].astype(str).isin(set(new[s.VOLUNTEER_ID].astype(str)))
    keep = current[~(same_file | same_id)].to_crs(s.STORAGE_CRS)
    merged = pd.concat([keep, new], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=s.GEOMETRY, crs=s.STORAGE_CRS)


def apply_roster(project: Project, roster: Any, *, user: str = "", now: str | None = None
                 ) -> tuple[Project, UpdateReport]:
    """``project`` with a roster (``geo.roster_import.RosterImport``) as its volunteers layer and its rows assigned.

    The roster's people replace those an earlier import of the same roster file brought (and
    anyone with the same volunteer id); other volunteers (from a file with coordinates or another
    roster) stay. In the active scenario, the roster's rows replace earlier rows of the same
    (volunteer, grid); every other row and every other scenario is kept. The volunteers layer is
    replaced through ``update_project`` (diff, one audit row that also names the assignment rows).
    """
    now = now or now_iso()
    vols = _with_other_people(project.layer(s.VOLUNTEERS), roster)
    table = project.table(s.ASSIGNMENTS)
    rows = roster.assignments.assign(**{s.SCENARIO: project.active_scenario})
    key_new = set(zip(rows[s.VOLUNTEER_ID].astype(str), rows[s.GRID_CODE].astype(str)))
    if len(table):
        same = [(v, g) in key_new and sc == project.active_scenario for v, g, sc in
                zip(table[s.VOLUNTEER_ID].astype(str), table[s.GRID_CODE].astype(str),
                    table[s.SCENARIO].astype(object).fillna(s.DEFAULT_SCENARIO))]
        table = table[~np.asarray(same, dtype=bool)]
    merged = pd.concat([table, rows], ignore_index=True) if len(table) else rows.reset_index(drop=True)
    note = f"{s.ASSIGNMENTS}: {len(rows)} rows from roster {roster.file} ({project.active_scenario})"
    out, report = update_project(project.with_table(s.ASSIGNMENTS, merged), {s.VOLUNTEERS: vols},
                                 sources={s.VOLUNTEERS: {"file": roster.file, "sheet": roster.sheet,
                                                         "format": "xlsx", "features": len(vols)}},
                                 user=user, id_salt=roster.id_salt, now=now, note=note)
    report.added_assignments = len(rows)
    report.orphaned_assignments = _assignment_effect(out, {})
    return out, report


def import_layers(base: Project | None, loaded: dict[str, Any], *, user: str = "",
                  now: str | None = None) -> tuple[Project, UpdateReport]:
    """Loaded files (``geo.io.LoadedLayer``) into ``base`` (or a new project), the one way CLI and wizard do it.

    Community names are resolved to codes against the project's communities (new or kept,
    ``geo.unitnames``), general grids implied by micro-grid codes are added
    (``implied_general_grids``), missing parents are written by largest overlap
    (``geo.hierarchy.complete_hierarchy``), and then the layers are added or replaced
    (``update_project``: one audit row, and a diff against the old layers as completed the same
    way, so only real changes count). A kept layer whose parents the new files complete is
    replaced too, and shows in the diff. A new project records ``imported_at``.
    """
    now = now or now_iso()
    start = base if base is not None else new_project()
    layers = {layer: item.gdf for layer, item in loaded.items()}
    files = {layer: item.file for layer, item in loaded.items()}
    resolved, notes = resolve_layer_names({**start.layers, **layers}, files=files)
    if s.GRIDS in layers:  # general grids implied by micro-grid codes, when the file has none
        resolved[s.GRIDS], general = implied_general_grids(resolved[s.GRIDS], resolved.get(s.COMMUNITIES))
        notes += [{**f, "file": files[s.GRIDS]} for f in general]
    draft = start
    for layer in layers:
        draft = draft.with_layer(layer, resolved[layer])
    draft, inferred = complete_hierarchy(draft)
    touched = [*layers, *(k for k in dict.fromkeys(inferred["layer"]) if k not in layers)] if len(inferred) \
        else list(layers)
    salt = next((item.id_salt for item in loaded.values() if item.id_salt), None)
    project, report = update_project(start, {layer: draft.layer(layer) for layer in touched},
                                     sources={k: v.source_meta() for k, v in loaded.items()}, user=user,
                                     id_salt=salt, now=now)
    report.inferred_parents = inferred
    report.findings = notes
    if base is None:  # a new project records when it was imported
        project = project.with_meta(imported_at=now)
    return project, report
