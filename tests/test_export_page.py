"""The export page (AppTest): prepares a download, refuses an unlogged personal export, previews a round trip."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.project import load_project, save_project
from tests.test_export import with_assignments
from tests.app_login import signed_in

PAGE = str(Path(__file__).resolve().parents[1] / "ui" / "pages" / "export.py")


@pytest.fixture
def app(tiny_project, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(with_assignments(tiny_project), path)
    at = signed_in(AppTest.from_file(PAGE, default_timeout=60), name="王主任")
    at.session_state["project_path"] = str(path)
    at.session_state["lang"] = "zh"
    return at, path


def test_export_page__prepares_a_masked_xlsx_download(app):
    at, _ = app
    at.run()
    assert not at.exception and not at.error
    at.button[0].click().run()
    prepared = at.session_state["export_prepared"]
    name, data = prepared[1], prepared[2]
    assert name.endswith(".xlsx") and data[:2] == b"PK"
    assert b"13800000000" not in data


def test_export_page__personal_export_is_audited_as_the_signed_in_user(app):
    at, path = app
    at.run()
    at.checkbox(key="export_personal").check().run()
    assert "王主任" in at.warning[0].value
    at.button[0].click().run()
    assert not at.exception
    audit = load_project(path).table(s.AUDIT)
    logged = audit[audit["action"] != "save"]
    # the access (geo.access.reveal: user, scope, purpose) and the export itself
    assert logged["user"].tolist() == ["王主任"] * 2
    assert logged["action"].tolist() == ["export_personal", "personal_data"]
    assert logged["from"].iloc[1] == "export" and logged["scope"].iloc[1] == "project"
    assert audit[["user", "action"]].iloc[-1].tolist() == ["王主任", "save"]


def test_export_page__the_building_roster_is_a_download_of_its_own(app):
    at, _ = app
    at.run()
    at.radio(key="export_table").set_value("楼栋名单（每楼栋一行）").run()
    assert not at.exception and not at.error
    assert not [w for w in at.selectbox if w.key == "export_level"]  # the roster holds every grid
    at.button[0].click().run()
    name = at.session_state["export_prepared"][1]
    assert name.startswith("gridatlas_buildings_") and name.endswith(".xlsx")
