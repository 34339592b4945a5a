"""Shared map styles (layers/style.py): measures, class breaks, colours, legends and symbols."""
from __future__ import annotations

import math

import pytest

from geo import schema as s
from geo.errors import GeoInputError
from geo.messages import label
from layers import style


def test_class_breaks__fixed_measures_ignore_the_data():
    assert style.class_breaks([0.1, 5.0], "staffing") == (0.5, 0.8, 1.0)
    assert style.class_breaks([], "coverage:生活") == (0.2, 0.4, 0.6, 0.8)


def test_class_breaks__households_are_rounded_quantiles_without_duplicates():
    breaks = style.class_breaks([33, 40, 80, 80, 120, 500, 900, None, math.nan], "households")
    assert list(breaks) == sorted(set(breaks))
    assert all(b == float(f"{b:.2g}") for b in breaks)  # 2 significant digits
    assert style.class_breaks([40, 40, 40], "households") == ()  # one class when all equal


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, 0),  # lowest class includes 0
    (0.49, 0),
    (0.5, 1),  # an edge belongs to the class above it
    (1.0, 3),  # exactly on target is the top class
    (1.7, 3),  # over-staffed stays in the top class
    (None, -1),  # missing
    (math.nan, -1),
])
def test_classify__edges_go_to_the_upper_class(value, expected):
    assert int(style.classify([value], (0.5, 0.8, 1.0))[0]) == expected


def test_colors_for__missing_values_are_grey_and_classes_follow_the_palette():
    colours = style.colors_for("staffing", [0.1, 0.6, 0.9, 1.0, None])
    assert colours == [*style.MEASURES["staffing"].palette, style.NO_DATA_COLOR]
    assert style.color_for("coverage:政务", 1.0) == style.MEASURES["coverage"].palette[-1]


def test_legend_entries__labels_bound_the_classes_and_end_with_no_data():
    entries = style.legend_entries("staffing", (0.5, 0.8, 1.0), lang="en")
    assert [label for _, label in entries] == ["0%–50%", "50%–80%", "80%–100%", "≥ 100%", "No data"]
    assert entries[-1][0] == style.NO_DATA_COLOR


def test_parse_measure__coverage_defaults_to_daily_life_and_unknown_names_raise():
    assert style.parse_measure("coverage:产业") == style.MeasureSpec("coverage", "产业")
    assert style.parse_measure("coverage").category == "生活"
    for bad in ("coverage:美食", "staffing:生活", "beauty"):
        with pytest.raises(GeoInputError) as info:
            style.parse_measure(bad)
        assert info.value.code == "style.unknown_measure"


def test_point_symbols__every_schema_point_type_has_its_own_symbol_and_label():
    assert set(style.POINT_SYMBOLS) == set(s.POINT_TYPES)
    assert len({(p.marker, p.color) for p in style.POINT_SYMBOLS.values()}) == len(style.POINT_SYMBOLS)
    for ptype in s.POINT_TYPES:
        assert label("point_type", ptype, "en") != ptype
    assert style.point_symbol("未知类型") == style.DEFAULT_POINT_SYMBOL
