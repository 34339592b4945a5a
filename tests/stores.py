"""The store engines every store contract test runs on (``store_kind`` fixture).

``make_location(kind, tmp_path, name)`` returns a fresh, empty location for a project:
a GeoPackage path, or a ``postgresql://`` URL of a new database on the throwaway
PostgreSQL/PostGIS cluster the test session starts (tests/postgres.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

STORE_KINDS = [
    pytest.param("gpkg", id="gpkg"),
    pytest.param("postgis", id="postgis", marks=pytest.mark.database),
]


def make_location(kind: str, tmp_path: Path, name: str = "p") -> str:
    """A fresh location for a project in the store ``kind``."""
    if kind == "gpkg":
        return str(tmp_path / f"{name}.gpkg")
    if kind == "postgis":
        from tests.postgres import new_database_url  # starts the throwaway cluster once per session

        return new_database_url(name)
    raise ValueError(kind)
