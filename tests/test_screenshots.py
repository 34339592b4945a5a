"""The README's screenshots: the login page and every page of the menu in every language have a file in docs/screens
and a link; the files stay small (palette PNGs)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from geo.messages import LANGS

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshots__every_page_in_every_language_is_in_docs_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    script = _script()
    names = script.shot_names()
    assert len(script.page_table()) >= 7
    assert names[0] == "login" and names[1:] == [url for _file, _key, url in script.page_table()]
    missing = [f"docs/screens/{name}_{lang}.png" for name in names for lang in LANGS
               if not (ROOT / "docs" / "screens" / f"{name}_{lang}.png").is_file()
               or f"(docs/screens/{name}_{lang}.png)" not in readme]
    assert not missing, f"run scripts/screenshots.py and link: {missing}"


def test_screenshots__stay_small():
    sizes = {p.name: p.stat().st_size for p in (ROOT / "docs" / "screens").glob("*.png")}
    assert sizes and max(sizes.values()) < 150_000, f"run scripts/screenshots.py (palette PNGs): {sizes}"
