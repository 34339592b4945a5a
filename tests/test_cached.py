"""Shared caches (issue 18 item 6): one build per saved version of a project, for every session."""
from __future__ import annotations


import pytest

from geo.access import ADMIN
from geo.accounts import add_user, authenticate
from geo.explore import Selection
from geo.project import load_project, save_project
from tests.app_fixtures import COMM11, TOWN1, save_hostile
from ui import cached


@pytest.fixture
def project_file(tmp_path):
    return save_hostile(tmp_path / "p.gpkg")


def _fail(*args, **kwargs):
    msg = "rebuilt: the shared cache was not used"
    raise AssertionError(msg)


def test_cached_panel__computed_once_per_selection_and_saved_version(project_file, monkeypatch):
    add_user(location=project_file, name="wang", password="correct horse", role=ADMIN)
    project = cached.cached_project(project_file)
    figures = cached.cached_figures(project_file, project, "生活", 500)
    sel = Selection(town=TOWN1, community=COMM11)
    first = cached.cached_panel(project_file, project, figures, sel, category="生活", radius_m=500, lang="zh")
    assert first.codes and first.staff is not None and first.chain[-1][1] == COMM11
    monkeypatch.setattr("geo.explore.unit_grid_codes", _fail)
    again = cached.cached_panel(project_file, project, figures, Selection(town=TOWN1, community=COMM11),
                                category="生活", radius_m=500, lang="zh")
    assert again is first  # another session, the same object
    authenticate(location=project_file, name="wang", password="correct horse")  # writes the last login, no save
    signed_in = cached.cached_panel(project_file, project, figures, sel, category="生活", radius_m=500, lang="zh")
    assert signed_in is first  # a sign-in is not a new version of the plan
    monkeypatch.undo()
    save_project(load_project(project_file), project_file)  # a save
    after = cached.cached_panel(project_file, project, figures, sel, category="生活", radius_m=500, lang="zh")
    assert after is not first


def test_warm_views__builds_every_view_in_one_background_thread_per_version(project_file, monkeypatch):
    project = cached.cached_project(project_file)
    cached.warm_views(project_file, project)
    key = cached.scope_key(project)
    thread = cached._warming(str(project_file), cached._stamp(project_file), key, project)
    assert thread is cached._warming(str(project_file), cached._stamp(project_file), key, project)  # started once
    thread.join(timeout=120)
    assert not thread.is_alive()
    monkeypatch.setattr("geo.lod.view_layers", _fail)
    monkeypatch.setattr("geo.validate.check_project", _fail)
    assert len(cached.cached_view_layers(project_file, project, Selection(town=TOWN1))["communities"])
    assert cached.findings_if_ready(project_file, project) is cached.cached_findings(project_file, project)  # built by the thread


def test_warm_views__checks_the_project_in_a_child_process(project_file, monkeypatch):
    project = cached.cached_project(project_file)
    monkeypatch.setattr("geo.validate.check_project", _fail)  # a check in this process (the server's) fails
    thread = cached._warming(str(project_file), cached._stamp(project_file), cached.scope_key(project), project)
    thread.join(timeout=180)
    ready = cached.findings_if_ready(project_file, project)
    assert ready is not None and "severity" in ready.columns
    assert cached.cached_findings(project_file, project) is ready  # the page's own call reuses it


def test_stamp__reads_the_store_only_after_the_file_changed(project_file, monkeypatch):
    first = cached._stamp(project_file)
    monkeypatch.setattr(cached, "open_store", _fail)
    assert cached._stamp(project_file) == first  # unchanged file: no store opened
    monkeypatch.undo()
    save_project(load_project(project_file), project_file)  # a save: a new revision
    assert cached._stamp(project_file) != first


def test_check_child__writes_the_revision_and_findings_of_the_saved_version(project_file, tmp_path):
    import pickle

    from ui.check_child import main

    asked, answer = tmp_path / "in.pickle", tmp_path / "out.pickle"
    asked.write_bytes(pickle.dumps((str(project_file), None)))
    assert main([str(asked), str(answer)]) == 0
    revision, findings = pickle.loads(answer.read_bytes())
    assert revision == load_project(project_file).revision and "severity" in findings.columns
    assert main([str(asked), str(tmp_path / "gone" / "out.pickle")]) == 0  # the server stopped: nothing written


def test_cached_masked_names__once_per_saved_version_and_masked(project_file, monkeypatch):
    from geo import schema as s

    project = cached.cached_project(project_file)
    names = cached.cached_masked_names(project_file, project)
    vols = project.layer(s.VOLUNTEERS)
    assert set(names) == set(vols[s.VOLUNTEER_ID].astype(str))
    assert not set(names.values()) & set(vols[s.NAME].astype(str))  # no full name
    monkeypatch.setattr("geo.privacy.mask_name", _fail)
    assert cached.cached_masked_names(project_file, project) is names  # the next run does not walk them again


def test_warm_after_save__rolls_the_saved_version_up_in_the_background_once(project_file, monkeypatch):
    from geo.access import Scope

    scope = Scope(role=ADMIN, user="wang")
    save_project(load_project(project_file), project_file)  # a new version nobody has rolled up
    thread = cached.warm_after_save(project_file, scope)
    assert thread is cached.warm_after_save(project_file, scope)  # started once per version
    thread.join(timeout=120)
    monkeypatch.setattr("geo.rollup.unit_figures", _fail)
    project = cached.cached_scoped_project(project_file, scope)
    assert len(cached.cached_default_figures(project_file, project).by_level["grid"])  # built by the thread
