"""The one bilingual catalogue (zh default, en) for every user-facing string.

Topic modules in this package each define ``MESSAGES = {key: {"zh": ..., "en": ...}}``;
they are merged here. Templates use ``str.format`` placeholders filled from a
context dict (an error's ``context``, or keyword arguments).
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def _load_catalogue() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, texts in module.MESSAGES.items():
            if key in catalogue:
                msg = f"message key {key!r} defined twice (again in {info.name})"
                raise RuntimeError(msg)
            catalogue[key] = texts
    return catalogue


CATALOGUE: dict[str, dict[str, str]] = _load_catalogue()


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_ids(ids: Iterable[Any], *, lang: str = DEFAULT_LANG, limit: int = 10) -> str:
    """List up to ``limit`` ids, then "and N more" in the chosen language."""
    items = [str(i) for i in ids]
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    if rest > 0:
        shown += f" 等另外 {rest} 个" if lang == "zh" else f" and {rest} more"
    return shown


def t(key: str, lang: str = DEFAULT_LANG, /, **context: Any) -> str:
    """Return the catalogue text for ``key`` in ``lang``, filled from ``context``.

    Unknown keys fall back to the key itself so a missing entry is visible, never
    a crash; the catalogue test fails on any missing key or language.
    """
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    template = texts.get(lang) or texts[DEFAULT_LANG]
    values = _Lenient({k: (format_ids(v, lang=lang) if isinstance(v, (list, tuple)) else v)
                       for k, v in context.items()})
    return template.format_map(values)


def error_text(error: Exception, lang: str = DEFAULT_LANG) -> str:
    """User-facing text for a ``GeoInputError`` (its ``code`` and ``context``)."""
    code = getattr(error, "code", "input_error")
    context: Mapping[str, Any] = getattr(error, "context", {})
    if code not in CATALOGUE:
        return t("input_error", lang, detail=str(error))
    return t(code, lang, **dict(context))
