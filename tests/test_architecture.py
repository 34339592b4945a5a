"""The dependency direction app -> layers -> geo holds, and the catalogue is complete."""
from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_geo__imports_no_ui_or_plotting_library():
    code = ("import importlib, pkgutil, sys, geo\n"
            "for m in pkgutil.walk_packages(geo.__path__, 'geo.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "bad = [n for n in ('streamlit', 'folium', 'branca', 'matplotlib') if n in sys.modules]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_layers__never_imports_streamlit():
    code = ("import importlib, pkgutil, sys, layers\n"
            "for m in pkgutil.walk_packages(layers.__path__, 'layers.'):\n"
            "    importlib.import_module(m.name)\n"
            "print('streamlit' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
