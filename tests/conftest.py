"""Shared fixtures: the tiny project from ``tests/factories.py``."""
from __future__ import annotations

import pytest

from tests.factories import SMALL_CITY_SCALE
from tests.factories import tiny_project as _tiny_project


@pytest.fixture(autouse=True, scope="session")
def _session_values_pickle():
    """AppTests fail on a session value that does not pickle (the server's config leaves the check out for speed)."""
    from streamlit import config

    config.set_option("runner.enforceSerializableSessionState", True)


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

