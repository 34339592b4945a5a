"""Export grid assignments: pick tables, format and CRS; record metadata and the audit of personal exports.

``export_bytes(project, ExportOptions(...))`` returns an ``ExportResult`` with the file's
bytes, a suggested file name and the project with an audit row appended when full
personal data was exported (the caller saves it). Tables live in ``geo.export_tables``,
file formats in ``geo.export_formats``, rosters in ``geo.roster``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.access import LOCAL, require_unmask, reveal
from geo import __version__
from geo import export_formats as fmt
from geo import export_tables as tab
from geo import schema as s
from geo.buildings import building_roster, roster_export_table
from geo.crs import OFFSET_SYSTEMS, parse_crs, to_offset_system
from geo.errors import ExportError, GeoWarning
from geo.escalation import chain_export_table, escalation_chain
from geo.export_governance import governance_sheets
from geo.files import write_atomic
from geo.gridcodes import history_table
from geo.messages import label, t
from geo.progress import Progress, report
from geo.project import Project
from geo.rollup import Figures, unit_figures
from geo.validate import check_project, findings_table
from geo.values import now_iso

FORMATS = ("xlsx", "csv", "geojson", "gpkg", "shp", "roster")
GEO_FORMATS = ("geojson", "gpkg", "shp")
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "geojson": "geojson", "gpkg": "gpkg", "shp": "zip"}
ROSTER_FORMS = ("md", "txt", "csv", "xlsx")
TABLES = ("main", "escalation", "buildings")  # main: summary, grids, chain, governance; the others on their own
TABLE_FORMATS = ("xlsx", "csv", "geojson", "gpkg")  # formats of the escalation and buildings tables
AUDIT_ACTION = "export_personal"


@dataclass(frozen=True)
class ExportOptions:
    """What to export. ``crs``: None (WGS 84), ``gcj02``/``bd09`` or an EPSG code (geo formats only).

    ``table``: ``main`` (the workbook/tables a planner compares with the screen), ``escalation``
    (the escalation chain, one row per grid) or ``buildings`` (the per-building roster), the
    last two in ``TABLE_FORMATS`` only and without a level.
    """

    fmt: str = "xlsx"
    level: str | None = None
    lang: str = "zh"
    crs: str | None = None
    include_personal: bool = False
    mask_names: bool = False
    encoding: str = "utf-8-sig"
    scenario: str | None = None
    user: str = ""
    scope: Any = None  # the geo.access.Scope exporting (None: the command line, LOCAL); personal data needs its leave
    roster_by: str = "grid"
    roster_form: str = "md"
    table: str = "main"  # ``TABLES``: the main export, or the escalation chain / per-building roster alone


@dataclass(frozen=True)
class ExportResult:
    """An export: file content, suggested file name, metadata, and the project (audited when personal)."""

    data: bytes
    filename: str
    metadata: dict[str, str]
    project: Project
    audited: bool = False
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[GeoWarning, ...] = ()  # what the planner should know (e.g. control characters removed)


# --- options -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutputCRS:
    """The CRS of geometry in an export: ``label`` for metadata, ``tag`` for file names."""

    label: str
    tag: str
    transform: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]
    lonlat: bool


def output_crs(spec: str | None) -> OutputCRS:
    """Parse ``--crs`` for an export: None/WGS 84, ``gcj02``/``bd09``, or any EPSG CRS (e.g. EPSG:4544)."""
    if spec is None or str(spec).strip().lower() in ("", "wgs84", "epsg:4326", "4326"):
        return OutputCRS("WGS 84 (EPSG:4326)", "WGS84", lambda g: g.to_crs(s.STORAGE_CRS), True)
    source = parse_crs(spec)
    if source.offset in OFFSET_SYSTEMS:
        offset = source.offset
        return OutputCRS(source.label, source.label.replace("-", ""), lambda g: to_offset_system(g, offset), True)
    crs = source.crs
    return OutputCRS(source.label, re.sub(r"[^0-9A-Za-z]", "", source.label), lambda g: g.to_crs(crs),
                     bool(crs is not None and crs.is_geographic))


def _check_options(options: ExportOptions) -> None:
    if options.fmt not in FORMATS:
        msg = f"unknown export format {options.fmt!r}"
        raise ExportError(msg, code="export.unknown_format", fmt=options.fmt, known=list(FORMATS))
    if options.table not in TABLES:
        msg = f"unknown export table {options.table!r}"
        raise ExportError(msg, code="export.unknown_table", table=options.table, known=list(TABLES))
    if options.table != "main" and options.fmt not in TABLE_FORMATS:
        msg = f"the {options.table} table is not exported as {options.fmt}"
        raise ExportError(msg, code="export.table_format", table=options.table, fmt=options.fmt,
                          known=list(TABLE_FORMATS))
    if options.table != "main" and options.level is not None:
        msg = f"--level does not apply to the {options.table} table"
        raise ExportError(msg, code="export.table_level", table=options.table)
    if options.level is not None and options.level not in tab.EXPORT_LEVELS:
        msg = f"unknown level {options.level!r}"
        raise ExportError(msg, code="export.unknown_level", level=options.level, known=list(tab.EXPORT_LEVELS))
    if options.crs and options.fmt not in GEO_FORMATS:
        msg = f"--crs does not apply to {options.fmt}"
        raise ExportError(msg, code="export.crs_not_applicable", fmt=options.fmt)
    if options.include_personal and not options.user.strip():
        msg = "an export with full personal data needs a user name for the audit log"
        raise ExportError(msg, code="export.need_user")
    if options.include_personal:
        require_unmask(options.scope or LOCAL, user=options.user)


def export_metadata(project: Project, options: ExportOptions, *, scenario: str, crs_label: str,
                    exported_at: str) -> dict[str, str]:
    """Stable-key metadata recorded in every export (time, scenario, level, CRS, personal data)."""
    lang = options.lang
    personal = "export.meta.personal_full" if options.include_personal else "export.meta.personal_masked"
    level = tab.level_label(options.level, lang) if options.level else t("export.meta.all_levels", lang)
    meta = {
        "exported_at": exported_at, "scenario": label("scenario", scenario, lang), "level": level, "crs": crs_label,
        "personal": t(personal, lang), "user": options.user, "revision": str(project.revision),
        "version": __version__, "note": t("illustrative_note", lang),
    }
    if "GCJ" in crs_label:
        meta["note"] += " " + t("export.meta.gcj02_note", lang)
    return meta


def _localised_meta(meta: dict[str, str], lang: str) -> dict[str, str]:
    return {t(f"export.meta.{k}", lang): v for k, v in meta.items()}


def export_filename(options: ExportOptions, *, scenario: str, crs_tag: str, exported_at: str) -> str:
    """``gridatlas_<level>_<scenario>[_<crs>]_<yyyymmdd-hhmm>.<ext>`` (CRS named when not WGS 84)."""
    safe = re.sub(r"[\\/:*?\"<>|\s]+", "_", scenario).strip("_") or "scenario"
    stamp = re.sub(r"[^0-9T]", "", exported_at)[:13].replace("T", "-")
    kind = f"roster-{options.roster_by}" if options.fmt == "roster" else (
        options.level or ("all" if options.table == "main" else options.table))
    ext = options.roster_form if options.fmt == "roster" else EXTENSIONS[options.fmt]
    parts = ["gridatlas", kind, safe]
    if options.fmt in GEO_FORMATS and crs_tag != "WGS84":
        parts.append(crs_tag)
    return "_".join([*parts, stamp]) + f".{ext}"


# --- audit --------------------------------------------------------------------------------

def log_personal_export(project: Project, *, user: str, scenario: str, what: str, detail: str,
                        when: str) -> Project:
    """A copy of ``project`` with one ``audit`` row (``geo.audit`` columns) for an export of full personal data."""
    from geo.audit import append_audit

    record = {"time": when, "user": user, "scenario": scenario, "action": AUDIT_ACTION, "object": what,
              "from": "", "to": detail}
    return append_audit(project, [record], user=user)


# --- per-format builders ---------------------------------------------------------------------

def _privacy(options: ExportOptions) -> tab.Privacy:
    return tab.Privacy(include_personal=options.include_personal, mask_names=options.mask_names)


def _table(project: Project, options: ExportOptions, scenario: str) -> pd.DataFrame:
    if options.level in tab.ROLLUP_LEVELS:
        return pd.DataFrame(tab.rollup_table(project, level=options.level, scenario=scenario, lang=options.lang)
                            .drop(columns="geometry"))
    return tab.assignment_table(project, level=options.level, scenario=scenario, privacy=_privacy(options),
                                lang=options.lang)


def _summary_sheet(project: Project, lang: str, figures: Figures) -> pd.DataFrame:
    """Towns, each followed by its communities, from one roll-up (``figures``)."""
    scenario = figures.scenario
    towns = pd.DataFrame(tab.rollup_table(project, level="town", scenario=scenario, lang=lang, figures=figures)
                         .drop(columns="geometry"))
    comms = pd.DataFrame(tab.rollup_table(project, level="community", scenario=scenario, lang=lang, figures=figures)
                         .drop(columns="geometry"))
    parts = []
    for _, town in towns.iterrows():
        parts.append(town.to_frame().T)
        parts.append(comms.loc[comms[s.TOWN_CODE] == town[s.TOWN_CODE]])
    parts.append(comms.loc[~comms[s.TOWN_CODE].isin(towns[s.TOWN_CODE])])
    return pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else comms


def _town_sheets(project: Project, options: ExportOptions, scenario: str) -> dict[str, pd.DataFrame]:
    table = _table(project, options, scenario)
    towns = project.layer(s.TOWNS)
    codes = towns[s.CODE].astype(str).tolist() if len(towns) else []
    names = towns[s.NAME].astype(str).tolist() if len(towns) else []
    sheets: dict[str, pd.DataFrame] = {}
    for code, name in zip(codes, names):
        rows = table.loc[table[s.TOWN_CODE] == code]
        if len(rows):
            sheets[name or code] = rows
    rest = table.loc[~table[s.TOWN_CODE].isin(codes)]
    if len(rest):
        sheets["—"] = rest
    return sheets


def chain_sheet(project: Project, *, scenario: str, privacy: tab.Privacy, lang: str) -> pd.DataFrame:
    """The escalation chain, one row per leaf grid (``geo.escalation.chain_export_table``)."""
    return chain_export_table(escalation_chain(project, scenario=scenario), privacy=privacy, lang=lang)


def buildings_sheet(project: Project, *, privacy: tab.Privacy) -> pd.DataFrame:
    """The per-building roster (``geo.buildings.building_roster``), heads through ``privacy``."""
    return roster_export_table(building_roster(project), privacy=privacy)


def _chain_sheets(project: Project, options: ExportOptions, scenario: str) -> dict[str, pd.DataFrame]:
    """The escalation chain of every grid (one row per grid) and retired grid codes (when any).

    Keys ``escalation``, ``code_history`` (sheet names are ``export.sheet.<key>``). The
    per-building roster is an export of its own (``ExportOptions(table="buildings")``).
    """
    sheets: dict[str, pd.DataFrame] = {}
    if len(project.layer(s.GRIDS)):
        sheets["escalation"] = chain_sheet(project, scenario=scenario, privacy=_privacy(options), lang=options.lang)
    history = history_table(project)
    if len(history):
        sheets["code_history"] = history.rename(columns={
            s.CODE: "retired_code", s.NAME: tab.GRID_NAME, "event": "retired_event"})[
            ["retired_code", tab.GRID_NAME, s.LEVEL, s.COMMUNITY_CODE, "retired_event", "replaced_by", "retired_at"]]
    return sheets


def _table_sheet(project: Project, options: ExportOptions, scenario: str) -> pd.DataFrame:
    """The escalation chain or the per-building roster (``options.table``) as one table."""
    if options.table == "buildings":
        return buildings_sheet(project, privacy=_privacy(options))
    return chain_sheet(project, scenario=scenario, privacy=_privacy(options), lang=options.lang)


def _table_layer(project: Project, options: ExportOptions, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """``table`` with the geometry of its buildings (points) or grids (polygons), WGS 84; none when unknown."""
    layer, key = ((s.BUILDINGS, "building_code") if options.table == "buildings" else (s.GRIDS, s.GRID_CODE))
    shapes = project.layer(layer)
    geoms = pd.Series(dtype=object)
    if len(shapes) and s.CODE in shapes.columns:
        shapes = shapes.to_crs(s.STORAGE_CRS)
        geoms = pd.Series(shapes.geometry.to_numpy(), index=shapes[s.CODE].astype(str).to_numpy())
    geoms = geoms[~geoms.index.duplicated()]
    return gpd.GeoDataFrame(table, geometry=table[key].astype(str).map(geoms).to_numpy(), crs=s.STORAGE_CRS)


def _table_export(project: Project, options: ExportOptions, scenario: str, meta: dict[str, str], crs: OutputCRS,
                  notes: list[GeoWarning]) -> bytes:
    """The escalation chain or the per-building roster alone, as XLSX, CSV, GeoJSON or GeoPackage."""
    lang = options.lang
    table = _table_sheet(project, options, scenario)
    key = "buildings" if options.table == "buildings" else "escalation"
    if options.fmt == "xlsx":
        return fmt.to_xlsx_bytes({t(f"export.sheet.{key}", lang): table},
                                 headers={c: tab.header(c, lang) for c in table.columns},
                                 metadata=_localised_meta(meta, lang), metadata_title=t("export.sheet.metadata", lang),
                                 metadata_headers=(t("export.meta.key", lang), t("export.meta.value", lang)),
                                 notes=notes)
    if options.fmt == "csv":
        return fmt.to_csv_bytes(tab.localise_columns(table, lang), encoding=options.encoding, notes=notes)
    layer = crs.transform(tab.localise_columns(_table_layer(project, options, table), lang))
    if options.fmt == "geojson":
        if not crs.lonlat:
            msg = f"GeoJSON must be lon/lat, not {crs.label}"
            raise ExportError(msg, code="export.geojson_crs", crs=crs.label)
        return fmt.to_geojson_bytes(layer, foreign_members={"gridatlas": meta})
    return fmt.to_gpkg_bytes({key: layer}, metadata=meta)


def _xlsx(project: Project, options: ExportOptions, scenario: str, meta: dict[str, str],
          notes: list[GeoWarning], *, progress: Progress | None = None, figures: Figures | None = None) -> bytes:
    """The main workbook: 汇总, one sheet per town, 上报链 (one row per grid), code history, governance, 导出说明.

    One roll-up (``unit_figures``) feeds every sheet that shows figures. The per-building roster
    is not in it (about 20,000 rows in the demo): ``ExportOptions(table="buildings")``.
    """
    lang = options.lang
    if figures is None or figures.scenario != scenario:  # one roll-up for every sheet
        figures = unit_figures(project, scenario=scenario)
    sheets = {t("export.sheet.summary", lang): _summary_sheet(project, lang, figures)}
    if options.level != "town":
        sheets.update(_town_sheets(project, options, scenario))
        sheets.update({t(f"export.sheet.{k}", lang): v for k, v in _chain_sheets(project, options, scenario).items()})
    sheets.update({t(key, lang): df for key, df in governance_sheets(project, privacy=_privacy(options),
                                                                      scenario=scenario, lang=lang,
                                                                      figures=figures).items()})
    headers = {c: tab.header(c, lang) for df in sheets.values() for c in df.columns}
    meta_local = {**_localised_meta(meta, lang), t("export.meta.note", lang) + " 2": t("export.meta.roundtrip_hint", lang)}
    report(progress, "progress.export.tables", 1, 1)
    report(progress, "progress.export.write", 0, 1)
    return fmt.to_xlsx_bytes(sheets, headers=headers, metadata=meta_local,
                             metadata_title=t("export.sheet.metadata", lang),
                             metadata_headers=(t("export.meta.key", lang), t("export.meta.value", lang)),
                             notes=notes)


def _geo_layers(project: Project, options: ExportOptions, scenario: str) -> dict[str, gpd.GeoDataFrame]:
    """Spatial layers with internal column names (``attrs["headers"]`` holds coverage headers)."""
    lang = options.lang
    levels = [options.level] if options.level else ["town", "community", *s.GRID_LEVELS]
    grid_levels = set(project.layer(s.GRIDS).get(s.LEVEL, pd.Series(dtype=object)))
    out: dict[str, gpd.GeoDataFrame] = {}
    for level in levels:
        if level in tab.ROLLUP_LEVELS:
            if not project.layer(s.TOWNS if level == "town" else s.COMMUNITIES).empty:
                out[s.TOWNS if level == "town" else s.COMMUNITIES] = tab.rollup_table(project, level=level, scenario=scenario, lang=lang)
        elif level in grid_levels:
            out[f"grids_{level}"] = tab.grid_summary(project, level=level, scenario=scenario,
                                                     privacy=_privacy(options), lang=lang)
    return out


def _geojson(project: Project, options: ExportOptions, scenario: str, meta: dict[str, str],
             crs: OutputCRS) -> bytes:
    if not crs.lonlat:
        msg = f"GeoJSON must be lon/lat, not {crs.label}"
        raise ExportError(msg, code="export.geojson_crs", crs=crs.label)
    layers = _geo_layers(project, options, scenario)
    if options.level is None:
        layers = {k: v for k, v in layers.items() if k.startswith("grids_")}
    frames = [tab.localise_columns(g, options.lang, g.attrs.get("headers")) for g in layers.values()]
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=s.STORAGE_CRS)
    return fmt.to_geojson_bytes(crs.transform(gdf), foreign_members={"gridatlas": meta})


def qa_findings(project: Project, lang: str = "zh") -> pd.DataFrame:
    """The QA report (``geo.validate.check_project`` as a localised table with lon/lat)."""
    return pd.DataFrame(findings_table(check_project(project), lang))


def _gpkg(project: Project, options: ExportOptions, scenario: str, meta: dict[str, str], crs: OutputCRS) -> bytes:
    lang = options.lang
    layers: dict[str, pd.DataFrame] = {}
    for name, gdf in _geo_layers(project, options, scenario).items():
        layers[name] = crs.transform(tab.localise_columns(gdf, lang, gdf.attrs.get("headers")))
    assignments = tab.assignment_table(project, scenario=scenario, privacy=_privacy(options), lang=lang)
    layers["assignments"] = tab.localise_columns(assignments, lang)
    for name, sheet in _chain_sheets(project, options, scenario).items():
        layers[name] = tab.localise_columns(sheet, lang)
    findings = qa_findings(project, lang)
    if len(findings.columns):
        layers["qa_report"] = findings
    return fmt.to_gpkg_bytes(layers, metadata=meta)


def _shp(project: Project, options: ExportOptions, scenario: str, meta: dict[str, str], crs: OutputCRS,
         notes: list[GeoWarning]) -> bytes:
    lang = options.lang
    layers: dict[str, gpd.GeoDataFrame] = {}
    headers: dict[str, dict[str, str]] = {}
    for name, gdf in _geo_layers(project, options, scenario).items():
        cov = [c for c in gdf.columns if c.startswith(tab.COVERAGE_PREFIX + "_")]
        renamed = {c: f"cov_{i + 1}" for i, c in enumerate(cov)}
        headers[name] = {renamed.get(c, c): tab.header(c, lang, gdf.attrs.get("headers"))
                         for c in gdf.columns if c != "geometry"}
        layers[name] = crs.transform(gdf.rename(columns=renamed))
    assignments = tab.assignment_table(project, scenario=scenario, privacy=_privacy(options), lang=lang)
    extra = {
        "assignments.csv": fmt.to_csv_bytes(tab.localise_columns(assignments, lang), notes=notes),
        "metadata.json": json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"),
        "README.txt": "\n".join([*(f"{k}: {v}" for k, v in _localised_meta(meta, lang).items()),
                                 t("export.shp.mapping_note", lang), ""]).encode("utf-8"),
    }
    data, mapping = fmt.to_shapefile_zip_bytes(layers, extra_files=extra)
    mapping["header"] = [headers[layer][col] for layer, col in zip(mapping["layer"], mapping["column"])]
    mapping_local = mapping.rename(columns={c: t(f"export.shp.{c}", lang) for c in mapping.columns})
    return fmt.zip_bytes({**_unzip(data), "field_mapping.csv": fmt.to_csv_bytes(mapping_local)})


def _unzip(data: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# --- entry points -----------------------------------------------------------------------------

def export_bytes(project: Project, options: ExportOptions, *, now: datetime | None = None,
                 progress: Progress | None = None, figures: Figures | None = None) -> ExportResult:
    """Build one export in memory; ``progress`` hears ``progress.export.tables`` then ``progress.export.write``.

    ``figures``: ``geo.rollup.unit_figures(project)`` (default category and radius) when the caller
    has them already (the app's shared roll-up of the saved version); the XLSX workbook reads them
    instead of rolling up again (a roll-up of another scenario is not used).

    Geometry is written in WGS 84 unless ``options.crs`` names GCJ-02/BD-09 or an EPSG CRS
    (then named in the file name and metadata). Phones are masked unless
    ``options.include_personal``, which requires ``options.user`` and appends an audit row
    to the returned project (save it to keep the log).

    Raises
    ------
    ExportError
        For unknown format/level/scenario/encoding, ``--crs`` on a table format, a
        projected CRS for GeoJSON, or a personal export without a user.
    """
    _check_options(options)
    when = now_iso(at=now)
    scenario = tab.current_scenario(project, options.scenario)
    crs = output_crs(options.crs)
    meta = export_metadata(project, options, scenario=scenario, crs_label=crs.label, exported_at=when)
    notes: list[GeoWarning] = []
    report(progress, "progress.export.tables", 0, 1)
    if options.table != "main":
        data = _table_export(project, options, scenario, meta, crs, notes)
    elif options.fmt == "xlsx":
        data = _xlsx(project, options, scenario, meta, notes, progress=progress, figures=figures)
    elif options.fmt == "csv":
        data = fmt.to_csv_bytes(tab.localise_columns(_table(project, options, scenario), options.lang),
                                encoding=options.encoding, notes=notes)
    elif options.fmt == "geojson":
        data = _geojson(project, options, scenario, meta, crs)
    elif options.fmt == "gpkg":
        data = _gpkg(project, options, scenario, meta, crs)
    elif options.fmt == "shp":
        data = _shp(project, options, scenario, meta, crs, notes)
    else:
        from geo.roster import roster_bytes

        data = roster_bytes(project, by=options.roster_by, form=options.roster_form, scenario=scenario,
                            privacy=_privacy(options), lang=options.lang, metadata=meta, encoding=options.encoding,
                            notes=notes)
    if options.fmt != "xlsx" or options.table != "main":  # one step: tables and file are built together
        report(progress, "progress.export.tables", 1, 1)
    report(progress, "progress.export.write", 1, 1)
    filename = export_filename(options, scenario=scenario, crs_tag=crs.tag, exported_at=when)
    audited = options.include_personal
    if audited:
        detail = f"{options.fmt} {options.level or 'all'} {crs.label}"
        if options.table != "main":
            detail = f"{options.fmt} {options.table} {crs.label}"
        project = log_personal_export(project, user=options.user, scenario=scenario, what=filename,
                                      detail=detail, when=when)
        project = reveal(project, options.scope or LOCAL, purpose="export", obj=filename, user=options.user)
    return ExportResult(data=data, filename=filename, metadata=meta, project=project, audited=audited,
                        notes=tuple(notes))


def export_to_path(project: Project, options: ExportOptions, out: str | Path, *,
                   now: datetime | None = None) -> tuple[Path, ExportResult]:
    """Export to ``out`` atomically (a directory gets the suggested file name); return the path and result."""
    result = export_bytes(project, options, now=now)
    out = Path(out)
    path = out / result.filename if out.is_dir() else out
    return write_atomic(path, result.data), result
