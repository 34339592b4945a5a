"""The one bilingual catalogue (zh default, en) for every user-facing string.

Topic modules in this package each define ``MESSAGES = {key: {"zh": ..., "en": ...}}``;
they are merged here. Templates use ``str.format`` placeholders filled from a
context dict (an error's ``context``, or keyword arguments).

- ``t(key, lang, **context)``: one text.
- ``label(family, value, lang)``: the label of a code-list value; one family per concept
  (``level``, ``role``, ``method``, ``point_type``, ``category``, ``tier``, ``scenario``, ``measure``;
  see ``labels.py``).
- ``error_text(exc, lang, front=...)`` / ``message(key, lang, front=...)``: an error or finding in
  the words of the front end that shows it. An error's own text says what happened and where;
  a remedy that names a control of one front end (a ``--flag`` of the command line, a widget of
  the web app) lives in ``<code>.fix.cli`` and ``<code>.fix.web`` and is appended for that front.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
FRONTS = ("cli", "web")  # the command line (cli/, python -m cli) and the Streamlit app (ui/)
LABEL_FAMILIES = ("level", "role", "method", "point_type", "category", "tier", "scenario", "ruleset", "measure",
                  "org_type", "unit_kind", "project_kind", "project_status")  # the last four: messages/governance.py


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


def label(family: str, value: object, lang: str = DEFAULT_LANG) -> str:
    """The label of a code-list value: ``label("level", "micro", "en")`` -> ``"Micro-grid"``.

    Blank values (None, NaN, "") give ``""``; a value with no catalogue entry (a planner's own
    tier, point type or scenario name) is shown as stored.
    """
    try:
        blank = value is None or value == "" or bool(value != value)  # NaN is not equal to itself
    except TypeError:  # pandas.NA refuses bool()
        blank = True
    if blank:
        return ""
    key = f"{family}.{value}"
    return t(key, lang) if key in CATALOGUE else str(value)


def fix_key(key: str, front: str) -> str:
    """The catalogue key of the remedy of ``key`` for one front end (``cli`` or ``web``)."""
    if front not in FRONTS:
        msg = f"unknown front end {front!r}; use one of {FRONTS}"
        raise ValueError(msg)
    return f"{key}.fix.{front}"


def message(key: str, lang: str = DEFAULT_LANG, /, *, front: str, **context: Any) -> str:
    """The text of an error or finding ``key`` followed by its remedy for ``front``, if it has one."""
    text = t(key, lang, **context)
    fix = fix_key(key, front)
    if fix not in CATALOGUE:
        return text
    return text + ("" if lang == "zh" else " ") + t(fix, lang, **context)


def action_label(action: str, lang: str = DEFAULT_LANG) -> str:
    """The planner's label of an edit or audit action (``undo:add`` -> 撤销：加入网格); unknown codes as given."""
    prefix, sep, base = str(action).partition(":")
    if sep and prefix in ("undo", "redo"):
        return f"{t(f'edit.action.{prefix}', lang)}{'：' if lang == 'zh' else ': '}{action_label(base, lang)}"
    key = f"edit.action.{action}"
    return t(key, lang) if key in CATALOGUE else str(action)


def error_text(error: Exception, lang: str = DEFAULT_LANG, *, front: str = "cli") -> str:
    """User-facing text for a ``GeoInputError`` (its ``code`` and ``context``) in ``front``'s words.

    The web app passes ``front="web"`` (``ui.i18n.show_error``), so it never tells a planner to
    pass a command-line flag.
    """
    code = getattr(error, "code", "input_error")
    context: Mapping[str, Any] = getattr(error, "context", {})
    if code not in CATALOGUE:
        return message("input_error", lang, front=front, detail=str(error))
    shown = dict(context)
    if "action" in shown:  # an edit's action code (scenario_switch) reads as its label (切换方案)
        shown["action"] = action_label(shown["action"], lang)
    return message(code, lang, front=front, **shown)
