"""Progress of long runs (geo.progress): stages reported in order, a bar on a terminal only (cli.progress)."""
from __future__ import annotations

import io
import re

import pytest

from cli.main import main
from cli.progress import progress_bar
from geo.coverage import service_reach
from geo.export import ExportOptions, export_bytes
from geo.messages import LANGS, t
from geo.progress import ALL_STAGES, STAGES, recorder, report
from geo.project import save_project
from geo.staffing import StaffingOptions, assign_project
from layers.atlas import render_atlas

BAR = re.compile(r"\[[#-]+\]")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stages_in_order(seen: list[tuple[str, int, int]]) -> list[str]:
    """The stage keys as first heard, after checking each stage's counts never go backwards."""
    order: list[str] = []
    last: dict[str, int] = {}
    for stage, done, total in seen:
        assert 0 <= done <= total
        assert done >= last.get(stage, 0), f"{stage} went back to {done}"
        last[stage] = done
        if stage not in order:
            order.append(stage)
    assert all(last[stage] == total for stage, _d, total in seen), "every stage reaches its total"
    return order


def test_progress_stages__have_zh_and_en_text():
    for key in (*ALL_STAGES, "progress.line"):
        for lang in LANGS:
            assert t(key, lang) != key


def test_report__refuses_an_unknown_stage_or_bad_counts():
    record, seen = recorder()
    with pytest.raises(ValueError, match="stages are"):
        report(record, "progress.nope", 0, 1)
    with pytest.raises(ValueError):
        report(record, "progress.export.write", 2, 1)
    report(None, "progress.nope", 0, 1)  # no listener: nothing to check, nothing happens
    assert seen == []


def test_service_reach__reports_household_then_reach_stages_in_order(tiny_project):
    record, seen = recorder()
    service_reach(tiny_project, radii_m=[300, 500], progress=record)
    assert _stages_in_order(seen) == list(STAGES["coverage"])
    reach = [(d, n) for stage, d, n in seen if stage == "progress.coverage.reach"]
    categories = [n for stage, _d, n in seen if stage == "progress.coverage.households"][0]
    assert reach[-1] == (2 * categories, 2 * categories)  # categories x 2 radii


def test_assign_project__reports_points_then_staffing(tiny_project):
    record, seen = recorder()
    assign_project(tiny_project, options=StaffingOptions(), max_distance_m=None, progress=record)
    assert _stages_in_order(seen) == list(STAGES["assign"])


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_bytes__reports_tables_then_write(tiny_project, fmt):
    record, seen = recorder()
    export_bytes(tiny_project, ExportOptions(fmt=fmt), progress=record)
    assert _stages_in_order(seen) == list(STAGES["export"])


def test_render_atlas__reports_every_page_then_the_outline(tiny_project, tmp_path):
    record, seen = recorder()
    result = render_atlas(tiny_project, "town", tmp_path / "atlas.pdf", progress=record)
    assert _stages_in_order(seen) == list(STAGES["atlas"])
    pages = [(d, n) for stage, d, n in seen if stage == "progress.atlas.pages"]
    assert pages[-1] == (len(result.units), len(result.units)) and len(result.units) > 1


def test_progress_bar__absent_when_not_a_terminal():
    assert progress_bar("zh", stream=io.StringIO()) is None


def test_progress_bar__draws_stage_text_and_ends_the_line_on_a_terminal():
    screen = _Terminal()
    bar = progress_bar("en", stream=screen)
    bar("progress.coverage.reach", 1, 4)
    bar("progress.coverage.reach", 4, 4)
    text = screen.getvalue()
    assert "Coverage by category and radius: 1/4" in text and BAR.search(text)
    assert text.endswith("]\n")


def test_cli_coverage__piped_stderr_has_no_bar(tiny_project, tmp_path, capsys):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    main(["coverage", str(path), "--radii", "300", "--no-save"])
    captured = capsys.readouterr()
    assert not BAR.search(captured.err) and not BAR.search(captured.out)
