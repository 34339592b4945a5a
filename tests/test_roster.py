"""Grid rosters (网格员名单): who serves each grid or community, masked and ready to paste."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from geo import export_tables as tab
from geo import schema as s
from geo.errors import ExportError
from geo.roster import roster_bytes, roster_markdown, roster_table, roster_text
from tests.test_export import G1, M1, T2_MICRO, with_assignments


@pytest.fixture
def project(tiny_project):
    return with_assignments(tiny_project)


def test_roster_table__one_row_per_person_sorted_by_grid_then_role(project):
    roster = roster_table(project)
    assert list(roster[s.GRID_CODE]) == [G1, M1, M1, T2_MICRO]
    m1 = roster.loc[roster[s.GRID_CODE] == M1]
    assert list(m1[s.ROLE]) == ["微网格长", "成员"]  # leader before member
    assert list(m1[s.PHONE]) == ["138****0000", "010****6666"]
    assert roster.loc[0, tab.COMMUNITY_NAME] == "测试11社区"


def test_roster_table__by_community_groups_communities(project):
    roster = roster_table(project, by="community", lang="en")
    assert list(roster[s.COMMUNITY_CODE]) == ["510184001001"] * 3 + ["510184002001"]
    assert set(roster[s.ROLE]) == {"Micro-grid leader", "Member", "Full-time grid worker"}


def test_roster_table__unknown_grouping_refused(project):
    with pytest.raises(ExportError) as err:
        roster_table(project, by="town")
    assert err.value.code == "export.unknown_level"


def test_roster_markdown__heading_per_grid_and_a_table(project):
    text = roster_markdown(roster_table(project), metadata={"exported_at": "2025-01-01", "scenario": "基线"})
    assert text.startswith("# 网格员名单")
    assert f"## 001-1-1微网格（{M1}）" in text
    assert "| 角色 | 姓名 | 人员编号 | 下沉层级 | 联系电话 |" in text
    assert r"| 微网格长 | 张000 | V110 | 社区 | 138\*\*\*\*0000 |" in text  # Markdown-escaped: shows 138****0000
    assert "电话已脱敏" in text and "基线" in text


def test_roster_markdown__pipes_in_names_are_escaped(project):
    vols = project.layer(s.VOLUNTEERS).copy()
    vols.loc[vols[s.VOLUNTEER_ID] == "V110", s.NAME] = "张|三"
    text = roster_markdown(roster_table(project.with_layer(s.VOLUNTEERS, vols)))
    assert "张\\|三" in text


def test_roster_text__one_line_per_person_ready_to_paste(project):
    text = roster_text(roster_table(project, by="community"), by="community")
    lines = text.splitlines()
    assert "测试11社区（510184001001）" in lines
    assert "  001-1-1微网格 微网格长：张000 138****0000（V110）" in lines


def test_roster_bytes__csv_and_xlsx_readable_and_masked(project):
    rows = list(csv.DictReader(io.StringIO(roster_bytes(project, form="csv").decode("utf-8-sig"))))
    assert [r["人员编号"] for r in rows] == ["V111", "V110", "V000", "V210"]
    assert all("****" in r["联系电话"] for r in rows)
    wb = load_workbook(io.BytesIO(roster_bytes(project, form="xlsx", lang="en")))
    assert wb.sheetnames == ["Grid roster", "About this export"]
    header = [c.value for c in wb["Grid roster"][1]]
    assert "Volunteer ID" in header and wb["Grid roster"].freeze_panes == "A2"


def test_roster_bytes__include_personal_shows_full_phone(project):
    text = roster_bytes(project, form="txt", privacy=tab.Privacy(include_personal=True)).decode()
    assert "13800000000" in text
