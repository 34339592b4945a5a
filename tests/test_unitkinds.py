"""Unit kinds 小区/林盘/院落: checked, editable (and audited), statistics per kind by the one roll-up rule."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.errors import GeoInputError
from geo.messages import label
from geo.rollup import kind_figures, unit_figures
from geo.unitkinds import find_unknown_kinds, with_unit_kind
from geo.validate import check_layers, finding_text
from tests.fieldkit import fieldkit_project

KINDS = ("小区", "林盘", "院落", "小区", "别墅区")


@pytest.fixture(scope="module")
def kit():
    """The field kit with general grids, its first micro-grids given kinds in turn (one unknown)."""
    project = fieldkit_project(general_grids=True, volunteers=5)
    grids = project.layer(s.GRIDS).copy()
    micro = grids.index[grids[s.LEVEL] == s.LEVEL_MICRO]
    grids.loc[micro, s.KIND] = [KINDS[i % len(KINDS)] for i in range(len(micro))]
    return project.with_layer(s.GRIDS, grids)


def test_find_unknown_kinds__only_kinds_outside_the_level_list(kit):
    unknown = find_unknown_kinds(kit.layer(s.GRIDS))
    assert set(unknown[s.KIND]) == {"别墅区"}
    assert len(unknown) == 180 // 5
    general = kit.layer(s.GRIDS)[kit.layer(s.GRIDS)[s.LEVEL] == s.LEVEL_GENERAL].assign(**{s.KIND: "x"})
    assert find_unknown_kinds(general).empty  # general grids carry no unit kind


def test_check__unknown_kind_has_a_named_message_in_both_languages(kit):
    findings = check_layers({s.GRIDS: kit.layer(s.GRIDS)}, files={s.GRIDS: "grids.geojson"})
    mine = findings[findings["code"] == "check.unit_kind_unknown"]
    assert len(mine) == 36 and (mine["severity"] == "warning").all()
    row = mine.iloc[0]
    assert "别墅区" in finding_text(row, "zh") and "小区、林盘 或 院落" in finding_text(row, "zh")
    assert "别墅区" in finding_text(row, "en") and "grids.geojson" in finding_text(row, "en")


def test_with_unit_kind__sets_clears_and_audits(kit):
    code = "5101970010010101"
    project = with_unit_kind(kit, grid_code=code, kind="院落", user="planner")
    grids = project.layer(s.GRIDS)
    assert grids.loc[grids[s.CODE] == code, s.KIND].iloc[0] == "院落"
    audit = project.table(s.AUDIT)
    assert audit.iloc[-1][["action", "object", "from", "to", "user"]].tolist() == [
        "unit_kind", code, "小区", "院落", "planner"]
    cleared = with_unit_kind(project, grid_code=code, kind="")
    assert cleared.layer(s.GRIDS).loc[grids[s.CODE] == code, s.KIND].iloc[0] is None
    assert kit.layer(s.GRIDS).loc[grids[s.CODE] == code, s.KIND].iloc[0] == "小区"  # input not mutated


@pytest.mark.parametrize(("code", "kind", "error"), [
    ("5101970010010101", "别墅区", "unitkind.unknown"), ("51019700100101", "小区", "unitkind.unknown_grid"),
    ("nope", "小区", "unitkind.unknown_grid")])
def test_with_unit_kind__refuses_unknown_kinds_and_non_micro_grids(kit, code, kind, error):
    with pytest.raises(GeoInputError) as exc:
        with_unit_kind(kit, grid_code=code, kind=kind)
    assert exc.value.code == error


def test_kind_figures__households_and_grids_per_kind_add_up_to_the_micro_grids(kit):
    figures = unit_figures(kit, category=None)
    per_kind = kind_figures(kit, figures)
    grids = kit.layer(s.GRIDS)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    want = micro.groupby(micro[s.KIND].where(micro[s.KIND].isin(s.MICRO_KINDS), s.UNIT_KIND_NONE))[
        s.HOUSEHOLDS_N].agg(["sum", "size"])
    assert per_kind.index.tolist() == ["小区", "林盘", "院落", "none"]
    assert per_kind["households"].to_dict() == want["sum"].astype(float).to_dict()
    assert per_kind["grids"].to_dict() == want["size"].to_dict()
    assert per_kind["households"].sum() == 12465
    assert per_kind["target"].sum() == figures.get("grid").loc[micro[s.CODE], "target"].sum()


def test_kind_figures__within_one_community(kit):
    figures = unit_figures(kit, category=None)
    codes = [c for c in figures.get("grid").index if c.startswith("510197001001")]
    per_kind = kind_figures(kit, figures, codes)
    assert per_kind["households"].sum() == 1501
    assert label("unit_kind", "none", "en") == "No kind set"


def test_kind_figures__no_kinds_at_all_puts_every_micro_grid_in_none():
    project = fieldkit_project(volunteers=5)
    grids = project.layer(s.GRIDS).assign(**{s.KIND: None})
    project = project.with_layer(s.GRIDS, grids)
    per_kind = kind_figures(project, unit_figures(project, category=None))
    assert per_kind.loc["none", "grids"] == 180
    assert per_kind.loc[["小区", "林盘", "院落"], "grids"].tolist() == [0, 0, 0]
    assert pd.isna(per_kind.loc["小区", "households"])
