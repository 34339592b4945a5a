"""Where a project lives: one interface, two engines.

Accounts (``geo.accounts``) live in each store's private table, read and written only by
``read_accounts`` / ``write_account``: never a layer or table of ``Project``, so no export or
print carries them.

``open_store(location)`` picks the engine from the location: a file path is a GeoPackage
(the embedded default, no server), a ``postgresql://`` URL is a PostGIS database on an
office server. Both implement ``ProjectStore``:

- ``load`` reads the whole project or only what a view needs (some layers, one town or
  community); ``read_layer`` reads one layer filtered the same way (spatial index and
  attribute filters, never the whole city for one community);
- ``save`` writes only the rows that changed since the project was loaded, in one
  transaction, with optimistic concurrency per unit: two planners who changed different
  communities both succeed; changing a unit someone else saved since raises
  ``geo.errors.ConflictError`` naming the unit.

``geo.project.save_project`` / ``load_project`` / ``read_revision`` are thin wrappers over
``open_store`` so every caller keeps working unchanged.

Shared by the engines: ``geo.store.units`` says which unit (community) a row belongs to
(through ``geo.hierarchy``), and ``Project._stored`` is the slot where an engine keeps what it
read (rows, their ids, the scope of a partial load) so its next ``save`` can diff against it;
each engine recognises only its own snapshot and otherwise diffs against what is stored.
"""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.project import Project

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@runtime_checkable
class ProjectStore(Protocol):
    """A place a project is read from and saved to."""

    location: str  # a file path or a URL without its password: safe to show and log

    def exists(self) -> bool:
        """Whether a GridAtlas project is stored here."""

    def revision(self) -> int:
        """The stored project's revision (cheap: no layer is read)."""

    def load(self, *, layers: Collection[str] | None = None, town: str | None = None,
             community: str | None = None) -> Project:
        """The project, or only ``layers`` and only the rows of one ``town`` / ``community``."""

    def read_layer(self, name: str, *, town: str | None = None, community: str | None = None,
                   bbox: tuple[float, float, float, float] | None = None,
                   columns: Collection[str] | None = None) -> gpd.GeoDataFrame:
        """One layer (or table), filtered by unit, bounding box (WGS 84) and columns."""

    def save(self, project: Project, *, expected_revision: int | None = None, user: str = "") -> Project:
        """Write what changed since ``project`` was loaded; return it as saved (new revision).

        The audit table is append-only: a save that would change or remove audit rows raises
        ``GeoInputError`` (``audit.append_only``); new rows are linked after the last stored
        row (``geo.audit.seal_audit``) and the engine refuses UPDATE/DELETE on it.
        """

    def read_accounts(self) -> list[dict[str, Any]]:
        """The sign-in accounts (``geo.accounts.ACCOUNT_FIELDS``): a private table, never part of ``load``."""

    def write_account(self, row: dict[str, Any]) -> None:
        """Insert or replace one account row, by name."""


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostGIS database rather than a file."""
    return str(location).startswith(POSTGRES_SCHEMES)


def open_store(location: str | Path) -> ProjectStore:
    """The store at ``location``: a GeoPackage path, or a ``postgresql://`` URL."""
    if is_database_url(location):
        from geo.store.postgis import PostGISStore

        return PostGISStore(str(location))
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore(Path(location))
