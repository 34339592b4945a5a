"""Fixtures for the app tests: the tiny project with hostile names and assignments, saved to a gpkg.

Hostile names (issue 18 item 5): HTML, a template literal and a backtick on town 1 / community 11 /
micro-grid M1 / a service point (the map tests), and on town 2, communities 12, 21, 22, grids
C11-G1/G2, a point type and three volunteers a Markdown image, ``$…$`` maths, every C0 control
character and an RTL override (the "text is text" tests: tests/test_hostile_text.py).
"""
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
MD_IMAGE = "![x](http://evil.example/x.png)"
MATH = "$x^2$"
CONTROLS = "".join(chr(c) for c in range(1, 0x20))  # SOH … US, tab and newlines included
NUL = "\x00"  # last in a name: a GeoPackage (C strings) keeps what comes before it
RTL = "\u202e"
HOSTILE = (XSS_IMG, XSS_TEMPLATE, MD_IMAGE, MATH)  # fragments that must show literally wherever shown
TOWN2, COMM12, COMM21, COMM22 = "510184002000", "510184001002", "510184002001", "510184002002"
NAMES = {  # code -> hostile name (what a planner must read, control characters removed)
    TOWN2: f"测试2镇{MD_IMAGE}", COMM12: f"{MATH}社区", COMM21: f"控制{CONTROLS}字符{RTL}反向",
    COMM22: f"{MD_IMAGE}{MATH}", f"{COMM11}-G1": f"{MD_IMAGE}网格", f"{COMM11}-G2": f"{MATH}{CONTROLS}网格",
}
POINT_TYPE = f"{MD_IMAGE}{MATH}点"  # a planner's own point type (shown as stored)
PEOPLE = {"V120": f"{XSS_IMG}{RTL}", "V121": f"{MATH}{CONTROLS}{NUL}", "V000": MD_IMAGE}


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
    for layer in (towns, comms, grids):
        hit = layer[s.CODE].isin(list(NAMES))
        layer.loc[hit, s.NAME] = layer.loc[hit, s.CODE].map(NAMES)
    points.loc[points[s.COMMUNITY_CODE] == COMM12, s.POINT_TYPE] = POINT_TYPE
    vols = project.layer(s.VOLUNTEERS).copy()
    hit = vols[s.VOLUNTEER_ID].isin(list(PEOPLE))
    vols.loc[hit, s.NAME] = vols.loc[hit, s.VOLUNTEER_ID].map(PEOPLE)
    v11 = vols[vols[s.COMMUNITY_CODE] == COMM11][s.VOLUNTEER_ID].tolist()
    assignments = pd.DataFrame({
        s.VOLUNTEER_ID: [*v11, "V120", "V121"],
        s.GRID_CODE: [GRID_M1, f"{COMM11}-G1", f"{COMM12}-G1-M1", f"{COMM12}-G1"],
        s.ROLE: ["leader", "worker", "leader", "worker"],
        s.METHOD: "within", s.DISTANCE_M: 0.0, s.LOCKED: False, s.VERSION: 1,
        s.UPDATED_AT: "2024-01-01T00:00:00+00:00", s.SCENARIO: s.DEFAULT_SCENARIO,
    })
    project = (project.with_layer(s.TOWNS, towns).with_layer(s.COMMUNITIES, comms).with_layer(s.GRIDS, grids)
               .with_layer(s.SERVICE_POINTS, points).with_layer(s.VOLUNTEERS, vols)
               .with_table(s.ASSIGNMENTS, assignments))
    return project


def phones_of(project: Project) -> list[str]:
    """Every full phone number in the project's volunteers."""
    return [str(p) for p in project.layer(s.VOLUNTEERS)[s.PHONE].dropna()]


def save_hostile(path: Path) -> Path:
    """Save ``hostile_project`` to ``path`` and return it."""
    save_project(hostile_project(), path)
    return path
