"""Repair preview (geo.io.repair_changes): what ``repair=True`` would change, before anything is saved."""
from __future__ import annotations

import geopandas as gpd
import pytest

from geo import schema as s
from geo.io import REPAIR_COLUMNS, repair_changes
from tests.shapes import SHAPES


def _grids(*names: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({s.CODE: [f"G{i}" for i in range(len(names))]},
                            geometry=[SHAPES[n] if n else None for n in names], crs=s.METRIC_CRS,
                            index=[10 * (i + 1) for i in range(len(names))])


def test_repair_changes__lists_only_invalid_features_with_reason_types_and_areas():
    changes = repair_changes(_grids("square", "bow_tie", ""), s.GRIDS)
    assert list(changes.columns) == list(REPAIR_COLUMNS)
    assert list(changes.index) == [20]  # the input's index; valid and missing rows are not listed
    row = changes.iloc[0]
    assert row["feature_id"] == "G1" and row["reason"].startswith("Self-intersection")
    assert (row["type_before"], row["type_after"]) == ("Polygon", "MultiPolygon")
    assert row["area_before_m2"] == pytest.approx(0.0, abs=1e-6)  # the bow-tie's lobes cancel
    assert row["area_after_m2"] == pytest.approx(5000.0, rel=1e-6)  # two triangles of 2,500 m²


def test_repair_changes__empty_when_every_geometry_is_valid():
    changes = repair_changes(_grids("square", "square_cw"), s.GRIDS)
    assert changes.empty and list(changes.columns) == list(REPAIR_COLUMNS)


def test_repair_changes__leaves_the_input_unchanged():
    grids = _grids("bow_tie")
    before = grids.geometry.iloc[0].wkb
    repair_changes(grids, s.GRIDS)
    assert grids.geometry.iloc[0].wkb == before
