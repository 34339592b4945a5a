"""The README's screenshots: every page of the menu in every language has a file in docs/screens and a link."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from geo.messages import LANGS

ROOT = Path(__file__).resolve().parents[1]


def _page_table() -> list[tuple[str, str, str]]:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.page_table()


def test_screenshots__every_page_in_every_language_is_in_docs_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = _page_table()
    assert len(pages) >= 7
    missing = [f"docs/screens/{url}_{lang}.png" for _file, _key, url in pages for lang in LANGS
               if not (ROOT / "docs" / "screens" / f"{url}_{lang}.png").is_file()
               or f"(docs/screens/{url}_{lang}.png)" not in readme]
    assert not missing, f"run scripts/screenshots.py and link: {missing}"
