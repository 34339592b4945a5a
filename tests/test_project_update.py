"""Import into an existing project updates named layers only: a diff, nothing else lost, the audit log says so."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from geo import schema as s
from geo.io import load_layer
from geo.project import load_project, save_project
from geo.project_update import ACTION_IMPORT, diff_layer, update_project

KIT = Path(__file__).parent / "data" / "fieldkit" / "boundaries"


def _edited_grids(tmp_path: Path) -> Path:
    """The field kit's grids with one removed, one moved 10 m north, one renamed and one added."""
    doc = json.loads((KIT / "grids_baidu.geojson").read_text(encoding="utf-8"))
    feats = doc["features"]
    removed = feats.pop(0)
    ring = feats[0]["geometry"]["coordinates"][0]
    feats[0]["geometry"]["coordinates"][0] = [[x, y + 0.0001] for x, y in ring]
    feats[1]["properties"]["网格名称"] += "（新）"
    added = json.loads(json.dumps(removed))
    added["properties"]["网格编码"] = "5101970010019999"
    feats.append(added)
    path = tmp_path / "grids_v2.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def project_file(tmp_path):
    out = tmp_path / "p.gpkg"
    assert main(["--lang", "en", "import", "--communities", str(KIT / "communities_amap.geojson"),
                 "--communities-crs", "gcj02", "--grids", str(KIT / "grids_baidu.geojson"),
                 "--grids-crs", "bd09", "--out", str(out)]) in (0, 1)
    project = load_project(out)
    rows = pd.DataFrame({s.VOLUNTEER_ID: ["V1", "V2"], s.GRID_CODE: ["5101970010010101", "5101970010010102"],
                         s.ROLE: "leader", s.METHOD: "manual", s.DISTANCE_M: 0.0, s.LOCKED: False, s.VERSION: 1,
                         s.UPDATED_AT: "t", s.SCENARIO: ["基线", "方案二"]})
    audit = pd.DataFrame({"time": ["t0"], "user": ["甲"], "scenario": ["基线"], "action": ["edit"], "object": ["x"],
                          "from": [""], "to": [""], "edit_id": ["e1"]})
    audit = pd.concat([project.table(s.AUDIT), audit], ignore_index=True)  # the log is append-only
    project = project.with_table(s.ASSIGNMENTS, rows).with_table(s.AUDIT, audit)
    save_project(project, out)
    return out


def test_import__over_an_existing_project_is_refused_without_update_or_replace(project_file, capsys):
    """The refusal names --update, the way to keep the rest of the project."""
    before = project_file.read_bytes()
    code = main(["--lang", "en", "import", "--grids", str(KIT / "grids_baidu.geojson"), "--grids-crs", "bd09",
                 "--out", str(project_file)])
    assert code == 2
    captured = capsys.readouterr()
    assert "--update LAYER" in captured.err + captured.out
    assert project_file.read_bytes() == before


def test_import_update__replaces_one_layer_keeps_the_rest_and_prints_the_diff(project_file, tmp_path, capsys):
    capsys.readouterr()
    code = main(["--lang", "en", "import", "--grids", str(_edited_grids(tmp_path)), "--grids-crs", "bd09",
                 "--update", "grids", "--out", str(project_file)])
    assert code in (0, 1)  # 1: the check finds the edited grids' gap/overlap
    text = capsys.readouterr().out
    # 180 micro-grids + 32 general grids implied by their codes; the edit adds micro-grid 5101970010019999
    # (and so general grid 51019700100199), removes 0101 and moves 0102 (both change general grid 01)
    assert ("Layer grids: 212 features before, 213 after; 2 added, 1 removed, 2 with new geometry, "
            "2 with new attributes, 208 unchanged") in text
    project = load_project(project_file)
    assert len(project.layer(s.COMMUNITIES)) == 12  # kept
    assert set(project.table(s.ASSIGNMENTS)[s.SCENARIO]) == {"基线", "方案二"}  # both scenarios kept
    audit = project.table(s.AUDIT)
    assert "e1" in list(audit["edit_id"])  # the old log is kept (it is append-only)
    last_import = audit[audit["action"] == ACTION_IMPORT].iloc[-1]
    assert last_import["object"] == "grids"
    assert "grids: grids_v2.geojson (was grids_baidu.geojson) 212->213 +2 -1 geometry~2" in last_import["from"]
    grids = project.layer(s.GRIDS)
    assert grids.set_index(s.CODE).loc["5101970010010104", s.COMMUNITY_CODE] == "510197001001"  # names resolved


def test_import_update__layers_named_must_match_the_files_given(project_file, capsys):
    code = main(["--lang", "en", "import", "--grids", str(KIT / "grids_baidu.geojson"), "--grids-crs", "bd09",
                 "--update", "communities", "--out", str(project_file)])
    assert code == 2


def test_import_replace__keeps_a_backup_beside_the_project(project_file):
    assert main(["--lang", "en", "import", "--communities", str(KIT / "communities_amap.geojson"),
                 "--communities-crs", "gcj02", "--replace", "--out", str(project_file)]) in (0, 1)
    backups = list(project_file.parent.glob("p.bak-*.gpkg"))  # geo.outputs.keep_backup
    assert len(backups) == 1
    assert len(load_project(backups[0]).layer(s.GRIDS)) == 212  # 180 micro + 32 general grids
    assert s.GRIDS not in load_project(project_file).layers


def test_update_project__reports_orphaned_assignments_and_stale_coverage(project_file, tmp_path):
    project = load_project(project_file).with_table(s.COVERAGE, pd.DataFrame({s.GRID_CODE: ["x"]}))
    grids = load_layer(_edited_grids(tmp_path), s.GRIDS, crs="bd09").gdf
    updated, report = update_project(project, {s.GRIDS: grids}, user="乙")
    assert report.orphaned_assignments == {"基线": 1, "方案二": 1}  # V1/V2 are not volunteers of this project
    assert report.coverage_stale
    assert report.replaced_layers == [s.GRIDS] and report.kept_layers == [s.COMMUNITIES]
    assert updated.meta["sources"][s.GRIDS]["imported_at"]
    assert updated.table(s.AUDIT)["user"].iloc[-1] == "乙"


def test_diff_layer__matched_by_code_not_by_order(tmp_path):
    old = load_layer(KIT / "grids_baidu.geojson", s.GRIDS, crs="bd09").gdf
    new = old.iloc[::-1].copy()
    d = diff_layer(old, new, layer=s.GRIDS)
    assert d.counts() == {"before": 180, "after": 180, "added": 0, "removed": 0, "geometry_changed": 0,
                          "attributes_changed": 0, "unchanged": 180}


def test_import_roster__id_numbers_in_clear_only_when_opted_in_and_then_audited(project_file, capsys):
    roster = str(Path(__file__).parent / "data" / "fieldkit" / "rosters" / "网格员花名册.xlsx")
    assert main(["--lang", "en", "import", "--roster", roster, "--update", "volunteers",
                 "--out", str(project_file)]) in (0, 1)
    masked = load_project(project_file)
    assert "id_number" not in masked.layer(s.VOLUNTEERS).columns
    assert "ID numbers kept in clear" not in " ".join(masked.table(s.AUDIT)["from"])
    assert main(["--lang", "en", "import", "--roster", roster, "--update", "volunteers", "--keep-id-numbers",
                 "--out", str(project_file)]) in (0, 1)
    clear = load_project(project_file)
    assert clear.layer(s.VOLUNTEERS)["id_number"].str.len().max() == 18
    assert "volunteers: ID numbers kept in clear (opt-in)" in " ".join(clear.table(s.AUDIT)["from"])
    assert clear.meta["id_salt"] == masked.meta["id_salt"]  # the project's salt is kept across imports
    hashes = masked.layer(s.VOLUNTEERS)["id_number_hash"].tolist()
    assert clear.layer(s.VOLUNTEERS)["id_number_hash"].tolist() == hashes  # same people, same hashes


def test_apply_roster__keeps_people_from_elsewhere_and_replaces_its_own_on_reimport(project_file):
    import geopandas as gpd
    import shapely

    from geo.project_update import apply_roster
    from geo.roster_import import read_roster

    project = load_project(project_file)
    gps = gpd.GeoDataFrame({s.VOLUNTEER_ID: ["G1"], s.NAME: ["甲"]}, geometry=[shapely.Point(104.07, 30.75)],
                           crs=s.STORAGE_CRS)
    project = project.with_layer(s.VOLUNTEERS, gps)
    roster_path = Path(__file__).parent / "data" / "fieldkit" / "rosters" / "网格员花名册.xlsx"
    roster = read_roster(roster_path, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES),
                         id_salt="salt")
    once, report = apply_roster(project, roster)
    assert len(once.layer(s.VOLUNTEERS)) == 251  # the GPS volunteer is kept
    assert report.diffs[s.VOLUNTEERS].counts()["added"] == 250
    twice, report = apply_roster(once, roster)
    assert len(twice.layer(s.VOLUNTEERS)) == 251  # a re-import replaces the roster's own people
    assert report.diffs[s.VOLUNTEERS].counts()["unchanged"] == 251
    assert len(twice.table(s.ASSIGNMENTS)) == len(once.table(s.ASSIGNMENTS))  # rows replaced, not doubled
