"""The fuzz corpus through ``python -m cli``: exit 0/1/2 only, no traceback, < 30 s, bounded memory, nothing silent.

The full corpus (>= 400 cases) is ``slow``; a sample with one case of every class runs by default.
Numbers for the whole corpus: ``python -m tests.fuzz.harness``.
"""
from __future__ import annotations

import os

import pytest

from tests.fuzz.corpus import corpus
from tests.fuzz.harness import case_problems, fast_sample, run_case

CASES = corpus()
SAMPLE = fast_sample(CASES)


def _restore_permissions(folder) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o700)


def _run(case, tmp_path) -> None:
    try:
        results = run_case(case, tmp_path)
    finally:
        _restore_permissions(tmp_path)
    problems = case_problems(case, results)
    assert not problems, f"{case.name} ({case.cls}): {problems}\n--- stdout\n{results[-1].out[-2000:]}" \
                         f"\n--- stderr\n{results[-1].err[-2000:]}"
    if case.verify is not None:
        case.verify(tmp_path)


def test_corpus__has_400_cases_covering_every_class():
    classes = {c.cls for c in CASES}
    assert len(CASES) >= 400
    for required in ("coords_swapped", "coords_infinite", "coords_huge", "geojson_truncated", "kml_truncated",
                     "zip_truncated", "xlsx_truncated", "csv_truncated", "shapefile_malformed", "input_directory",
                     "input_unreadable", "input_fifo", "input_device", "zip_bad_crc", "zip_lying_sizes",
                     "zip_encrypted", "zip_deflate64", "zip_bomb", "json_deep", "xlsx_dtd", "csv_bom_gbk",
                     "zip_cpg_lies", "csv_5000_columns", "crs_unknown", "out_under_file", "out_read_only",
                     "names_hostile_output", "feature_type_unknown", "xlsx_second_sheet", "codes_as_text",
                     "control_chars", "xlsx_formula", "topology_spikes", "size_cap"):
        assert required in classes, required


def test_corpus__is_deterministic():
    assert [c.name for c in corpus()] == [c.name for c in CASES]


@pytest.mark.parametrize("case", SAMPLE, ids=[c.name for c in SAMPLE])
def test_fuzz_sample__exits_0_1_or_2_quickly_and_says_what_it_dropped(case, tmp_path):
    _run(case, tmp_path)


def _param(case):
    marks = [pytest.mark.xfail(reason=case.known_failure, strict=False)] if case.known_failure else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_fuzz_corpus__exits_0_1_or_2_quickly_and_says_what_it_dropped(case, tmp_path):
    _run(case, tmp_path)
