"""Fixtures for the app tests: the tiny project with hostile names and assignments, saved to a gpkg."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import schema as s
from geo.project import Project, save_project
from tests.factories import tiny_project

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_TEMPLATE = "${alert(1)}"
XSS_BACKTICK = "名`字"
TOWN1, COMM11 = "510184001000", "510184001001"
GRID_M1 = f"{COMM11}-G1-M1"


def hostile_project() -> Project:
    """The tiny project with XSS names on a town, a community, a grid and a service point, and staff assigned."""
    project = tiny_project()
    towns = project.layer(s.TOWNS).copy()
    towns.loc[towns[s.CODE] == TOWN1, s.NAME] = f"测试1镇{XSS_BACKTICK}"
    comms = project.layer(s.COMMUNITIES).copy()
    comms.loc[comms[s.CODE] == COMM11, s.NAME] = XSS_IMG
    grids = project.layer(s.GRIDS).copy()
    grids.loc[grids[s.CODE] == GRID_M1, s.NAME] = XSS_TEMPLATE
    points = project.layer(s.SERVICE_POINTS).copy()
    points.loc[points.index[0], s.NAME] = f"站{XSS_IMG}"
    vols = project.layer(s.VOLUNTEERS)
    v11 = vols[vols[s.COMMUNITY_CODE] == COMM11][s.VOLUNTEER_ID].tolist()
    assignments = pd.DataFrame({
        s.VOLUNTEER_ID: v11, s.GRID_CODE: [GRID_M1, f"{COMM11}-G1"], s.ROLE: ["leader", "worker"],
        s.METHOD: "within", s.DISTANCE_M: 0.0, s.LOCKED: False, s.VERSION: 1,
        s.UPDATED_AT: "2024-01-01T00:00:00+00:00", s.SCENARIO: s.DEFAULT_SCENARIO,
    })
    project = (project.with_layer(s.TOWNS, towns).with_layer(s.COMMUNITIES, comms).with_layer(s.GRIDS, grids)
               .with_layer(s.SERVICE_POINTS, points).with_table(s.ASSIGNMENTS, assignments))
    return project


def phones_of(project: Project) -> list[str]:
    """Every full phone number in the project's volunteers."""
    return [str(p) for p in project.layer(s.VOLUNTEERS)[s.PHONE].dropna()]


def save_hostile(path: Path) -> Path:
    """Save ``hostile_project`` to ``path`` and return it."""
    save_project(hostile_project(), path)
    return path
