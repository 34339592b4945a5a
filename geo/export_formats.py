"""File formats of exports as bytes: XLSX, CSV, RFC 7946 GeoJSON, GeoPackage, zipped Shapefile.

Every writer returns the whole file as ``bytes`` (for a download button or
``geo.files.write_atomic``), so a failed export never leaves a half-written file on disk.
"""
from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.crs import round_coordinates
from geo import schema as s
from geo.errors import ExportError, GeoWarning
from geo.values import CONTROL_CHARACTERS, strip_controls

INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8-sig", "gb18030")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
SHP_FIELD_MAX = 10
SHP_TEXT_MAX_BYTES = 254

# XLSX cell kinds (``column_kind``)
TEXT, NUMBER, SHARE, BOOLEAN = "text", "number", "share", "boolean"
XLSX_TEXT_COLUMNS = (*s.TEXT_COLUMNS, "leader_id", "unit_code")  # codes and ids, always text cells
SHARE_SUFFIXES = ("_share", "_rate")  # numeric columns holding a share 0..1
SHARE_FORMAT = "0.0%"
MAX_DECIMALS = 6
NUMERIC_INFERRED = ("integer", "floating", "mixed-integer-float", "decimal")


# --- cells ------------------------------------------------------------------------------------

def neutralise(value: object) -> object:
    """Prefix text starting with ``= + - @`` (or tab/CR) with ``'`` so no spreadsheet runs it as a formula."""
    if isinstance(value, str) and value.startswith(INJECTION_PREFIXES):
        return "'" + value
    return value


def unneutralise(value: object) -> object:
    """Undo ``neutralise`` (for reading an export back)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(INJECTION_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with ``neutralise`` applied to every text (object or string) column."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].map(neutralise)
    return out


def _plain_value(value: object) -> object:
    """A numpy/pandas scalar as a plain Python value (None for missing; other objects as text)."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    return None if pd.isna(value) else str(value)


def _cell(value: object) -> object:
    """A spreadsheet cell: ``_plain_value``, neutralised against formula injection."""
    return neutralise(_plain_value(value))


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet (CJK and full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- XLSX -------------------------------------------------------------------------------------

def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, unique Excel sheet names: forbidden ``[]:*?/\\`` replaced, at most 31 characters."""
    out: list[str] = []
    used: set[str] = set()
    for raw in names:
        base = _BAD_SHEET_CHARS.sub("_", strip_controls(str(raw))).strip("'").strip() or "Sheet"
        if base.lower() == "history":  # reserved by Excel
            base = f"{base}_"
        name = base[:SHEET_NAME_MAX]
        n = 2
        while name.lower() in used:
            suffix = f"~{n}"
            name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
            n += 1
        used.add(name.lower())
        out.append(name)
    return out


@dataclass(frozen=True)
class CellKind:
    """How the cells of one XLSX column are written: as text, or as numbers with a number format."""

    kind: str  # TEXT, NUMBER, SHARE or BOOLEAN
    decimals: int = 0  # NUMBER: decimals shown (0 = integers, written as int)

    @property
    def number_format(self) -> str:
        """The Excel number format of the column's cells."""
        if self.kind == TEXT:
            return "@"
        if self.kind == SHARE:
            return SHARE_FORMAT
        if self.kind == NUMBER:
            return "#,##0" + ("." + "0" * self.decimals if self.decimals else "")
        return "General"


def column_kind(name: object, values: pd.Series, *, text_columns: Collection[object] = ()) -> CellKind:
    """The one rule for an XLSX column's cells, by the internal column name and the values.

    - text: codes and ids (``XLSX_TEXT_COLUMNS``: 12-16 digit codes keep every digit and
      leading zero, never a float), ``text_columns``, and any column that is not all numbers;
    - share: numeric columns named ``*_share`` / ``*_rate`` (values 0..1, shown ``0.0%``);
    - number: other numeric columns, shown with thousands separators and the decimals the
      values need (at most ``MAX_DECIMALS``; integers are written as integers);
    - boolean: true/false columns.
    """
    if name in XLSX_TEXT_COLUMNS or name in text_columns:
        return CellKind(TEXT)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "boolean":
        return CellKind(BOOLEAN)
    if inferred not in NUMERIC_INFERRED:
        return CellKind(TEXT)
    if str(name).endswith(SHARE_SUFFIXES):
        return CellKind(SHARE)
    finite = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    decimals = next((d for d in range(MAX_DECIMALS) if np.allclose(finite, np.round(finite, d), rtol=0,
                                                                    atol=10.0 ** -(MAX_DECIMALS + 2))),
                    MAX_DECIMALS)
    return CellKind(NUMBER, decimals)


def _without_controls(values: list[object]) -> tuple[list[object], int]:
    """``values`` with control characters removed from text (Excel refuses them); how many changed."""
    changed = 0
    out = []
    for v in values:
        if isinstance(v, str) and CONTROL_CHARACTERS.search(v):
            v = strip_controls(v)
            changed += 1
        out.append(v)
    return out, changed


def _note_removed(removed: int, notes: list[GeoWarning] | None) -> None:
    """Tell the planner that ``removed`` cells lost control characters: into ``notes``, else a warning."""
    if not removed:
        return
    msg = f"control characters removed from {removed} cells"
    note = GeoWarning(msg, code="export.control_chars_removed", n=removed)
    if notes is None:
        warnings.warn(note, stacklevel=3)
    else:
        notes.append(note)


def _text_cell(value: object) -> str | None:
    """One cell of a text column: None when missing, whole floats without ``.0``, neutralised."""
    plain = _plain_value(value)
    if plain is None:
        return None
    if isinstance(plain, float) and plain.is_integer():
        plain = int(plain)
    return neutralise(str(plain))


def _column_cells(values: pd.Series, kind: CellKind) -> tuple[list[object], int]:
    """The cells of one column as plain Python values (None = empty cell), a whole column at a time.

    Text is neutralised against formula injection, control characters removed (and ``\r`` line
    breaks written as ``\n``, as XML reading does); integers of a ``#,##0`` column are ``int``.
    Returns the cells and how many of them lost control characters.
    """
    if kind.kind == TEXT:
        if pd.api.types.infer_dtype(values, skipna=False) == "string":  # the common case: all text
            cells: list[object] = ["'" + v if v.startswith(INJECTION_PREFIXES) else v for v in values.tolist()]
        else:
            cells = [_text_cell(v) for v in values.tolist()]
        text = [c for c in cells if c is not None]
        removed = 0
        joined = "\n".join(text)
        if CONTROL_CHARACTERS.search(joined):
            cells, removed = _without_controls(cells)
        if "\r" in joined:  # XlsxWriter would write _x000D_
            cells = [c.replace("\r\n", "\n").replace("\r", "\n") if isinstance(c, str) else c for c in cells]
        return cells, removed
    if kind.kind == BOOLEAN:
        return [None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else bool(v)
                for v in values.tolist()], 0
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = ~np.isfinite(numbers)
    if kind.kind == NUMBER and kind.decimals == 0:
        whole = np.rint(np.where(missing, 0, numbers)).astype(np.int64).tolist()
        return [None if m else v for v, m in zip(whole, missing.tolist())], 0
    return [None if m else v for v, m in zip(numbers.tolist(), missing.tolist())], 0


def _width_bound(text: str) -> int:
    """An upper bound of ``display_width(text)``, cheap: each wide character takes 3 or 4 bytes in UTF-8."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def _column_width(head: str, cells: list[object]) -> int:
    """Display width of a column: its widest cell or header.

    Cells are measured by decreasing ``_width_bound``, and only while one could still be
    wider than the widest so far (a column of codes or of Chinese names takes one or two).
    """
    widest = display_width(head)
    for bound, text in sorted(((_width_bound(v), v) for v in {str(c) for c in cells if c is not None}),
                              reverse=True):
        if bound <= widest:
            break
        widest = max(widest, display_width(text))
    return widest


def _write_sheet(book: Any, ws: Any, df: pd.DataFrame, *, headers: Mapping[object, str],
                 text_columns: Collection[object], formats: dict[str, Any]) -> int:
    """Fill one XlsxWriter sheet: widths and frozen header, then typed rows, one cell writer per kind.

    Every cell is written with an explicit writer (``write_string``, ``write_number``,
    ``write_boolean``), so no text is ever read as a formula, a number or a URL. Cells are
    typed a column at a time (``_column_cells``); each column's number format is set on the
    column and on its cells (one shared format per number format, kept in ``formats``).
    Returns how many cells (headers included) had control characters removed.
    """
    kinds = [column_kind(c, df.iloc[:, i], text_columns=text_columns) for i, c in enumerate(df.columns)]
    shown, removed = _without_controls([neutralise(str(headers.get(c, c))) for c in df.columns])
    header_format = formats.setdefault("@", book.add_format({"num_format": "@"}))
    for col, (kind, head) in enumerate(zip(kinds, shown)):
        values, changed = _column_cells(df.iloc[:, col], kind)
        removed += changed
        cell_format = formats.setdefault(kind.number_format, book.add_format({"num_format": kind.number_format}))
        ws.set_column(col, col, min(max(_column_width(head, values) + 2, 6), 60), cell_format)
        ws.write_string(0, col, head, header_format)
        write = {TEXT: ws.write_string, BOOLEAN: ws.write_boolean}.get(kind.kind, ws.write_number)
        for row, value in enumerate(values, start=1):
            if value is not None:
                write(row, col, value, cell_format)
    ws.freeze_panes(1, 0)
    return removed


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, headers: Mapping[object, str] | None = None,
                  text_columns: Collection[object] = (), metadata: Mapping[str, str] | None = None,
                  metadata_title: str = "metadata",
                  metadata_headers: tuple[str, str] = ("key", "value"),
                  notes: list[GeoWarning] | None = None) -> bytes:
    """An XLSX workbook: one sheet per item of ``sheets`` (names sanitised), plus a metadata sheet.

    ``sheets`` keep their internal column names; ``headers`` maps them to the shown headers
    (columns not in it are shown as named). Every column's cells are typed by ``column_kind``:
    codes and ids are text cells, counts and households numbers, shares percentages; only text
    cells are neutralised against formula injection. Header row frozen, column widths fitted.
    Control characters (NUL, form feed, bidi overrides…) are removed from text cells, with a
    :class:`GeoWarning` ``export.control_chars_removed`` saying how many cells changed, appended
    to ``notes`` when given (thread-safe, for the app), else issued with ``warnings.warn``.

    Written with XlsxWriter (about a third of openpyxl's write-only time); cells are typed a column
    at a time, so the demo's main workbook (about 140,000 cells) takes about 1 s of CPU, nearly
    all of it XlsxWriter's own. Its ``constant_memory`` mode was measured no faster here (the
    cells' XML is the same work) and needs a temporary file, so it is not used. openpyxl still
    reads workbooks.
    """
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    removed = 0
    formats: dict[str, Any] = {}
    titles = [*sheets, metadata_title] if metadata is not None else list(sheets)
    for title, df in zip(sheet_names(titles), [*sheets.values(), None]):
        ws = book.add_worksheet(title)
        if df is None:
            meta_df = pd.DataFrame({metadata_headers[0]: list(metadata), metadata_headers[1]: list(metadata.values())})
            removed += _write_sheet(book, ws, meta_df, headers={}, text_columns=metadata_headers,
                                   formats=formats)
        else:
            removed += _write_sheet(book, ws, df, headers=headers or {}, text_columns=text_columns,
                                   formats=formats)
    _note_removed(removed, notes)
    book.close()
    return buf.getvalue()


# --- CSV --------------------------------------------------------------------------------------

def to_csv_bytes(df: pd.DataFrame, *, encoding: str = "utf-8-sig", notes: list[GeoWarning] | None = None) -> bytes:
    """CSV text in UTF-8 with BOM (Excel on Chinese Windows) or GB18030; cells neutralised.

    Control characters are removed from text cells as in ``to_xlsx_bytes`` (a NUL or a bidi
    override in a CSV breaks the spreadsheet that opens it), with the same
    ``export.control_chars_removed`` note appended to ``notes`` (or warned).

    Raises
    ------
    ExportError
        Code ``export.bad_encoding`` for any other encoding.
    """
    if encoding.lower().replace("_", "-") not in ENCODINGS:
        msg = f"unsupported CSV encoding {encoding!r}"
        raise ExportError(msg, code="export.bad_encoding", encoding=encoding)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    header, removed = _without_controls([str(c) for c in df.columns])
    writer.writerow(header)
    for row in df.itertuples(index=False, name=None):
        cells, changed = _without_controls(["" if (c := _cell(v)) is None else c for v in row])
        removed += changed
        writer.writerow(cells)
    _note_removed(removed, notes)
    return buf.getvalue().encode(encoding.lower().replace("_", "-"))


# --- GeoJSON ----------------------------------------------------------------------------------

def orient_rfc7946(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with polygon exteriors counter-clockwise and holes clockwise (RFC 7946 right-hand rule)."""
    return gdf.set_geometry(shapely.orient_polygons(gdf.geometry.values, exterior_cw=False), crs=gdf.crs)


def to_geojson_bytes(gdf: gpd.GeoDataFrame, *, precision: int = 7,
                     foreign_members: Mapping[str, Any] | None = None) -> bytes:
    """RFC 7946 GeoJSON of a lon/lat ``gdf``: no ``crs`` member, CCW exteriors, UTF-8, no ids.

    ``gdf`` must be in a geographic lon/lat CRS (WGS 84, or GCJ-02 coordinates labelled as such
    by the caller). ``precision`` decimals of a degree (7 = about 1 cm).
    """
    rounded = round_coordinates(gdf.geometry.values, decimals=precision)
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)  # after rounding, which may re-node
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    features = []
    for geom, row in zip(oriented, props.itertuples(index=False, name=None)):
        features.append({"type": "Feature",
                         "properties": {str(k): _plain_value(v) for k, v in zip(props.columns, row)},
                         "geometry": None if geom is None or geom.is_empty else json.loads(shapely.to_geojson(geom))})
    collection: dict[str, Any] = {"type": "FeatureCollection", **dict(foreign_members or {}), "features": features}
    if len(gdf):
        collection["bbox"] = [round(float(v), precision) for v in shapely.total_bounds(oriented)]
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --- GeoPackage and Shapefile ------------------------------------------------------------------

def _for_ogr(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def to_gpkg_bytes(layers: Mapping[str, pd.DataFrame], *, metadata: Mapping[str, str] | None = None) -> bytes:
    """A GeoPackage with one layer per item (GeoDataFrames as spatial layers, DataFrames as tables).

    ``metadata`` is written as table ``export_meta`` (key, value) and as dataset metadata.
    """
    with tempfile.TemporaryDirectory(prefix="gridatlas-export-") as tmp:
        path = Path(tmp) / "bundle.gpkg"
        for name, df in layers.items():
            if isinstance(df, gpd.GeoDataFrame):
                pyogrio.write_dataframe(_for_ogr(df), path, layer=name, driver="GPKG", promote_to_multi=True)
            else:
                pyogrio.write_dataframe(_for_ogr(pd.DataFrame(df)), path, layer=name, driver="GPKG")
        if metadata is not None:
            meta_df = pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})
            pyogrio.write_dataframe(meta_df, path, layer="export_meta", driver="GPKG",
                                    dataset_metadata={k: str(v) for k, v in metadata.items()})
        return path.read_bytes()


def shp_field_names(columns: Sequence[str]) -> dict[str, str]:
    """Map internal column names to unique ASCII Shapefile field names of at most 10 characters."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = re.sub(r"[^0-9A-Za-z_]", "_", col)[:SHP_FIELD_MAX] or "field"
        name = base
        n = 1
        while name.upper() in used:
            suffix = str(n)
            name = base[:SHP_FIELD_MAX - len(suffix)] + suffix
            n += 1
        used.add(name.upper())
        out[col] = name
    return out


def _truncate_utf8(value: object) -> object:
    if not isinstance(value, str) or len(value.encode("utf-8")) <= SHP_TEXT_MAX_BYTES:
        return value
    data = value.encode("utf-8")[:SHP_TEXT_MAX_BYTES - 3]
    return data.decode("utf-8", errors="ignore") + "…"


def to_shapefile_zip_bytes(layers: Mapping[str, gpd.GeoDataFrame], *,
                           extra_files: Mapping[str, bytes] | None = None) -> tuple[bytes, pd.DataFrame]:
    """A zip with one UTF-8 Shapefile (``.shp .shx .dbf .prj .cpg``) per layer and ``extra_files``.

    Field names are shortened with ``shp_field_names``; text longer than 254 bytes is cut
    with "…" (the dBASE limit). Returns the zip bytes and the field mapping
    DataFrame[layer, field, column].
    """
    mapping_rows = []
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gridatlas-shp-") as tmp, \
            zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, gdf in layers.items():
            fields = shp_field_names([c for c in gdf.columns if c != gdf.geometry.name])
            mapping_rows += [{"layer": name, "field": f, "column": c} for c, f in fields.items()]
            out = _for_ogr(gdf.rename(columns=fields))
            for col in fields.values():
                out[col] = out[col].map(_truncate_utf8)
            path = Path(tmp) / f"{name}.shp"
            pyogrio.write_dataframe(out, path, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=True)
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                part = path.with_suffix(ext)
                if ext == ".cpg" and not part.exists():
                    part.write_text("UTF-8", encoding="ascii")
                if part.exists():
                    zf.write(part, arcname=part.name)
        for arcname, data in (extra_files or {}).items():
            zf.writestr(arcname, data)
    return buf.getvalue(), pd.DataFrame(mapping_rows, columns=["layer", "field", "column"])


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip archive of ``files`` (archive name -> content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)
    return buf.getvalue()
