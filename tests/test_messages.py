"""The message catalogue as a specification.

- every error code raised anywhere, every finding code and every literal ``t("key")`` in geo/, layers/,
  ui/, cli/ and app.py has zh and en text with the same placeholders (a static scan of the source);
- one label family per concept (``level.``, ``role.``, ``method.``, ``point_type.``, ``category.``,
  ``tier.``, ``scenario.``), read through ``geo.messages.label``;
- no error carries a literal (bilingual or not) ``detail=`` text: the words come from the catalogue;
- remedies are phrased for the front end that shows them: the web app never names a ``--flag``.
"""
from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from geo import schema as s
from geo.errors import GeoInputError, MissingCRSError
from geo.messages import CATALOGUE, FRONTS, LABEL_FAMILIES, error_text, fix_key, label, message, t
from geo.validate import finding, finding_text
from layers import style

ROOT = Path(__file__).resolve().parents[1]
SCANNED_DIRS = ("geo", "layers", "ui", "cli")
KEY_FUNCTIONS = {"t", "tr", "message"}  # first positional argument is a catalogue key
FRONT_FUNCTIONS = {"error_text", "finding_text", "findings_table", "message"}  # take front=
CLI_SYNTAX = re.compile(r"(?<![\w-])--[a-z<]|python |GRIDATLAS_")
CJK = re.compile(r"[\u3400-\u9fff]")
WORDS = re.compile(r"[A-Za-z\u3400-\u9fff]")


@dataclass(frozen=True)
class KeyUse:
    """One place in the source that needs a catalogue key."""

    key: str
    where: str  # path:line
    kind: str  # "code" (error code / finding code) or "text" (a t()/tr() literal)


def _strings(node: ast.AST | None) -> list[str]:
    """The string constants a value expression can take (a literal, or either branch of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _func_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def keys_used(source: str, *, path: str = "<string>") -> list[KeyUse]:
    """Every catalogue key ``source`` needs: ``code="..."`` arguments, ``code = "..."`` assignments
    (error class attributes, finding codes), ``finding(severity, "code", ...)`` and ``t("key", ...)``."""
    uses: list[KeyUse] = []
    for node in ast.walk(ast.parse(source)):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _func_name(node)
            uses += [KeyUse(v, where, "code") for kw in node.keywords if kw.arg == "code" for v in _strings(kw.value)]
            if name in KEY_FUNCTIONS and node.args:
                uses += [KeyUse(v, where, "text") for v in _strings(node.args[0])]
            if name == "finding" and len(node.args) > 1:
                uses += [KeyUse(v, where, "code") for v in _strings(node.args[1])]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(tg, ast.Name) and tg.id == "code" for tg in targets):
                uses += [KeyUse(v, where, "code") for v in _strings(node.value)]
    return uses


def source_files() -> Iterator[Path]:
    """The application's Python files (the catalogue itself excluded)."""
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else []:
            if "messages" not in path.relative_to(ROOT).parts[:2]:
                yield path
    yield ROOT / "app.py"


def all_uses() -> list[KeyUse]:
    """Key uses of every application file."""
    return [use for path in source_files()
            for use in keys_used(path.read_text(encoding="utf-8"), path=str(path.relative_to(ROOT)))]


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def catalogue_problems(uses: list[KeyUse], catalogue: dict[str, dict[str, str]] = CATALOGUE) -> list[str]:
    """What is wrong with the catalogue for ``uses``: missing keys, languages or placeholders, and
    error codes whose per-front remedies are incomplete."""
    problems = []
    for use in uses:
        keys = [use.key]
        if use.kind == "code":
            keys += [fix_key(use.key, front) for front in FRONTS if fix_key(use.key, front) in catalogue]
            if 0 < len(keys) - 1 < len(FRONTS):
                problems.append(f"{use.where}: {use.key} has a remedy for some front ends only")
        for key in keys:
            texts = catalogue.get(key)
            if texts is None:
                problems.append(f"{use.where}: {key} is not in the catalogue")
            elif set(texts) != {"zh", "en"} or not all(texts.values()):
                problems.append(f"{use.where}: {key} lacks zh or en text")
            elif _placeholders(texts["zh"]) != _placeholders(texts["en"]):
                problems.append(f"{use.where}: {key} has different placeholders in zh and en")
    return problems


# --- every key used exists in both languages --------------------------------------------------

def test_scan__finds_the_codes_raised_across_the_floors():
    found = {use.key for use in all_uses()}
    # one raise site per floor and kind, so an empty or broken scan fails here
    assert {"missing_crs", "io.choose_layer", "export.unknown_level", "style.unknown_measure",
            "check.point_far_outside", "print.unknown_unit", "ui.explore.title"} <= found
    assert len(found) > 300


def test_catalogue__every_code_and_key_used_anywhere_has_zh_and_en_with_the_same_placeholders():
    assert catalogue_problems(all_uses()) == []


@pytest.mark.parametrize(("source", "missing"), [
    ('raise GeoInputError(msg, code="io.no_such_code", file=f)', "io.no_such_code"),  # a raise site
    ("class NewError(GeoInputError):\n    code = 'new_error'", "new_error"),  # an error class
    ('rows.append(finding(ERROR, "check.no_such_finding", layer))', "check.no_such_finding"),  # a finding
    ('print(t("cli.no_such_text", lang))', "cli.no_such_text"),  # a text
    ('st.error(tr("ui.explore.title" if x else "ui.no_such_branch"))', "ui.no_such_branch"),  # either branch
])
def test_catalogue_scan__fails_on_a_key_missing_from_the_catalogue(source, missing):
    problems = catalogue_problems(keys_used(source))
    assert len(problems) == 1 and missing in problems[0]


def test_catalogue_scan__fails_on_a_missing_language_placeholder_or_front():
    fake = {
        "only_zh": {"zh": "只有中文"},
        "other_fields": {"zh": "文件 {file}", "en": "Row {row}"},
        "half_fixed": {"zh": "错误", "en": "Error"},
        "half_fixed.fix.cli": {"zh": "用 --x", "en": "Use --x"},
    }
    source = 'raise E(m, code="only_zh")\nraise E(m, code="other_fields")\nraise E(m, code="half_fixed")'
    problems = "\n".join(catalogue_problems(keys_used(source), fake))
    assert "only_zh lacks zh or en" in problems
    assert "other_fields has different placeholders" in problems
    assert "half_fixed has a remedy for some front ends only" in problems


def test_catalogue_scan__passes_on_known_keys():
    assert catalogue_problems(keys_used('raise MissingCRSError(msg, code="missing_crs")\nt("level.micro")')) == []


def key_prefixes_used(source: str, *, path: str = "<string>") -> list[KeyUse]:
    """The fixed head of computed keys, ``t(f"coverage.col.{c}")`` -> ``coverage.col.``."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _func_name(node) in KEY_FUNCTIONS and node.args \
                and isinstance(node.args[0], ast.JoinedStr):
            head = node.args[0].values[0] if node.args[0].values else None
            if isinstance(head, ast.Constant) and head.value:
                uses.append(KeyUse(head.value, f"{path}:{node.lineno}", "prefix"))
    return uses


def unknown_prefixes(uses: list[KeyUse]) -> list[str]:
    """Computed keys whose fixed head starts no catalogue key (a typo in a family name)."""
    return [f"{u.where}: no key starts with {u.key!r}" for u in uses
            if not any(key.startswith(u.key) for key in CATALOGUE)]


def test_catalogue__every_computed_key_names_an_existing_family():
    uses = [u for p in source_files() for u in key_prefixes_used(p.read_text(encoding="utf-8"), path=p.name)]
    assert len(uses) > 20
    assert unknown_prefixes(uses) == []


def test_catalogue_scan__fails_on_a_computed_key_of_an_unknown_family():
    assert unknown_prefixes(key_prefixes_used('t(f"levels.{v}", lang)')) != []
    assert unknown_prefixes(key_prefixes_used('t(f"level.{v}", lang)')) == []


# --- one label family per concept -------------------------------------------------------------

FAMILY_VALUES = {
    "level": (s.LEVEL_MASTER, s.LEVEL_GENERAL, s.LEVEL_MICRO, s.LEVEL_DEDICATED, "city", "town", "community", "grid"),
    "role": s.ROLES,
    "method": s.METHODS,
    "point_type": tuple(s.POINT_TYPES),
    "category": s.CATEGORIES,
    "tier": s.TIERS,
    "scenario": (s.DEFAULT_SCENARIO, "战时"),
    "ruleset": tuple(s.DEFAULT_SETTINGS["rulesets"]),
    "measure": ("none", *(m.name for m in style.MEASURES.values())),
    "org_type": s.ORG_TYPES,
    "unit_kind": (*s.MICRO_KINDS, s.UNIT_KIND_NONE),
    "project_kind": s.PROJECT_KINDS,
    "project_status": s.PROJECT_STATUSES,
}
OLD_FAMILY_NAMES = {"point_type": ("point",), "measure": ("metric",)}  # names of removed copies


def test_labels__every_code_list_value_has_its_family_label_in_both_languages():
    assert set(FAMILY_VALUES) == set(LABEL_FAMILIES)
    for family, values in FAMILY_VALUES.items():
        for value in values:
            texts = CATALOGUE[f"{family}.{value}"]
            assert texts["zh"] and texts["en"]
            assert not CJK.search(texts["en"]), f"{family}.{value} has no English label"


def test_labels__no_second_family_for_a_concept():
    copies = []
    for family, values in FAMILY_VALUES.items():
        names = (family, *OLD_FAMILY_NAMES.get(family, ()))
        for value in values:
            for key in CATALOGUE:
                if key != f"{family}.{value}" and any(
                        key.endswith(f".{n}.{value}") or key.endswith(f".{n}_{value}") for n in names):
                    copies.append(key)
    assert copies == []


def test_labels__no_other_key_repeats_a_grid_level_or_role_label():
    labels_zh = {CATALOGUE[f"{f}.{v}"]["zh"]: f"{f}.{v}" for f in ("level", "role")
                 for v in FAMILY_VALUES[f] if v not in ("grid", "member", "town", "city", "community")}
    repeats = [k for k, texts in CATALOGUE.items()
               if texts["zh"] in labels_zh and labels_zh[texts["zh"]] != k]
    assert repeats == []


@pytest.mark.parametrize(("family", "value", "lang", "expected"), [
    ("level", "micro", "zh", "微网格"),
    ("level", "micro", "en", "Micro-grid"),
    ("role", "leader", "en", "Micro-grid leader"),
    ("point_type", "社区花园", "en", "Community garden"),
    ("point_type", "社区花园", "zh", "社区花园"),
    ("tier", "镇街", "en", "Town"),
    ("scenario", "基线", "en", "Baseline"),
    ("scenario", "方案二", "en", "方案二"),  # a planner's own name is shown as typed
    ("tier", "外单位", "en", "外单位"),  # an unknown value is shown as stored, never as a key
    ("role", None, "en", ""),  # blank cells stay blank
    ("method", float("nan"), "en", ""),
])
def test_label__family_text_or_the_value_itself(family, value, lang, expected):
    assert label(family, value, lang) == expected


def test_sources__name_no_removed_label_family():
    sources = {path: path.read_text(encoding="utf-8") for path in source_files()}
    old = re.compile(r"""["'](ui|style|export|coverage)\.level\.|autogrid\.level_|export\.method\.|style\.point\."""
                     r"""|ui\.explore\.metric\.|style\.measure\.(staffing|coverage|households)""")
    assert [str(p.relative_to(ROOT)) for p, src in sources.items() if old.search(src)] == []


# --- no literal detail text in errors ---------------------------------------------------------

def literal_details(source: str, *, path: str = "<string>") -> list[str]:
    """Error arguments written as literal prose: any ``detail=`` literal, and any literal with Chinese
    text passed to a call that has a ``code=`` or is an ``...Error(...)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _func_name(node) or ""
        is_error = name.endswith("Error") or any(kw.arg == "code" for kw in node.keywords)
        for kw in node.keywords:
            value = kw.value
            parts = value.values if isinstance(value, ast.JoinedStr) else [value]
            prose = " ".join(v for part in parts for v in _strings(part))  # the literal words, not the data
            if is_error and (CJK.search(prose) or (kw.arg == "detail" and WORDS.search(prose))):
                found.append(f"{path}:{node.lineno}: {kw.arg}={ast.unparse(value)}")
    return found


def test_errors__carry_no_literal_detail_text():
    offenders = [hit for path in source_files()
                 for hit in literal_details(path.read_text(encoding="utf-8"), path=str(path.relative_to(ROOT)))]
    assert offenders == []


@pytest.mark.parametrize("source", [
    'raise ProjectFileError(msg, file=f, detail="file not found / 文件不存在")',
    'raise GeoInputError(msg, code="x", file=f, detail=f"suffix {suffix}")',
    'raise UnsupportedFormatError(msg, file=f, reason="编码")',
])
def test_errors_scan__finds_literal_detail_text(source):
    assert literal_details(source) != []


@pytest.mark.parametrize("source", [
    'raise GeoInputError(msg, code="x", file=label, detail=str(exc))',
    'raise GeoInputError(msg, code="x", detail=f"{distance:.0f}")',  # a number, no words
])
def test_errors_scan__accepts_values_from_the_data(source):
    assert literal_details(source) == []


# --- remedies per front end -------------------------------------------------------------------

def _codes() -> set[str]:
    return {use.key for use in all_uses() if use.kind == "code"}


def test_errors__own_text_names_no_command_line_and_web_remedy_neither():
    bad = []
    for code in sorted(_codes()):
        for lang in ("zh", "en"):
            if CLI_SYNTAX.search(CATALOGUE[code][lang]):
                bad.append(f"{code} ({lang}): move the command-line remedy to {fix_key(code, 'cli')}")
            if CLI_SYNTAX.search(message(code, lang, front="web")):
                bad.append(f"{code} ({lang}): the web remedy names the command line")
    assert bad == []


def test_errors__remedies_exist_in_pairs_for_a_known_message():
    fixes = [k for k in CATALOGUE if ".fix." in k]
    assert fixes, "no per-front remedies at all"
    for key in fixes:
        base, _, front = key.rpartition(".fix.")
        assert front in FRONTS and base in CATALOGUE, key
        assert all(fix_key(base, f) in CATALOGUE for f in FRONTS), key


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_error_text__missing_crs_remedy_per_front(lang):
    exc = MissingCRSError("no CRS", file="sites.csv")
    cli, web = error_text(exc, lang, front="cli"), error_text(exc, lang, front="web")
    assert "sites.csv" in cli and "sites.csv" in web
    assert "--crs" in cli
    assert "--crs" not in web and ("导入数据" in web if lang == "zh" else "Import page" in web)


def test_finding_text__invalid_geometry_remedy_per_front():
    row = finding("error", "check.invalid_geometry", s.GRIDS, "G1", detail="Self-intersection", file="grids.gpkg")
    cli, web = finding_text(row, "en", front="cli"), finding_text(row, "en", front="web")
    assert cli.startswith(web.split(" Fix")[0]) and "G1" in web and "grids.gpkg" in web
    assert "--repair" in cli and "--repair" not in web


def test_error_text__code_without_front_specific_remedy_reads_the_same_everywhere():
    exc = GeoInputError("x", code="file_not_found", file="a.gpkg")
    assert error_text(exc, "en", front="cli") == error_text(exc, "en", front="web") == t("file_not_found", "en",
                                                                                        file="a.gpkg")


def test_error_text__unknown_front_is_a_programming_error():
    with pytest.raises(ValueError, match="front"):
        error_text(MissingCRSError("x", file="a"), "zh", front="tui")


def test_texts_shown_in_the_web_app_and_on_paper_name_no_command_line():
    shown = {use.key for path in source_files() if path.parts[len(ROOT.parts)] in ("ui", "layers", "app.py")
             for use in keys_used(path.read_text(encoding="utf-8")) if use.kind == "text"}
    shown |= {k for k in CATALOGUE if k.startswith("ui.") or ".ui." in k or ".page." in k}
    bad = [k for k in sorted(shown) if k in CATALOGUE and any(CLI_SYNTAX.search(v) for v in CATALOGUE[k].values())]
    assert bad == []


def web_calls_without_front(source: str, *, path: str = "<string>") -> list[str]:
    """Calls in the web app that render an error or finding without ``front="web"``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _func_name(node) in FRONT_FUNCTIONS:
            front = next((kw.value for kw in node.keywords if kw.arg == "front"), None)
            if not (isinstance(front, ast.Constant) and front.value == "web"):
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_web_app__renders_errors_and_findings_with_the_web_remedies():
    web = [p for p in source_files() if p.parts[len(ROOT.parts)] in ("ui", "app.py")]
    assert ROOT / "ui" / "i18n.py" in web
    assert [hit for p in web for hit in web_calls_without_front(p.read_text(encoding="utf-8"), path=p.name)] == []


def test_web_app_scan__finds_a_call_with_the_default_front():
    assert web_calls_without_front("st.error(error_text(exc, lang()))") != []
    assert web_calls_without_front('st.error(error_text(exc, lang(), front="web"))') == []
