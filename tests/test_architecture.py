"""The dependency direction app.py -> ui | cli -> layers -> geo holds, and the catalogue is complete."""
from __future__ import annotations

import ast
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"  # console script of the venv running the tests
PACKAGES = ("ui", "cli", "layers", "geo")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, capture_output=True,
                          text=True, timeout=120)


def test_floors__import_linter_contracts_are_kept():
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(("module", "statement", "contract"), [
    ("geo/crs.py", "import layers", "Floors"),
    ("geo/crs.py", "import matplotlib.pyplot", "geo imports no UI"),
    ("geo/crs.py", "import cli.main", "Floors"),
    ("layers/style.py", "import streamlit", "layers never imports streamlit"),
    ("cli/main.py", "import ui.state", "Floors"),
])
def test_floors__an_import_inside_a_function_against_the_floors_is_caught(tmp_path, module, statement,
                                                                          contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / module, "a", encoding="utf-8") as fh:
        fh.write(f"\n\ndef _sneaky() -> None:\n    {statement}\n")
    out = _lint_imports(tmp_path)
    assert out.returncode != 0
    broken = [line for line in out.stdout.splitlines() if line.endswith(" BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), out.stdout


def test_app_module__is_imported_by_no_package():
    # import-linter holds packages only; app.py (the Streamlit router) sits on top of them all.
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                else:
                    continue
                if any(n == "app" or n.startswith("app.") for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_catalogue__every_key_has_both_languages_and_same_placeholders():
    from geo.messages import CATALOGUE

    problems = []
    for key, texts in CATALOGUE.items():
        if set(texts) != {"zh", "en"} or not all(texts.values()):
            problems.append(f"{key}: languages {sorted(texts)}")
            continue
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("zh", "en")]
        if fields[0] != fields[1]:
            problems.append(f"{key}: placeholders differ {fields}")
    assert problems == []


@pytest.mark.parametrize("code", ["missing_crs", "crs_mismatch", "invalid_geometry", "empty_layer",
                                  "unsupported_geometry", "project_file", "save_conflict", "export_error"])
def test_catalogue__every_error_class_code_has_a_message(code):
    from geo.messages import CATALOGUE

    assert code in CATALOGUE


def test_streamlit_config__local_only_no_tracebacks_no_telemetry():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"  # personal data never leaves the machine
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableStaticServing"] is True  # Leaflet from ./static, not a CDN


def test_lint__ruff_finds_no_undefined_or_unused_names():
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run([str(ruff), "check", "geo", "cli", "layers", "ui", "app.py", "bench", "tests", "scripts"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
