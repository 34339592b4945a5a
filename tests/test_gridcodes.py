"""Grid codes: the configurable pattern, and codes that stay put when grids are split, merged or re-gridded."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo import schema as s
from geo.autogrid import autogrid_project
from geo.errors import GeoInputError
from geo.gridcodes import (
    check_code_pattern, code_changes, code_pattern, history_table, merge_grids, next_code, parse_code, split_grid,
    strip_parts, used_codes, with_code_pattern,
)
from geo.project import new_project
from tests.fieldkit import fieldkit_project

COMMUNITY = "510197001001"
X0, Y0 = 400_000.0, 3_400_000.0  # UTM 48N, near the field kit


def _cell(col: int, row: int, size: float = 200.0) -> shapely.Polygon:
    return shapely.box(X0 + col * size, Y0 + row * size, X0 + (col + 1) * size, Y0 + (row + 1) * size)


def _project():
    """One community, 2 general grids of 4 micro-grids each, coded by the default numeric pattern."""
    rows, geoms = [], []
    for g in range(2):
        rows.append({s.CODE: f"{COMMUNITY}{g + 1:02d}", s.NAME: f"第{g + 1}网格", s.LEVEL: s.LEVEL_GENERAL,
                     s.PARENT_CODE: COMMUNITY, s.COMMUNITY_CODE: COMMUNITY, s.HOUSEHOLDS_N: 240.0})
        geoms.append(shapely.box(X0 + 2 * g * 200, Y0, X0 + (2 * g + 2) * 200, Y0 + 400))
        for m in range(4):
            rows.append({s.CODE: f"{COMMUNITY}{g + 1:02d}{m + 1:02d}", s.NAME: f"第{g + 1}网格{m + 1}号",
                         s.LEVEL: s.LEVEL_MICRO, s.PARENT_CODE: f"{COMMUNITY}{g + 1:02d}",
                         s.COMMUNITY_CODE: COMMUNITY, s.HOUSEHOLDS_N: 60.0})
            geoms.append(_cell(2 * g + m % 2, m // 2))
    grids = gpd.GeoDataFrame(rows, geometry=geoms, crs=s.METRIC_CRS).to_crs(s.STORAGE_CRS)
    comm = gpd.GeoDataFrame({s.CODE: [COMMUNITY], s.NAME: ["望江社区"]},
                            geometry=[shapely.box(X0, Y0, X0 + 800, Y0 + 400)], crs=s.METRIC_CRS)
    return new_project().with_layer(s.COMMUNITIES, comm.to_crs(s.STORAGE_CRS)).with_layer(s.GRIDS, grids)


def _halves(project, code):
    geom = project.layer(s.GRIDS).to_crs(s.METRIC_CRS).set_index(s.CODE).geometry[code]
    x0, y0, x1, y1 = geom.bounds
    cut = [shapely.box(x0, y0, (x0 + x1) / 2, y1), shapely.box((x0 + x1) / 2, y0, x1, y1)]
    parts = [shapely.intersection(geom, c) for c in cut]
    return gpd.GeoSeries(parts, crs=s.METRIC_CRS).to_crs(s.STORAGE_CRS).tolist()


def _codes(project):
    return dict(zip(project.layer(s.GRIDS)[s.CODE].astype(str), project.layer(s.GRIDS)[s.NAME]))


def test_code_pattern__default_is_the_field_kit_numeric_pattern():
    pattern = code_pattern({})
    assert pattern["micro"].format(community=COMMUNITY, general=1, micro=4) == "5101970010010104"
    assert parse_code("5101970010020104", level=s.LEVEL_MICRO, pattern=pattern) == {
        "community": "510197001002", "general": 1, "micro": 4}


def test_code_pattern__a_pattern_without_its_numbers_is_refused():
    with pytest.raises(GeoInputError) as err:
        code_pattern({"grid_code_pattern": {"micro": "{community}-{micro:02d}"}})
    assert err.value.code == "gridcodes.bad_pattern"


def test_code_pattern__a_custom_pattern_makes_the_next_code():
    pattern = code_pattern({"grid_code_pattern": {"general": "{community}-G{general:02d}",
                                                  "micro": "{community}-G{general:02d}-M{micro:02d}"}})
    used = {f"{COMMUNITY}-G01-M01", f"{COMMUNITY}-G01-M02"}
    assert next_code(used, level=s.LEVEL_MICRO, community=COMMUNITY, general=1, pattern=pattern) == \
        f"{COMMUNITY}-G01-M03"


def test_next_code__never_reuses_a_retired_number_even_below_the_highest():
    pattern = code_pattern({})
    used = {f"{COMMUNITY}0101", f"{COMMUNITY}0103"}  # 02 retired long ago and forgotten: still not reused
    assert next_code(used, level=s.LEVEL_MICRO, community=COMMUNITY, general=1, pattern=pattern) == f"{COMMUNITY}0104"


def test_split_grid__parts_get_new_codes_the_old_code_retires_others_unchanged():
    project = _project()
    before = _codes(project)
    target = f"{COMMUNITY}0102"
    after, added = split_grid(project, target, _halves(project, target), user="王")
    codes = _codes(after)
    assert added == [f"{COMMUNITY}0105", f"{COMMUNITY}0106"]
    assert target not in codes
    assert {c: n for c, n in before.items() if c != target} == {c: codes[c] for c in before if c != target}
    history = history_table(after)
    assert history[s.CODE].tolist() == [target]
    assert history["event"].tolist() == ["split"]
    assert sorted(history["replaced_by"].iloc[0].split(";")) == added
    grids = after.layer(s.GRIDS).set_index(s.CODE)
    assert (grids.loc[added, s.PARENT_CODE] == f"{COMMUNITY}01").all()


def test_merge_grids__one_new_code_both_old_retire_and_are_never_given_again():
    project = _project()
    merged, added = merge_grids(project, [f"{COMMUNITY}0101", f"{COMMUNITY}0102"])
    assert added == [f"{COMMUNITY}0105"]
    assert merged.layer(s.GRIDS).set_index(s.CODE).at[added[0], s.HOUSEHOLDS_N] == 120
    again, more = split_grid(merged, added[0], _halves(merged, added[0]))
    assert more == [f"{COMMUNITY}0106", f"{COMMUNITY}0107"]
    assert set(history_table(again)[s.CODE]) == {f"{COMMUNITY}0101", f"{COMMUNITY}0102", f"{COMMUNITY}0105"}


def test_merge_grids__mixed_levels_are_refused():
    with pytest.raises(GeoInputError) as err:
        merge_grids(_project(), [f"{COMMUNITY}01", f"{COMMUNITY}0201"])
    assert err.value.code == "gridcodes.merge_mixed"


def test_split_grid__a_general_grid_s_micro_grids_move_to_the_part_they_lie_in():
    project = _project()
    target = f"{COMMUNITY}02"
    after, added = split_grid(project, target, _halves(project, target))
    grids = after.layer(s.GRIDS).set_index(s.CODE)
    kids = grids.loc[[f"{COMMUNITY}02{m:02d}" for m in range(1, 5)], s.PARENT_CODE]
    assert set(kids) == set(added) and kids.value_counts().tolist() == [2, 2]


@pytest.mark.slow
def test_autogrid_project__regridding_again_keeps_every_code_and_retires_none():
    project = fieldkit_project(general_grids=True, volunteers=1)
    first, report1 = autogrid_project(project, community_codes=[COMMUNITY])
    second, report2 = autogrid_project(first, community_codes=[COMMUNITY])
    assert sorted(_codes(first)) == sorted(_codes(second))
    assert report2["retired_codes"] == []
    retired = set(report1["retired_codes"])
    assert retired and not retired & set(_codes(first))
    assert set(history_table(first)[s.CODE]) == retired


def test_autogrid_project__new_codes_follow_the_pattern_and_avoid_retired_ones():
    project = fieldkit_project(general_grids=True, volunteers=1)
    after, report = autogrid_project(project, community_codes=[COMMUNITY], micro_band=(60, 100))
    new = [c for c in _codes(after) if c.startswith(COMMUNITY)]
    pattern = code_pattern({})
    level = after.layer(s.GRIDS).set_index(s.CODE)[s.LEVEL]
    assert all(parse_code(c, level=level[c], pattern=pattern) for c in new)
    assert not set(new) & set(report["retired_codes"])
    assert set(new) - set(_codes(project)) == set(new) - set(report["retired_codes"]) - set(_codes(project))


OPS = st.lists(st.tuples(st.sampled_from(["split", "merge"]), st.integers(0, 50), st.integers(0, 50)),
               min_size=1, max_size=6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
@example([("merge", 3, 0), ("merge", 0, 1), ("merge", 1, 0), ("split", 0, 0), ("split", 0, 0), ("split", 1, 0)])
@example([("merge", 1, 50), ("merge", 1, 0), ("split", 1, 0), ("split", 32, 0), ("merge", 0, 0)])  # a part crossing itself
def test_codes__any_sequence_of_splits_and_merges_never_renumbers_or_reuses(ops):  # example: a 95 % piece
    project = _project()
    issued = set(_codes(project))
    for op, a, b in ops:
        grids = project.layer(s.GRIDS)
        micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
        before = _codes(project)
        if op == "split":
            target = micro[s.CODE].iloc[a % len(micro)]
            project, added = split_grid(project, target, _halves(project, target))
            gone = {target}
        else:
            parent = micro[s.PARENT_CODE].iloc[a % len(micro)]
            pool = micro[micro[s.PARENT_CODE] == parent][s.CODE].tolist()
            if len(pool) < 2:
                continue
            pair = [pool[a % len(pool)], pool[(a + 1 + b % (len(pool) - 1)) % len(pool)]]
            project, added = merge_grids(project, pair)
            gone = set(pair)
        now = _codes(project)
        assert not set(added) & issued  # new grids get codes never seen before
        issued |= set(added)
        assert {c: before[c] for c in before if c not in gone} == {c: now[c] for c in before if c not in gone}
        assert len(now) == len(project.layer(s.GRIDS))  # unique codes
        history = set(history_table(project)[s.CODE])
        retired = gone - set(now)  # a piece of nearly the whole grid keeps its code (geo.gridcodes.SAME_SHAPE_IOU)
        assert retired <= history and not history & set(now)
        assert set(now) - set(before) == set(added)
        assert used_codes(project) == issued
    area = project.layer(s.GRIDS).to_crs(s.METRIC_CRS)
    micro_area = area[area[s.LEVEL] == s.LEVEL_MICRO].geometry.area.sum()
    assert micro_area == pytest.approx(800 * 400, rel=1e-6)  # still tiles the community
    assert np.isfinite(micro_area)


def test_split_grid__the_demo_s_own_pattern_numbers_after_its_highest_micro_grid():
    from geo.demo import DEMO_CODE_PATTERN

    project = _project().with_settings(grid_code_pattern=DEMO_CODE_PATTERN)
    grids = project.layer(s.GRIDS).copy()
    grids[s.CODE] = grids[s.CODE].str.replace(rf"^{COMMUNITY}(\d\d)(\d\d)?$",
                                              lambda m: f"{COMMUNITY}-G{m[1]}" + (f"-M{m[2]}" if m[2] else ""),
                                              regex=True)
    grids[s.PARENT_CODE] = grids[s.PARENT_CODE].str.replace(rf"^{COMMUNITY}(\d\d)$", rf"{COMMUNITY}-G\1", regex=True)
    project = project.with_layer(s.GRIDS, grids)
    target = f"{COMMUNITY}-G02-M03"
    _, added = split_grid(project, target, _halves(project, target))
    assert added == [f"{COMMUNITY}-G02-M05", f"{COMMUNITY}-G02-M06"]


@pytest.mark.parametrize(("general", "micro", "error"), [
    ("{community}{general:02d}", "{community}{general:02d}{micro:02d}", None),  # the field kit's: fixed widths
    ("{community}-G{general}", "{community}-G{general}-M{micro}", None),  # separators make widths unneeded
    ("{community}{general}", "{community}{general}{micro}", "gridcodes.ambiguous_pattern"),  # 1-23 or 12-3?
    ("{community}{general:zz}", "{community}{general:02d}{micro:02d}", "gridcodes.ambiguous_pattern"),  # bad spec
    ("{community}{general:02d}", "{community}{micro:02d}", "gridcodes.bad_pattern"),  # no general number
])
def test_check_code_pattern__cases(general, micro, error):
    pattern = {"general": general, "micro": micro}
    if error is None:
        examples = check_code_pattern(pattern, community=COMMUNITY)
        assert examples[s.LEVEL_MICRO] == micro.format(community=COMMUNITY, general=1, micro=2)
        assert parse_code(examples[s.LEVEL_MICRO], level=s.LEVEL_MICRO, pattern=pattern)["micro"] == 2
    else:
        with pytest.raises(GeoInputError) as err:
            check_code_pattern(pattern, community=COMMUNITY)
        assert err.value.code == error


def test_with_code_pattern__saves_the_setting_with_an_audit_row_and_keeps_every_code():
    project = _project()
    pattern = {"general": "{community}-G{general:02d}", "micro": "{community}-G{general:02d}-M{micro:02d}"}
    after = with_code_pattern(project, pattern, user="王")
    assert after.settings["grid_code_pattern"] == pattern
    assert _codes(after) == _codes(project)
    assert after.table(s.AUDIT)["action"].iloc[-1] == "code_pattern"
    with pytest.raises(GeoInputError):
        with_code_pattern(project, {"general": "{community}{general}", "micro": "{community}{general}{micro}"})


def test_next_code__skips_a_code_an_earlier_pattern_already_gave():
    pattern = code_pattern({})
    used = {f"{COMMUNITY}0101", f"{COMMUNITY}01-M02"}  # the second parses under no pattern of ours
    odd = {"general": "{community}{general:02d}", "micro": "{community}{general:02d}-M{micro:02d}"}
    assert next_code(used, level=s.LEVEL_MICRO, community=COMMUNITY, general=1, pattern=pattern) == \
        f"{COMMUNITY}0102"
    assert next_code(used, level=s.LEVEL_MICRO, community=COMMUNITY, general=1, pattern=odd) == f"{COMMUNITY}01-M03"


@pytest.mark.parametrize("n", [2, 3, 5])
def test_strip_parts__equal_areas_that_tile_the_grid(n):
    project = _project()
    parts = strip_parts(project, f"{COMMUNITY}01", n=n)
    metric = gpd.GeoSeries(parts, crs=s.STORAGE_CRS).to_crs(s.METRIC_CRS)
    assert len(parts) == n
    assert metric.area.to_numpy() == pytest.approx([400 * 400 / n] * n, rel=1e-3)
    assert shapely.coverage_is_valid(metric.to_numpy())


def test_code_changes__kept_retired_new_after_a_split():
    project = _project()
    after, added = split_grid(project, f"{COMMUNITY}0103", strip_parts(project, f"{COMMUNITY}0103", n=2))
    changes = code_changes(project, after)
    by = changes.groupby("change")[s.CODE].apply(list).to_dict()
    assert by["retired"] == [f"{COMMUNITY}0103"] and by["new"] == added
    assert sorted(by["kept"]) == sorted(c for c in _codes(project) if c != f"{COMMUNITY}0103")
    assert changes.set_index(s.CODE).at[f"{COMMUNITY}0103", "replaced_by"] == ";".join(added)


def test_codes__the_kit_s_printed_codes_survive_a_split_and_a_merge_unchanged():
    """Codes printed (roster, boards) before a split or merge name the same grid afterwards, where it still exists."""
    from geo.buildings import buildings_table

    project = fieldkit_project(general_grids=True, volunteers=1)
    printed = buildings_table(project)[[s.CODE, s.GRID_CODE]].set_index(s.CODE)[s.GRID_CODE]  # a building roster
    shapes = dict(zip(project.layer(s.GRIDS)[s.CODE], project.layer(s.GRIDS).geometry.to_wkb()))
    split_code, merge_codes = "5101970010010104", ["5101970010020101", "5101970010020102"]
    after, added = split_grid(project, split_code, strip_parts(project, split_code, n=2))
    after, merged = merge_grids(after, merge_codes)
    now = dict(zip(after.layer(s.GRIDS)[s.CODE], after.layer(s.GRIDS).geometry.to_wkb()))
    gone = {split_code, *merge_codes}
    assert {c: shapes[c] for c in shapes if c not in gone} == {c: now[c] for c in shapes if c not in gone}
    assert added == ["5101970010010106", "5101970010010107"]  # after 望江社区第1网格's highest, 05
    assert merged == ["5101970010020107"]  # after 桂香社区第1网格's highest, 06
    again = buildings_table(after).set_index(s.CODE)[s.GRID_CODE]
    untouched = ~printed.isin(gone)
    assert again[untouched].equals(printed[untouched])  # every printed code still names the building's grid
    assert set(again[~untouched]) <= set(added + merged)
    assert set(history_table(after)[s.CODE]) == gone


def test_split_grid__micro_grids_directly_under_their_community_keep_their_general_number():
    """The kit without general grids: a micro-grid's parent is its community; the number comes from its own code."""
    project = fieldkit_project(volunteers=1)
    code = "5101970010050301"  # 杏坛社区第3网格1号微网格, parent 510197001005
    assert project.layer(s.GRIDS).set_index(s.CODE).at[code, s.PARENT_CODE] == "510197001005"
    _, added = split_grid(project, code, strip_parts(project, code, n=2))
    assert added == ["5101970010050307", "5101970010050308"]  # after 第3网格's highest micro-grid, 06
    _, merged = merge_grids(project, ["5101970010050301", "5101970010050302"])
    assert merged == ["5101970010050307"]
