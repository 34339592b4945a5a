"""Shared fixtures: the tiny project from ``tests/factories.py``."""
from __future__ import annotations

import pytest

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
