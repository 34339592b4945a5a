"""Who may see and change what: roles scoped to a unit (issue #15).

A signed-in user acts within one ``Scope``: a role and the unit it covers. The scope is
enforced here in ``geo/`` (every load, query, export, print and roll-up goes through it), not
only by hiding buttons in the app.

==============  ==========================  =============  ==============================
role            unit                        may edit       may ask for unmasked personal data
==============  ==========================  =============  ==============================
``admin``       the whole project           yes            yes (logged), manages accounts
``city``        the whole project           yes            yes (logged)
``town``        one town (镇街)              inside it      yes (logged)
``community``   one community (社区/村)      inside it      yes (logged)
``viewer``      any one unit or all         no             no
==============  ==========================  =============  ==============================

What a scope covers is read from the one unit tree (``geo.hierarchy.grid_tree``): a town holds
its communities, a community its grids. ``scoped`` narrows a project to those units (every
layer and table; a 镇街 user keeps all its communities so roll-ups of the town are complete) and
narrows the store snapshot alike, so a save neither deletes nor rewrites rows the user cannot
see, and new rows outside the scope are refused by the store (``store.out_of_scope``).
``load_scoped`` reads only the scope's rows from a store. ``require_edit`` refuses viewers and
edits outside the scope; ``reveal`` is the one gate to unmasked personal data (each access is
written to the audit log with user, scope and purpose).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.errors import GeoInputError
from geo.hierarchy import community_towns, grid_tree, text_or_none, unit_grid_codes
from geo.project import Project
from geo.values import CONTROL_CHARACTERS

ADMIN, CITY, TOWN, COMMUNITY, VIEWER = "admin", "city", "town", "community", "viewer"
ROLES = (ADMIN, CITY, TOWN, COMMUNITY, VIEWER)
UNIT_LEVELS = ("town", "community")  # the levels a scope may be limited to; None = the whole project
_EDITORS = (ADMIN, CITY, TOWN, COMMUNITY)
PURPOSES = ("view", "export", "print")  # why personal data was shown in full (labels ``scope.purpose.<p>``)
PROJECT_WIDE_META = ("settings", "scenario")  # metadata every unit shares: only a whole-project scope changes it
SHARED_TABLES = (s.SCENARIOS,)  # tables of no unit every scope reads (scenario names and dates)


@dataclass(frozen=True)
class Scope:
    """A user's role and the unit it covers (``level``/``code`` None: the whole project)."""

    role: str
    level: str | None = None
    code: str | None = None
    user: str = ""

    @property
    def whole_project(self) -> bool:
        """Whether the scope covers every unit of the project."""
        return self.level is None

    @property
    def can_edit(self) -> bool:
        """Whether the role may change anything (inside its unit)."""
        return self.role in _EDITORS

    @property
    def can_unmask(self) -> bool:
        """Whether the role may ask for unmasked names, phones and ID numbers (each access logged)."""
        return self.role in _EDITORS

    @property
    def is_admin(self) -> bool:
        """Whether the role manages accounts and reads the access log."""
        return self.role == ADMIN

    @property
    def key(self) -> str:
        """A stable text naming role and unit (``community:510197001001:viewer``): cache keys, audit rows."""
        return f"{self.level or 'project'}:{self.code or '*'}:{self.role}"


LOCAL = Scope(role=ADMIN, user="")  # the command line on the planner's own machine: the whole project
NO_ACCESS = Scope(role=VIEWER, level="community", code=None, user="")  # no signed-in user: no unit, no data


# --- the units a scope covers ----------------------------------------------------------------

@dataclass(frozen=True)
class Units:
    """The codes a scope covers (None: every one) and its area (None: everywhere), WGS 84."""

    towns: frozenset[str] | None = None
    communities: frozenset[str] | None = None
    grids: frozenset[str] | None = None
    area: Any = None

    @property
    def codes(self) -> frozenset[str]:
        """Every town, community and grid code covered (empty for the whole project)."""
        return frozenset().union(*(c for c in (self.towns, self.communities, self.grids) if c is not None))


ALL_UNITS = Units()


def scope_units(project: Project, scope: Scope) -> Units:
    """The towns, communities and grids ``scope`` covers, through the unit tree (``geo.hierarchy.grid_tree``).

    A town scope covers the town, every community whose town it is and their grids; a
    community scope its community, its grids and its town's row (the parent shown in the
    chain, not the town's other communities). An unknown code covers nothing.
    """
    if scope.whole_project:
        return ALL_UNITS
    code = str(scope.code or "")
    towns_of = community_towns(project)
    tree = grid_tree(project)
    if scope.level == "town":
        comms = frozenset(str(c) for c, t in towns_of.items() if t == code)
        towns = frozenset([code]) & _codes(project.layer(s.TOWNS))
    elif scope.level == "community":
        comms = frozenset([code]) & _codes(project.layer(s.COMMUNITIES))
        town = towns_of.get(code) if code in comms else None
        towns = frozenset([str(town)]) if town is not None else frozenset()
    else:
        msg = f"unknown scope level {scope.level!r}"
        raise GeoInputError(msg, code="scope.unknown_level", level=str(scope.level))
    grids = frozenset(unit_grid_codes(tree, level=scope.level, code=code)) if (comms or scope.level == "town") \
        else frozenset()
    return Units(towns=towns, communities=comms, grids=grids, area=_area(project, scope, towns, comms))


def _codes(layer: pd.DataFrame) -> frozenset[str]:
    return frozenset(layer[s.CODE].astype(str)) if s.CODE in layer.columns else frozenset()


def _area(project: Project, scope: Scope, towns: frozenset[str], comms: frozenset[str]) -> Any:
    """The scope's ground: its town polygon (a town scope) or its communities' polygons."""
    if scope.level == "town":
        layer, codes = project.layer(s.TOWNS), towns
    else:
        layer, codes = project.layer(s.COMMUNITIES), comms
    if s.CODE not in layer.columns or not codes:
        return shapely.Polygon()
    geoms = layer.geometry[layer[s.CODE].astype(str).isin(codes)].to_numpy()
    area = shapely.union_all(shapely.make_valid(geoms[~shapely.is_missing(geoms)])) if len(geoms) else shapely.Polygon()
    shapely.prepare(area)
    return area


# --- which rows a scope holds ------------------------------------------------------------------

def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as stripped text, missing for None, NaN and blanks (``text_or_none``, vectorised)."""
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    text = frame[column].astype("string").str.strip()
    return text.where(text != "", pd.NA)


def _inside(frame: pd.DataFrame, area: Any) -> np.ndarray:
    """Whether each feature of ``frame`` lies in ``area`` (a point on its surface); False without geometry."""
    geometry = getattr(frame, "geometry", None) if "geometry" in frame.columns else None
    if geometry is None or len(frame) == 0 or area is None or area.is_empty:
        return np.zeros(len(frame), dtype=bool)
    geoms = np.asarray(geometry.to_numpy(), dtype=object)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = np.zeros(len(frame), dtype=bool)
    if ok.any():
        out[ok] = shapely.intersects(area, shapely.point_on_surface(geoms[ok]))
    return out


def _listed(frame: pd.DataFrame, column: str, codes: frozenset[str]) -> np.ndarray:
    """Whether a ``;``-joined code list cell names any of ``codes``."""
    return np.array([any(c.strip() in codes for c in str(v).split(";")) if text_or_none(v) else False
                     for v in frame[column]], dtype=bool)


def _by_unit(frame: pd.DataFrame, units: Units, *, located: bool) -> np.ndarray:
    """Rows of ``units`` by their own codes: community code, else grid code(s), else (``located``) position."""
    comm = _text(frame, s.COMMUNITY_CODE)
    grid = _text(frame, s.GRID_CODE)
    keep = np.array(comm.isin(units.communities), dtype=bool)
    undecided = np.array(comm.isna(), dtype=bool)
    if s.GRID_CODE in frame.columns:
        keep |= undecided & np.array(grid.isin(units.grids), dtype=bool)
        undecided &= np.array(grid.isna(), dtype=bool)
    if s.GRID_CODES in frame.columns:
        listed = _text(frame, s.GRID_CODES)
        keep |= undecided & _listed(frame, s.GRID_CODES, units.grids)
        undecided &= np.array(listed.isna(), dtype=bool)
    if located:
        keep |= undecided & _inside(frame, units.area)
    return keep


_TOKEN = re.compile(r"[^0-9A-Za-z_\-]+")


def _mentions(frame: pd.DataFrame, codes: frozenset[str]) -> np.ndarray:
    """Audit rows naming at least one of ``codes`` in their object, from, to or scope text (nothing else kept)."""
    cols = [c for c in ("object", "from", "to", "scope") if c in frame.columns]
    return np.array([any(tok in codes for c in cols for tok in _TOKEN.split(str(row[c] or ""))) for _, row in
                     frame[cols].iterrows()], dtype=bool) if cols and len(frame) else np.zeros(len(frame), dtype=bool)


def _row_mask(name: str, frame: pd.DataFrame, units: Units, people: frozenset[str]) -> np.ndarray:
    """Which rows of table ``name`` a scope holds; ``people``: the volunteer ids assigned to its grids."""
    n = len(frame)
    if name == s.TOWNS:
        return _text(frame, s.CODE).isin(units.towns).to_numpy()
    if name == s.COMMUNITIES:
        return _text(frame, s.CODE).isin(units.communities).to_numpy()
    if name == s.GRIDS:
        return _text(frame, s.CODE).isin(units.grids).to_numpy()
    if name == s.VOLUNTEERS:
        return np.array(_text(frame, s.VOLUNTEER_ID).isin(people), dtype=bool) | _by_unit(frame, units, located=True)
    if name in (s.HOUSEHOLDS, s.SERVICE_POINTS, s.GOV_PROJECTS):
        return _by_unit(frame, units, located=True)
    if name in SHARED_TABLES:
        return np.ones(n, dtype=bool)
    if name == s.AUDIT:
        return _mentions(frame, units.codes | people)
    if any(c in frame.columns for c in (s.GRID_CODE, s.COMMUNITY_CODE, s.GRID_CODES)):
        return _by_unit(frame, units, located="geometry" in frame.columns)
    if s.CODE in frame.columns:  # e.g. retired grid codes: rows of the scope's own codes
        return _text(frame, s.CODE).isin(units.codes).to_numpy()
    return np.zeros(n, dtype=bool)  # a table of no unit: nothing of it (refuse rather than guess)


def _people(project: Project, units: Units) -> frozenset[str]:
    """Volunteer ids assigned (in any scenario) to a grid of ``units``."""
    table = project.table(s.ASSIGNMENTS)
    if s.GRID_CODE not in table.columns or s.VOLUNTEER_ID not in table.columns:
        return frozenset()
    rows = table[_text(table, s.GRID_CODE).isin(units.grids).to_numpy()]
    return frozenset(rows[s.VOLUNTEER_ID].astype(str))


def scoped(project: Project, scope: Scope) -> Project:
    """``project`` narrowed to what ``scope`` may see: every layer and table holds only its units' rows.

    Towns, communities and grids by the unit tree; assignments, point grids, coverage and every
    table with a ``grid_code`` by grid; people by the grids they serve, their community code or
    where they live; points and projects by their community, their grids or where they lie;
    organisations and self-governance rows by the grids they serve; the audit log by the codes
    it names; a table of no unit is left empty. The whole-project scope keeps everything. The
    store snapshot is narrowed alike (see the module docstring), so the result saves safely.
    """
    if scope.whole_project:
        return replace(project, scope=scope)
    units = scope_units(project, scope)
    people = _people(project, units)

    def keep(name: str, frame: pd.DataFrame) -> np.ndarray:
        return _row_mask(name, frame, units, people)

    return _narrow(project, keep, scope=scope, units=units)


def _narrow(project: Project, keep: Any, *, scope: Scope, units: Units) -> Project:
    """The rows ``keep`` selects of every frame, with the store's snapshot narrowed the same way."""
    from geo.store.gpkg import Snapshot, narrowed_snapshot
    from geo.store.postgis import narrowed_frame

    town, community = _store_unit(scope)

    def narrow(name: str, frame: pd.DataFrame) -> pd.DataFrame:
        return narrowed_frame(frame, lambda f: keep(name, f), town=town, community=community)

    layers = {n: narrow(n, f) for n, f in project.layers.items()}
    tables = {n: narrow(n, f) for n, f in project.tables.items()}
    stored = project._stored
    if isinstance(stored, Snapshot):
        stored = narrowed_snapshot(stored, keep, town=town, community=community,
                                   communities=units.communities or ())
    return replace(project, layers=layers, tables=tables, _stored=stored, scope=scope)


def load_scoped(location: Any, scope: Scope, *, layers: Collection[str] | None = None) -> Project:
    """The rows of ``scope`` read from a store (a ``geo.store`` store, a GeoPackage path or a database URL).

    Uses the store's partial load (``load(town=..., community=...)``: indexes and filters, never
    the whole city for one community), then ``scoped`` for what the store's filter leaves
    (tables of no unit code, points near the border). Saving the result writes only its rows.
    """
    from geo.store import ProjectStore, open_store

    store = location if isinstance(location, ProjectStore) else open_store(location if isinstance(location, (str, Path))
                                                                            else str(location))
    town, community = _store_unit(scope)
    return scoped(store.load(layers=layers, town=town, community=community), scope)


def _store_unit(scope: Scope) -> tuple[str | None, str | None]:
    """The (town, community) a store reads for ``scope``; a scope without a code reads nothing ("").

    A code with control characters (a NUL ends a C string in the store's driver) names no stored
    unit: control characters are removed from every code on import (``geo.values``).
    """
    if scope.whole_project:
        return None, None
    unit = str(scope.code or "")
    unit = "" if CONTROL_CHARACTERS.search(unit) else unit
    return (unit, None) if scope.level == "town" else (None, unit)


# --- edits -------------------------------------------------------------------------------------

def _unit_label(level: str, code: str) -> str:
    return f"{level} {code}"


def require_edit(scope: Scope, project: Project, *, grids: Iterable[str] = (), communities: Iterable[str] = (),
                 towns: Iterable[str] = (), volunteers: Iterable[str] = (), whole_project: bool = False) -> None:
    """Refuse an edit ``scope`` may not make: any edit by a viewer, or one touching units outside the scope.

    Parameters
    ----------
    grids, communities, towns
        The units the edit changes (codes).
    volunteers
        People the edit changes: each must be someone the scope holds (``scoped``).
    whole_project
        The edit changes the whole project (settings, a whole layer, every community): only a
        whole-project scope may.

    Raises
    ------
    GeoInputError
        ``scope.read_only`` (a viewer), ``scope.whole_project_only`` or ``scope.out_of_scope``
        naming the first unit outside the scope.
    """
    if not scope.can_edit:
        msg = f"user {scope.user!r} ({scope.role}) may not change anything"
        raise GeoInputError(msg, code="scope.read_only", user=scope.user, role=scope.role)
    if scope.whole_project:
        return
    if whole_project:
        msg = f"{scope.key} may not change the whole project"
        raise GeoInputError(msg, code="scope.whole_project_only", user=scope.user, unit=_scope_name(scope))
    asked = {"grid": [str(c) for c in grids], "community": [str(c) for c in communities],
             "town": [str(c) for c in towns], "volunteer": [str(c) for c in volunteers]}
    if not any(asked.values()):
        return
    units = scope_units(project, scope)
    visible = (frozenset(scoped(project, scope).layer(s.VOLUNTEERS).get(s.VOLUNTEER_ID, pd.Series(dtype=object))
                         .astype(str)) if asked["volunteer"] else frozenset())
    allowed = {"grid": units.grids, "community": units.communities,
               "town": units.towns if scope.level == "town" else frozenset(), "volunteer": visible}
    for level, codes in asked.items():
        outside = [c for c in codes if c not in (allowed[level] or frozenset())]
        if outside:
            msg = f"{scope.key} may not change {level} {outside[0]!r}"
            raise GeoInputError(msg, code="scope.out_of_scope", user=scope.user, unit=_scope_name(scope),
                                level=level, code_outside=outside[0])


def require_records(scope: Scope, project: Project, records: Iterable[dict[str, Any]]) -> None:
    """``require_edit`` for a session's edit records (``geo.records``): one that changes project metadata
    (the active scenario, settings) changes the whole project; rows of other units are refused by the store."""
    require_edit(scope, project, whole_project=any(bool(r.get("meta")) for r in records))


def may_edit(scope: Scope, project: Project, **units: Any) -> bool:
    """Whether ``require_edit`` lets ``scope`` make the edit."""
    try:
        require_edit(scope, project, **units)
    except GeoInputError:
        return False
    return True


def _scope_name(scope: Scope) -> str:
    return "*" if scope.whole_project else _unit_label(str(scope.level), str(scope.code))


def save_scoped(project: Project, location: Any, scope: Scope, *, expected_revision: int | None = None,
                user: str = "") -> Project:
    """Save ``project`` for ``scope``: refused for viewers; a scoped user's project must be narrowed to the scope.

    Raises
    ------
    GeoInputError
        ``scope.read_only``; ``scope.not_narrowed`` when a scoped user's project holds rows
        outside the scope (it was not made by ``scoped``/``load_scoped``);
        ``scope.whole_project_only`` when it changes the settings or the active scenario (every
        unit's); the store's ``store.out_of_scope`` for new rows of other units.
    """
    from geo.project import save_project
    from geo.store import ProjectStore, is_database_url, open_store

    require_edit(scope, project)
    if not scope.whole_project and (project.scope is None or project.scope.key != scope.key):
        msg = f"a project of {scope.key} must be narrowed to it before it is saved"
        raise GeoInputError(msg, code="scope.not_narrowed", user=scope.user, unit=_scope_name(scope))
    if not scope.whole_project:
        store = location if isinstance(location, ProjectStore) else open_store(location)
        stored = store.load(layers=[]).meta if store.exists() else {}
        changed = [k for k in PROJECT_WIDE_META if project.meta.get(k) != stored.get(k)]
        require_edit(scope, project, whole_project=bool(changed))
        if is_database_url(store.location) and store.exists():
            # PostGIS keeps the append-only log shared by every scope: the rows this user does not
            # see go back under the new ones (``geo.audit.keep_stored``), so none counts as removed
            from geo.audit import keep_stored

            project = project.with_table(s.AUDIT, keep_stored(store.read_layer(s.AUDIT), project.table(s.AUDIT)))
    return save_project(project, location, expected_revision=expected_revision, user=user or scope.user)


# --- personal data -------------------------------------------------------------------------------

def revealed_staff(project: Project, scope: Scope, grid_codes: list[str], *, user: str = ""
                   ) -> tuple[Project, pd.DataFrame]:
    """The staff of ``grid_codes`` with full phones, on request (``reveal``, purpose ``view``): the project
    with the access logged (save it before showing the rows) and the rows. Grids outside ``scope`` are refused."""
    from geo.explore import staff_rows

    held = scope_units(project, scope).grids
    if held is None:  # the whole project
        held = frozenset(project.layer(s.GRIDS).get(s.CODE, pd.Series(dtype=object)).astype(str))
    outside = sorted(set(map(str, grid_codes)) - held)
    if outside:
        msg = f"{scope.key} may not see grid {outside[0]!r}"
        raise GeoInputError(msg, code="scope.out_of_scope", user=scope.user, unit=_scope_name(scope), level="grid",
                            code_outside=outside[0])
    rows = staff_rows(project, list(grid_codes), masked=False)
    obj = ";".join(sorted(set(map(str, grid_codes))))[:500]
    return reveal(project, scope, purpose="view", obj=obj, rows=len(rows), user=user), rows



def require_unmask(scope: Scope, *, user: str = "") -> str:
    """Refuse ``scope`` unmasked personal data unless its role may and someone is named; returns who asks.

    Raises
    ------
    GeoInputError
        ``scope.unmask_refused`` (a viewer) or ``scope.no_user``.
    """
    if not scope.can_unmask:
        msg = f"user {scope.user!r} ({scope.role}) may not see personal data in full"
        raise GeoInputError(msg, code="scope.unmask_refused", user=scope.user, role=scope.role)
    who = (scope.user or user).strip()
    if not who:
        msg = "personal data in full needs a signed-in user for the audit log"
        raise GeoInputError(msg, code="scope.no_user")
    return who


def reveal(project: Project, scope: Scope, *, purpose: str, obj: str = "", rows: int = 0, user: str = "") -> Project:
    """The one gate to unmasked personal data: refuse roles that may not; else ``project`` with the access logged.

    Each access (``purpose``: view, export or print) is written to the audit log (action
    ``personal_data``) with the user, the scope and what was shown (``obj``, ``rows``); the caller
    saves the returned project (or refuses to show the data when it cannot). ``user`` names who
    asks when the scope has no user (the command line's ``LOCAL``).

    Raises
    ------
    GeoInputError
        ``scope.unmask_refused`` for a role that may not see personal data; ``scope.no_user``
        when the scope names no user (the log must say who); ``scope.unknown_purpose``.
    """
    from geo.audit import log_personal_access

    if purpose not in PURPOSES:
        msg = f"unknown purpose {purpose!r}"
        raise GeoInputError(msg, code="scope.unknown_purpose", purpose=str(purpose), known=list(PURPOSES))
    who = require_unmask(scope, user=user)
    return log_personal_access(project, scope=replace(scope, user=who), purpose=purpose, what=obj,
                               counts={"rows": rows})
