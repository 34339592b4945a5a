"""Grid rosters (网格员名单): who serves each grid or community, with role, tier and masked contact.

``roster_table`` is the table; ``roster_markdown``/``roster_text`` render it ready to print
or paste (e.g. into a chat group); ``roster_bytes`` picks a form (md, txt, csv, xlsx).
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo import export_formats as fmt
from geo import export_tables as tab
from geo import schema as s
from geo.errors import ExportError, GeoWarning
from geo.messages import label, t
from geo.project import Project
from geo.values import markdown_literal

ROSTER_BY = ("grid", "community")
ROSTER_COLUMNS = (tab.TOWN_NAME, s.COMMUNITY_CODE, tab.COMMUNITY_NAME, s.GRID_CODE, tab.GRID_NAME, s.LEVEL,
                  s.ROLE, s.VOLUNTEER_ID, tab.VOLUNTEER_NAME, s.TIER, s.PHONE)
_ROLE_ORDER = {"worker": 0, "leader": 1, "member": 2}
_PERSON = (s.ROLE, tab.VOLUNTEER_NAME, s.VOLUNTEER_ID, s.TIER, s.PHONE)


def roster_table(project: Project, *, by: str = "grid", scenario: str | None = None,
                 privacy: tab.Privacy = tab.Privacy(), lang: str = "zh") -> pd.DataFrame:
    """One row per person per grid, sorted by community (``by="community"``) or grid, then role.

    Roles and levels are localised; phones masked unless ``privacy.include_personal``.

    Raises
    ------
    ExportError
        ``export.unknown_level`` when ``by`` is neither ``grid`` nor ``community``.
    """
    if by not in ROSTER_BY:
        msg = f"roster grouping {by!r} not in {ROSTER_BY}"
        raise ExportError(msg, code="export.unknown_level", level=by, known=list(ROSTER_BY))
    scenario = tab.current_scenario(project, scenario)
    rows = project.assignments(scenario).astype({s.VOLUNTEER_ID: str, s.GRID_CODE: str})
    chain = tab.grid_chain(project)
    people = tab.people_table(project, privacy)
    out = rows.merge(chain, on=s.GRID_CODE, how="inner").join(people, on=s.VOLUNTEER_ID)
    out["_order"] = out[s.ROLE].map(_ROLE_ORDER).fillna(9)
    keys = [s.COMMUNITY_CODE, s.GRID_CODE] if by == "community" else [s.GRID_CODE]
    out = out.sort_values([*keys, "_order", s.VOLUNTEER_ID], kind="stable")
    out[s.ROLE] = out[s.ROLE].map(lambda r: tab.role_label(r, lang))
    out[s.LEVEL] = out[s.LEVEL].map(lambda lv: tab.level_label(lv, lang))
    out[s.TIER] = out[s.TIER].map(lambda v: label("tier", v, lang))
    out = out.reindex(columns=list(ROSTER_COLUMNS))
    return out.astype(object).where(out.notna(), "").reset_index(drop=True)


def _md_cell(value: object) -> str:
    return markdown_literal(value)


def _md_table(records: list[dict], columns: tuple[str, ...], lang: str) -> list[str]:
    lines = ["| " + " | ".join(markdown_literal(tab.header(c, lang)) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(r[c]) for c in columns) + " |" for r in records]
    return lines


def _groups(roster: pd.DataFrame, keys: tuple[str, str]) -> list[tuple[tuple[str, str], list[dict]]]:
    """Records grouped by ``keys`` in table order (plain dicts: fast at county scale)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for rec in roster.to_dict("records"):
        out.setdefault((rec[keys[0]], rec[keys[1]]), []).append(rec)
    return list(out.items())


def _footer(metadata: Mapping[str, str] | None, lang: str, *, personal: bool) -> list[str]:
    if not metadata:
        return []
    key = "export.roster.footer_full" if personal else "export.roster.footer"
    return ["", t(key, lang, exported_at=metadata.get("exported_at", ""), scenario=metadata.get("scenario", ""))]


def roster_markdown(roster: pd.DataFrame, *, by: str = "grid", lang: str = "zh",
                    metadata: Mapping[str, str] | None = None, personal: bool = False) -> str:
    """Markdown: a heading per grid (or community) and a table of its people."""
    lines = [f"# {t('export.roster.title', lang)}"]
    if by == "community":
        for (code, name), rows in _groups(roster, (s.COMMUNITY_CODE, tab.COMMUNITY_NAME)):
            lines += ["", "## " + markdown_literal(t("export.roster.community_heading", lang, community_name=name,
                                             community_code=code)), ""]
            lines += _md_table(rows, (s.GRID_CODE, tab.GRID_NAME, *_PERSON), lang)
    else:
        for (code, name), rows in _groups(roster, (s.GRID_CODE, tab.GRID_NAME)):
            lines += ["", "## " + markdown_literal(t("export.roster.grid_heading", lang, grid_name=name, grid_code=code)),
                      markdown_literal(f"{rows[0][tab.TOWN_NAME]} {rows[0][tab.COMMUNITY_NAME]}"), ""]
            lines += _md_table(rows, _PERSON, lang)
    footer = [markdown_literal(line) if line else line for line in _footer(metadata, lang, personal=personal)]
    return "\n".join([*lines, *footer]) + "\n"


def roster_text(roster: pd.DataFrame, *, by: str = "grid", lang: str = "zh",
                metadata: Mapping[str, str] | None = None, personal: bool = False) -> str:
    """Plain text, one line per person under a line per grid (or community): ready to paste."""
    sep = "：" if lang == "zh" else ": "
    lines = [t("export.roster.title", lang)]
    group = (s.COMMUNITY_CODE, tab.COMMUNITY_NAME) if by == "community" else (s.GRID_CODE, tab.GRID_NAME)
    for (code, name), rows in _groups(roster, group):
        key = "export.roster.community_heading" if by == "community" else "export.roster.grid_heading"
        ctx = {"community_name": name, "community_code": code, "grid_name": name, "grid_code": code}
        lines += ["", t(key, lang, **ctx)]
        for row in rows:
            where = f"{row[tab.GRID_NAME]} " if by == "community" else ""
            person = " ".join(str(v) for v in (row[tab.VOLUNTEER_NAME], row[s.PHONE]) if v)
            vid = f"（{row[s.VOLUNTEER_ID]}）" if lang == "zh" else f" ({row[s.VOLUNTEER_ID]})"
            lines.append(f"  {where}{row[s.ROLE]}{sep}{person}{vid}")
    return "\n".join([*lines, *_footer(metadata, lang, personal=personal)]) + "\n"


def roster_bytes(project: Project, *, by: str = "grid", form: str = "md", scenario: str | None = None,
                 privacy: tab.Privacy = tab.Privacy(), lang: str = "zh",
                 metadata: Mapping[str, str] | None = None, encoding: str = "utf-8-sig",
                 notes: list[GeoWarning] | None = None) -> bytes:
    """The roster as a file: ``md`` or ``txt`` (UTF-8), ``csv`` (``encoding``) or ``xlsx``.

    Raises
    ------
    ExportError
        ``export.unknown_format`` for another ``form``.
    """
    roster = roster_table(project, by=by, scenario=scenario, privacy=privacy, lang=lang)
    personal = privacy.include_personal
    if form == "md":
        return roster_markdown(roster, by=by, lang=lang, metadata=metadata, personal=personal).encode("utf-8")
    if form == "txt":
        return roster_text(roster, by=by, lang=lang, metadata=metadata, personal=personal).encode("utf-8")
    if form == "csv":
        return fmt.to_csv_bytes(tab.localise_columns(roster, lang), encoding=encoding, notes=notes)
    if form == "xlsx":
        meta = {t(f"export.meta.{k}", lang): v for k, v in (metadata or {}).items()}
        headers = {c: tab.header(c, lang) for c in roster.columns}
        return fmt.to_xlsx_bytes({t("export.sheet.roster", lang): roster}, headers=headers,
                                 metadata=meta, metadata_title=t("export.sheet.metadata", lang),
                                 metadata_headers=(t("export.meta.key", lang), t("export.meta.value", lang)),
                                 notes=notes)
    msg = f"unknown roster form {form!r}"
    raise ExportError(msg, code="export.unknown_format", fmt=form, known=["md", "txt", "csv", "xlsx"])
