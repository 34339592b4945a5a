"""The bundled demo files (data/chongzhou/, written by the demo builder) import unchanged and check clean."""
from __future__ import annotations

from pathlib import Path

import pytest

from geo import schema as s
from cli.main import main
from geo.project import load_project

DEMO = Path(__file__).resolve().parents[1] / "data" / "chongzhou"
LAYER_FILES = {s.TOWNS: "towns", s.COMMUNITIES: "communities", s.GRIDS: "grids", s.HOUSEHOLDS: "households",
               s.VOLUNTEERS: "volunteers", s.SERVICE_POINTS: "service-points"}


@pytest.mark.slow
def test_import__bundled_demo_files_import_unchanged_and_check_has_no_errors(tmp_path, capsys):
    files = {layer: DEMO / f"{layer}.geojson" for layer in LAYER_FILES}
    assert all(p.exists() for p in files.values()), "run scripts/build_demo.py"
    out = tmp_path / "demo.gpkg"
    args = ["--lang", "en", "import", "--out", str(out)]
    for layer, option in LAYER_FILES.items():
        args += [f"--{option}", str(files[layer])]
    code = main(args)
    text = capsys.readouterr().out
    assert "Unrecognised columns" not in text  # the demo uses the schema's column names
    assert code == 0, text
    project = load_project(out)
    assert len(project.layer(s.COMMUNITIES)) == 172
    assert main(["check", str(out)]) == 0
