"""The CJK font for printed pages: find it (or register a font file), else fail with the install command.

Printed text must never fall back to tofu boxes: without a Chinese font we refuse to
print. The font is embedded in PDFs as a Type 3 subset with a ToUnicode map (matplotlib's
default ``pdf.fonttype = 3``), so Chinese text stays extractable.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from matplotlib import font_manager, rc_context

from geo.errors import GeoInputError

# OFL / Apache-licensed families, best first (Debian: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei)
CANDIDATE_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
)
FONT_ENV = "GRIDATLAS_CJK_FONT"  # path to a .ttf/.otf/.ttc to use instead
INSTALL_HINT = "apt-get install fonts-noto-cjk"


def _installed_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


@lru_cache(maxsize=4)
def cjk_font_family(font_path: str | None = None) -> str:
    """The family name of a usable CJK font.

    ``font_path`` (or the ``GRIDATLAS_CJK_FONT`` environment variable) names a font file
    to register first; otherwise the first installed family of ``CANDIDATE_FAMILIES``.

    Raises
    ------
    GeoInputError
        Code ``print.no_cjk_font`` when no Chinese font is available, with the install command.
    """
    path = font_path or os.environ.get(FONT_ENV)
    if path:
        if not Path(path).is_file():
            msg = f"CJK font file {path} does not exist"
            raise GeoInputError(msg, code="print.no_cjk_font", font=str(path), hint=INSTALL_HINT)
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    installed = _installed_families()
    for family in CANDIDATE_FAMILIES:
        if family in installed:
            return family
    msg = f"no Chinese font found among {CANDIDATE_FAMILIES}"
    raise GeoInputError(msg, code="print.no_cjk_font", font=", ".join(CANDIDATE_FAMILIES), hint=INSTALL_HINT)


def print_rc(font_path: str | None = None) -> dict[str, object]:
    """matplotlib rcParams for printed pages: the CJK family, embedded Type 3 fonts, ASCII minus, no maths."""
    return {
        "font.family": [cjk_font_family(font_path)],
        "pdf.fonttype": 3,
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "text.parse_math": False,  # user names with `$…$` print literally (and never crash mathtext)
        "text.usetex": False,
    }


@contextmanager
def print_fonts(font_path: str | None = None) -> Iterator[None]:
    """Context in which figures are built and saved with the CJK font."""
    with rc_context(print_rc(font_path)):
        yield
