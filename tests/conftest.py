"""Shared fixtures: the tiny project from ``tests/factories.py``."""
from __future__ import annotations

import pytest

from tests.factories import SMALL_CITY_SCALE
from tests.factories import tiny_project as _tiny_project


@pytest.fixture
def tiny_project():
    """A fresh tiny project (16 micro-grids, 9 volunteers, 4 service points)."""
    return _tiny_project()


@pytest.fixture(scope="session")
def demo_project_file(tmp_path_factory):
    """The bundled demo, assembled and analysed (assignment + coverage) once per test session."""
    from geo.demo import write_demo_project

    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    write_demo_project(path)
    return path


@pytest.fixture(scope="session")
def city_root(tmp_path_factory):
    """A folder holding the scaled-down synthetic city (``SMALL_CITY_SCALE``), built once per session."""
    from geo.citygen import build_city

    root = tmp_path_factory.mktemp("city")
    build_city(scale=SMALL_CITY_SCALE, root=root)
    return root


@pytest.fixture(autouse=True)
def signed_in_admin(monkeypatch):
    """Page tests run as the planner on their own machine (``geo.access.LOCAL``) unless they set a scope.

    The app shows no data to a session without a scope (issue #15); tests of scopes and attacks
    set ``at.session_state[state.SCOPE]`` themselves (or ``None`` for no access).
    """
    import sys

    if "streamlit.testing.v1" not in sys.modules:  # no AppTest in this test: nothing to sign in
        return
    from streamlit.testing.v1 import AppTest

    from geo.access import LOCAL
    from ui import state

    run = AppTest.run

    def run_signed_in(self, *args, **kwargs):
        if state.SCOPE not in self.session_state:
            self.session_state[state.SCOPE] = LOCAL
        return run(self, *args, **kwargs)

    monkeypatch.setattr(AppTest, "run", run_signed_in)
