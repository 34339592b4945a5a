"""Shared fixtures: the tiny project from ``tests/factories.py``."""
from __future__ import annotations

import pytest

from tests.factories import tiny_project as _tiny_project


@pytest.fixture
def tiny_project():
    """A fresh tiny project (16 micro-grids, 9 volunteers, 4 service points)."""
    return _tiny_project()
