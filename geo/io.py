"""Readers: a planner's file (GeoJSON, GeoPackage, zipped Shapefile, KML, CSV, XLSX) -> a schema layer.

``load_layer`` reads one file, recognises its columns (``geo.tables``), resolves its
source CRS (declared by the user, honoured from the file, never guessed), converts
to the storage CRS (WGS 84) and records what it found on the way (encoding used,
3-D coordinates dropped, repairs, sanity warnings) as findings. Nothing is dropped
silently: rows whose geometry cannot be built raise unless repair was asked for.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from geo import schema as s
from geo.crs import Shift, SourceCRS, declaration_shift_m, declaration_wins_over_label, parse_crs, to_storage_crs
from geo.errors import (
    CRSMismatchError, EmptyLayerError, GeoInputError, InvalidGeometryError, MissingCRSError,
    UnsupportedFormatError, UnsupportedGeometryError,
)
from geo.guards import (
    check_coordinates, check_input_file, check_zip, dbf_wide_integers, detect_dbf_encoding, reader_errors,
    review_frame,
)
from geo.idcard import find_id_column, new_salt, protect_id_numbers
from geo.privacy import is_mobile_phone, normalise_phone
from geo.project import Project
from geo.project_update import import_layers
from geo.sanity import DEFAULT_FAR_M, far_from_area, find_far_from_area
from geo.sheets import SKIP_TOTAL, Sheet, read_workbook
from geo.tables import LAT, LON, ColumnMapping, apply_mapping, coerce_columns, require_columns
from geo.validate import INFO, WARNING, feature_ids, finding, id_column

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".kml")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
POLYGON_LAYERS = (s.TOWNS, s.COMMUNITIES, s.GRIDS)
POINT_LAYERS = (s.HOUSEHOLDS, s.VOLUNTEERS, s.SERVICE_POINTS)

_RFC7946_KINDS = {"geojson", "kml"}  # formats whose CRS is WGS 84 by definition when not stated


@dataclass
class RawFrame:
    """A file read as-is: the frame, its embedded CRS (if any) and how it was decoded."""

    frame: gpd.GeoDataFrame | pd.DataFrame
    file_crs: object = None  # pyproj.CRS or None
    fmt: str = ""  # geojson, gpkg, shapefile, kml, csv, xlsx
    encoding: str | None = None
    encoding_source: str = ""  # "cpg", "declared", "detected", ""
    broken_rows: list[int] = field(default_factory=list)  # geometry present but unbuildable (unclosed ring)
    broken_reasons: list[str] = field(default_factory=list)
    sheet: Sheet | None = None  # tables: the sheet read (header rows, skipped rows, 序号)
    skipped_sheets: dict[str, str] = field(default_factory=dict)  # XLSX: sheet -> why it was not read


@dataclass
class LoadedLayer:
    """One imported layer in the storage CRS, with what the import found."""

    gdf: gpd.GeoDataFrame
    layer: str
    file: str
    source_crs: str
    fmt: str
    encoding: str | None
    mapping: ColumnMapping
    findings: list[dict] = field(default_factory=list)
    id_salt: str | None = None  # the salt the 身份证号 hashes were made with (store it in the project meta)
    declared_shift: Shift | None = None  # GCJ-02/BD-09 declared: how far that moves the data vs reading it as WGS 84

    def source_meta(self) -> dict:
        """What ``meta["sources"][layer]`` records for this import."""
        return {"file": self.file, "crs": self.source_crs, "format": self.fmt, "encoding": self.encoding,
                "features": len(self.gdf), "columns": self.mapping.renames,
                "unrecognised_columns": list(self.mapping.unrecognised)}


# --- format detection and readers -----------------------------------------------------

def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        msg = f"{path} does not exist"
        raise UnsupportedFormatError(msg, code="file_not_found", file=str(path))
    return path.read_bytes()


def _empty(path: Path) -> EmptyLayerError:
    msg = f"{path} has no features"
    return EmptyLayerError(msg, file=path.name)


def _read_vector(path: Path | str, *, label: str, layer: str | None = None,
                 encoding: str | None = None) -> tuple[gpd.GeoDataFrame, list[int], list[str]]:
    """Read with pyogrio; geometries GEOS cannot build (unclosed rings) come back as rows to report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, on_invalid="ignore")
            broken, reasons = [], []
            if len(gdf) and gdf.geometry.isna().any():
                _, _, wkb, _ = pyogrio.raw.read(path, layer=layer, encoding=encoding, columns=[])
                for i in np.flatnonzero(gdf.geometry.isna().to_numpy()):
                    if wkb[i] is not None:
                        broken.append(int(i))
                        reasons.append(_wkb_reason(wkb[i]))
    except pyogrio.errors.DataSourceError as exc:
        msg = f"{label}: {exc}"
        raise UnsupportedFormatError(msg, file=label, detail=str(exc).split("\n")[0][:200]) from exc
    return gdf, broken, reasons


def _wkb_reason(wkb: bytes) -> str:
    try:
        shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        return str(exc).split(":")[-1].strip()
    return "unreadable geometry"


def _read_geojson(path: Path, *, label: str) -> RawFrame:
    data = _read_bytes(path)
    if not data.strip():
        raise _empty(path)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", "?")
        msg = f"{label} is not valid JSON: {exc}"
        raise UnsupportedFormatError(msg, code="io.not_json", file=label, line=line, detail=str(exc)) from exc
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        msg = f"{label} is JSON but not GeoJSON (no FeatureCollection)"
        raise UnsupportedFormatError(msg, code="io.not_geojson", file=label)
    if doc.get("type") == "FeatureCollection" and not doc.get("features"):
        raise _empty(path)
    gdf, broken, reasons = _read_vector(path, label=label)
    has_crs_member = "crs" in doc
    return RawFrame(gdf, file_crs=gdf.crs if has_crs_member else None, fmt="geojson",
                    encoding="UTF-8", broken_rows=broken, broken_reasons=reasons)


def _read_gpkg(path: Path, *, label: str, layer: str | None, target: str) -> RawFrame:
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        msg = f"{label} is not a GeoPackage"
        raise UnsupportedFormatError(msg, code="io.not_gpkg", file=label) from exc
    if layer is None:
        if len(names) == 1:
            layer = names[0]
        elif target in names:
            layer = target
        else:
            msg = f"{label} has several layers {names}; choose one"
            raise GeoInputError(msg, code="io.choose_layer", file=label, layers=names)
    elif layer not in names:
        msg = f"{label} has no layer {layer!r}; layers are {names}"
        raise GeoInputError(msg, code="io.choose_layer", file=label, layers=names)
    gdf, broken, reasons = _read_vector(path, label=label, layer=layer)
    return RawFrame(gdf, file_crs=gdf.crs, fmt="gpkg", encoding="UTF-8", broken_rows=broken,
                    broken_reasons=reasons)


def _read_kml(path: Path, *, label: str, layer: str | None) -> RawFrame:
    names = [str(n) for n, _ in pyogrio.list_layers(path)] if layer is None else [layer]
    frames, broken, reasons, offset = [], [], [], 0
    for name in names:
        gdf, b, r = _read_vector(path, label=label, layer=name)
        frames.append(gdf)
        broken += [i + offset for i in b]
        reasons += r
        offset += len(gdf)
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs) if frames else None
    if gdf is None:
        raise _empty(path)
    return RawFrame(gdf, file_crs=None, fmt="kml", encoding="UTF-8", broken_rows=broken, broken_reasons=reasons)


# --- zip safety and Shapefile encodings -------------------------------------------------

def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> Path:
    """Extract one (already checked) member, refusing to write more than it declared."""
    target = dest / PurePosixPath(info.filename).name
    with zf.open(info) as src, open(target, "wb") as out:
        written = 0
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                msg = f"{info.filename} is larger than its zip header says"
                raise GeoInputError(msg, code="io.zip_bomb", file=info.filename, members_n=1,
                                    size_mb=round(written / 1e6, 1), ratio=0, max_mb=0, max_ratio=0)
            out.write(chunk)
    return target


def _shapefile_encoding(shp: Path, declared: str | None) -> tuple[str | None, str]:
    if declared:
        return declared, "declared"
    for suffix in (".cpg", ".CPG"):
        cpg = shp.with_suffix(suffix)
        if cpg.exists():
            return cpg.read_text(errors="replace").strip() or None, "cpg"
    for suffix in (".dbf", ".DBF"):
        dbf = shp.with_suffix(suffix)
        if dbf.exists():
            return detect_dbf_encoding(dbf.read_bytes()), "detected"
    return None, ""


def _read_shapefile(shp: Path, *, label: str, encoding: str | None) -> RawFrame:
    enc, source = _shapefile_encoding(shp, encoding)
    # with a .cpg GDAL decodes by itself; otherwise pass the declared or detected encoding
    gdf, broken, reasons = _read_vector(shp, label=label, encoding=None if source == "cpg" else enc)
    dbf = shp.with_suffix(".dbf") if shp.with_suffix(".dbf").exists() else shp.with_suffix(".DBF")
    if dbf.exists():
        for column, digits in dbf_wide_integers(dbf.read_bytes(), encoding=enc or "UTF-8").items():
            if column in gdf.columns and len(digits) == len(gdf):  # codes as stored, not rounded through a float
                gdf[column] = pd.Series(digits, index=gdf.index, dtype=object)
    return RawFrame(gdf, file_crs=gdf.crs, fmt="shapefile", encoding=enc, encoding_source=source,
                    broken_rows=broken, broken_reasons=reasons)


def _read_zip(path: Path, *, label: str, layer: str | None, encoding: str | None) -> RawFrame:
    infos = check_zip(path, label=label)
    shps = [i for i in infos if i.filename.lower().endswith(".shp") and "__MACOSX" not in i.filename]
    if layer is not None:
        shps = [i for i in shps if PurePosixPath(i.filename).stem == layer or i.filename == layer]
    if not shps:
        msg = f"{label} holds no Shapefile (.shp)"
        raise UnsupportedFormatError(msg, code="io.zip_no_shp", file=label)
    if len(shps) > 1:
        names = [PurePosixPath(i.filename).stem for i in shps]
        msg = f"{label} holds several Shapefiles {names}; choose one"
        raise GeoInputError(msg, code="io.choose_layer", file=label, layers=names)
    shp = shps[0]
    stem = str(PurePosixPath(shp.filename).with_suffix(""))
    members = [i for i in infos if str(PurePosixPath(i.filename).with_suffix("")) == stem]
    tmp = Path(tempfile.mkdtemp(prefix="gridatlas-shp-"))
    try:
        with zipfile.ZipFile(path) as zf:
            for info in members:
                _extract(zf, info, tmp)
        return _read_shapefile(tmp / PurePosixPath(shp.filename).name, label=label, encoding=encoding)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- tables --------------------------------------------------------------------------

def _read_table(path: Path, *, label: str, encoding: str | None, sheet: str | None) -> RawFrame:
    """A CSV or XLSX sheet as offices make them (``geo.sheets``): index = the row number the planner sees."""
    if not _read_bytes(path).strip():
        raise _empty(path)
    book = read_workbook(path, encoding=encoding, label=label)
    table = book.sheet(sheet)
    if table.frame.empty:
        raise _empty(path)
    fmt = "csv" if _suffix(path) in (".csv", ".txt") else "xlsx"
    source = ("declared" if encoding else "detected") if fmt == "csv" else ""
    return RawFrame(table.frame, fmt=fmt, encoding=book.encoding, encoding_source=source, sheet=table,
                    skipped_sheets={**book.skipped_sheets,
                                    **{other.name: "other_table" for other in book.sheets if other is not table}})


def read_raw(path: str | Path, *, target: str, layer: str | None = None, encoding: str | None = None,
             label: str | None = None) -> RawFrame:
    """Read any supported file as-is (no column mapping, no CRS handling).

    Parameters
    ----------
    target
        The project layer this file is meant for (picks a GeoPackage layer of that name).
    layer
        GeoPackage layer, KML folder, XLSX sheet or Shapefile name inside a zip.
    encoding
        Declared text encoding (CSV, Shapefile without ``.cpg``); detected when None.
    """
    path = Path(path)
    label = label or path.name
    suffix = _suffix(path)
    check_input_file(path, label=label)
    if suffix in (".geojson", ".json"):
        return _read_geojson(path, label=label)
    _read_bytes(path)  # existence check with a clear message
    if suffix == ".gpkg":
        return _read_gpkg(path, label=label, layer=layer, target=target)
    if suffix == ".zip":
        return _read_zip(path, label=label, layer=layer, encoding=encoding)
    if suffix == ".shp":
        return _read_shapefile(path, label=label, encoding=encoding)
    if suffix == ".kml":
        return _read_kml(path, label=label, layer=layer)
    if suffix in (".csv", ".txt", ".xlsx", ".xlsm"):
        return _read_table(path, label=label, encoding=encoding, sheet=layer)
    msg = f"{label}: unsupported suffix {suffix!r}"
    raise UnsupportedFormatError(msg, code="io.unknown_suffix", file=label, suffix=suffix or "—")


# --- CRS ------------------------------------------------------------------------------

def resolve_source_crs(raw: RawFrame, declared: str | SourceCRS | None, *, label: str) -> SourceCRS:
    """The CRS the file's coordinates are in: declared and/or embedded, never guessed.

    GeoJSON without a ``crs`` member and KML are WGS 84 by definition; a declared
    system (e.g. ``gcj02`` for an Amap export) overrides that default. A declared GCJ-02
    or BD-09 also wins over a generic WGS 84/CRS84 label (GDAL and QGIS write one on every
    lon/lat layer, Amap exports included); ``load_layer`` records that as a QA note.

    Raises
    ------
    MissingCRSError
        Neither a declaration nor an embedded CRS (CSV/XLSX, Shapefile without .prj).
    CRSMismatchError
        The file states a specific CRS (e.g. a projected ``.prj``) and the user declared another.
    """
    source = parse_crs(declared) if isinstance(declared, str | int) else declared
    if raw.file_crs is None:
        if source is not None:
            return source
        if raw.fmt in _RFC7946_KINDS:
            return parse_crs("EPSG:4326")
        msg = f"{label} has no CRS and none was declared"
        raise MissingCRSError(msg, file=label)
    embedded = SourceCRS(raw.file_crs)
    if source is None:
        return embedded
    if declaration_wins_over_label(source, raw.file_crs):
        return source
    if source.offset is None and source.crs is not None and source.crs.equals(raw.file_crs, ignore_axis_order=True):
        return embedded
    msg = f"{label} is in {embedded.label} but {source.label} was declared"
    raise CRSMismatchError(msg, file=label, crs_a=embedded.label, crs_b=source.label)


# --- the loader ------------------------------------------------------------------------

def _table_to_points(df: pd.DataFrame, *, label: str) -> gpd.GeoDataFrame:
    if LON not in df.columns or LAT not in df.columns:
        found = [str(c) for c in df.columns]
        missing = LON if LON not in df.columns else LAT
        msg = f"{label}: no {missing} column; found {found}"
        raise GeoInputError(msg, code="io.missing_coordinates", file=label, column=missing, found=found)
    lon = pd.to_numeric(df[LON], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[LAT], errors="coerce").to_numpy(dtype=float)
    geoms = shapely.points(lon, lat)
    geoms[np.isnan(lon) | np.isnan(lat)] = None
    return gpd.GeoDataFrame(df.drop(columns=[LON, LAT]), geometry=geoms).reset_index(drop=True)


def _feature_labels(gdf: pd.DataFrame, layer: str, rows: list[int], *, header_rows: int) -> list[str]:
    col = id_column(layer)
    out = []
    for i in rows:
        row_no = i + 1 + header_rows if header_rows >= 0 else i + 1
        ident = gdf[col].iloc[i] if col in gdf.columns else None
        out.append(f"{ident} (#{row_no})" if ident not in (None, "") else f"#{row_no}")
    return out


def _handle_broken(gdf: gpd.GeoDataFrame, raw: RawFrame, path: Path, *, layer: str, label: str,
                   repair: bool, source_layer: str | None) -> gpd.GeoDataFrame:
    if not raw.broken_rows:
        return gdf
    ids = _feature_labels(gdf, layer, raw.broken_rows, header_rows=-1)
    if not repair or raw.fmt not in ("geojson", "gpkg", "kml"):
        msg = f"{label}: features {ids} cannot be built ({raw.broken_reasons[0]})"
        raise InvalidGeometryError(msg, code="io.unbuildable_geometry", file=label, ids=ids,
                                   reason=raw.broken_reasons[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = pyogrio.read_dataframe(path, layer=source_layer, on_invalid="fix", columns=[])
    out = gdf.copy()
    geoms = out.geometry.to_numpy().copy()
    geoms[raw.broken_rows] = fixed.geometry.to_numpy()[raw.broken_rows]
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    out["repaired"] = False
    out.loc[out.index[raw.broken_rows], "repaired"] = True
    return out


def _check_geometry_types(gdf: gpd.GeoDataFrame, layer: str, *, label: str) -> None:
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    types = shapely.get_type_id(geoms)
    ok = np.isin(types, (3, 6)) if layer in POLYGON_LAYERS else np.isin(types, (0,))
    if layer == s.GOV_PROJECTS:  # a project is a place or an area
        ok = np.isin(types, (0, 3, 6))
    if not ok[present].any():
        expected = "Polygon/MultiPolygon" if layer in POLYGON_LAYERS else "Point"
        found = sorted({shapely.get_type_id(g) for g in geoms[present]})
        names = sorted({g.geom_type for g in geoms[present]})
        msg = f"{label}: layer {layer} needs {expected}, file has {names} ({found})"
        raise UnsupportedGeometryError(msg, file=label, geom_type="/".join(names), expected=expected,
                                       ids=feature_ids(gdf, layer, present)[:10])


def _repaired(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(geometries with the invalid ones made valid, mask of the invalid)``: the one repair rule."""
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    fixed = geoms.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return fixed, invalid


REPAIR_COLUMNS = ("feature_id", "reason", "type_before", "type_after", "area_before_m2", "area_after_m2")


def repair_changes(gdf: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """What ``repair=True`` would change in ``gdf`` (a layer in any CRS with a CRS): one row per invalid feature.

    Columns ``REPAIR_COLUMNS``: the feature's id (``#row`` when blank), shapely's reason, the
    geometry type before and after ``make_valid(method="structure")`` and the area before
    and after in m² (EPSG:32648; 0 for points). Valid and missing geometries are not listed;
    the index is the input's.
    """
    geoms = gdf.geometry.to_numpy()
    fixed, invalid = _repaired(geoms)
    if not invalid.any():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REPAIR_COLUMNS})
    rows = gdf.index[invalid]

    def area_m2(values: np.ndarray) -> np.ndarray:
        return gpd.GeoSeries(values, index=rows, crs=gdf.crs).to_crs(s.METRIC_CRS).area.to_numpy()

    return pd.DataFrame({
        "feature_id": feature_ids(gdf, layer, invalid), "reason": shapely.is_valid_reason(geoms[invalid]),
        "type_before": [g.geom_type for g in geoms[invalid]], "type_after": [g.geom_type for g in fixed[invalid]],
        "area_before_m2": area_m2(geoms[invalid]), "area_after_m2": area_m2(fixed[invalid]),
    }, index=rows)


def _repair(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    fixed, invalid = _repaired(geoms)
    out = gdf.copy()
    if "repaired" not in out.columns:
        out["repaired"] = False
    if invalid.any():
        out = out.set_geometry(gpd.GeoSeries(fixed, index=out.index, crs=out.crs))
        out.loc[out.index[invalid], "repaired"] = True
    return out


def load_layer(path: str | Path, layer: str, *, crs: str | SourceCRS | None = None,
               mapping: dict[str, str] | None = None, source_layer: str | None = None,
               encoding: str | None = None, repair: bool = False, label: str | None = None,
               id_salt: str | None = None, keep_id_numbers: bool = False,
               area: shapely.Geometry | None = None) -> LoadedLayer:
    """Import one file as project layer ``layer``, in the storage CRS (WGS 84).

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, zipped Shapefile, Shapefile, KML, CSV or XLSX.
    layer
        Target layer, one of ``geo.schema.SPATIAL_LAYERS``.
    crs
        Declared source system (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``, ``EPSG:4544`` ...).
        Required for CSV/XLSX and files without an embedded CRS; must agree with an embedded one.
    mapping
        Explicit ``{original header: schema column}``; wins over header recognition.
    source_layer
        GeoPackage layer, KML folder, XLSX sheet or Shapefile name inside a zip.
    repair
        Repair invalid geometries with ``make_valid(method="structure")`` and flag them in
        a ``repaired`` column; otherwise they are kept and reported by ``geo.validate``.
    id_salt
        The project's salt for hashing 身份证号 (``meta["id_salt"]``); a new one is made (and
        returned in ``LoadedLayer.id_salt``) when the file has ID numbers and none is given.
    keep_id_numbers
        Keep 身份证号 in clear (the planner's explicit opt-in); by default only the masked form
        and the salted hash are kept.
    area
        The project area (WGS 84, ``geo.sanity.area_of``): features far outside it are listed,
        and a file mostly far outside it is refused.

    Returns
    -------
    LoadedLayer
        Frame with schema columns (IDs/phones as text), unrecognised columns kept; 2-D
        coordinates; polygons with counter-clockwise exteriors; plus findings
        (encoding detected, 3-D dropped, repairs, sanity warnings).

    Raises
    ------
    GeoInputError
        Unreadable file, bad encoding, missing/duplicate columns, text in a number column,
        unbuildable geometries without ``repair``, missing or conflicting CRS, zip bombs;
        ``io.mostly_swapped`` when most features have lon/lat swapped and ``io.mostly_far``
        when most lie far outside ``area`` (or outside China): a single stray feature is a
        listed warning instead.
    """
    from geo.sanity import find_coordinate_problems

    path = Path(path)
    label = label or path.name
    with reader_errors(label):
        raw = read_raw(path, target=layer, layer=source_layer, encoding=encoding, label=label)
        raw.frame, guard_notes = review_frame(path, raw.frame, fmt=raw.fmt, layer=layer, label=label)
    is_table = raw.fmt in ("csv", "xlsx")
    mapped, found = apply_mapping(pd.DataFrame(raw.frame), layer, mapping=mapping, file=label)
    if not is_table:
        found = _drop_coordinate_renames(found)
        mapped = pd.DataFrame(raw.frame).rename(columns=found.renames)
    mapped = coerce_columns(mapped, file=label, header_rows=-1)  # tables: the index is the row number
    mapped, filled = _fill_derivable_columns(mapped, layer, label=label)
    mapped, personal, id_salt = protect_personal_columns(mapped, layer, file=label, id_salt=id_salt,
                                                         keep_id_numbers=keep_id_numbers)
    filled += personal
    require_columns(mapped, layer, file=label)
    if is_table:
        gdf = _table_to_points(mapped, label=label)
    else:
        gdf = gpd.GeoDataFrame(mapped, geometry=s.GEOMETRY, crs=raw.frame.crs)
        gdf = _handle_broken(gdf, raw, path, layer=layer, label=label, repair=repair, source_layer=source_layer)
    source = resolve_source_crs(raw, crs, label=label)
    check_coordinates(gdf, source, layer=layer, label=label)
    _check_geometry_types(gdf, layer, label=label)
    findings = _load_findings(raw, gdf, layer, label=label, found=found) + filled + guard_notes
    shift = declaration_shift_m(gdf, declared=source, labelled=parse_crs("wgs84")) if source.offset else None
    findings += _declared_over_label(raw, shift, source, layer, label=label)
    coordinate_problems = find_coordinate_problems(gdf, source, layer=layer, file=label)
    _refuse_mostly_misplaced(coordinate_problems, gdf, layer=layer, label=label)
    findings += coordinate_problems
    gdf = _to_2d(gdf)
    if repair:
        gdf = _repair(gdf)
        repaired = gdf["repaired"].to_numpy(dtype=bool)
        if repaired.any():
            findings.append(finding(INFO, "io.repaired", layer, ", ".join(feature_ids(gdf, layer, repaired)[:20]),
                                    file=label, detail=int(repaired.sum())))
    if layer in POLYGON_LAYERS:
        gdf = gdf.set_geometry(shapely.orient_polygons(gdf.geometry.to_numpy(), exterior_cw=False))
    stored = to_storage_crs(gdf, source)
    findings += _outside_china(stored, layer, label=label)
    if area is not None:
        _refuse_mostly_far(stored, area, layer=layer, label=label, source=source)
        findings += find_far_from_area(stored, area, layer=layer, file=label)
    return LoadedLayer(gdf=stored, layer=layer, file=label, source_crs=source.label, fmt=raw.fmt,
                       encoding=raw.encoding, mapping=found, findings=findings, id_salt=id_salt,
                       declared_shift=shift)


def protect_personal_columns(df: pd.DataFrame, layer: str, *, file: str, id_salt: str | None,
                             keep_id_numbers: bool = False) -> tuple[pd.DataFrame, list[dict], str | None]:
    """Mask and hash 身份证号 (never kept in clear unless opted in) and normalise volunteers' phones.

    ``df`` is indexed by the row number the planner sees. Returns the new frame, findings
    (one warning per invalid ID number, by row; a note when IDs are kept in clear) and the
    salt used (a new one when ``id_salt`` is None and the file has ID numbers).
    """
    notes: list[dict] = []
    out = df
    if layer == s.VOLUNTEERS and s.PHONE in df.columns:
        out = df.copy()
        out[s.PHONE] = [normalise_phone(v) for v in df[s.PHONE]]
        odd = [str(r) for r, v in out[s.PHONE].items() if v is not None and not is_mobile_phone(v)]
        if odd:
            notes.append(finding(WARNING, "io.phone_not_mobile", layer, ", ".join(odd[:20]), file=file,
                                 detail=len(odd)))
    column = find_id_column(out, by_shape=layer == s.VOLUNTEERS, exclude=s.TEXT_COLUMNS)
    if column is None:
        return out, notes, id_salt
    id_salt = id_salt or new_salt()
    out, problems = protect_id_numbers(out, column, salt=id_salt, keep_clear=keep_id_numbers)
    for p in problems:
        notes.append(finding(WARNING, f"idcard.problem.{p.problem}", layer, str(p.row), file=file,
                             detail=p.masked, related_id=column))
    if keep_id_numbers:
        notes.append(finding(WARNING, "idcard.kept_in_clear", layer, file=file, detail=column))
    return out, notes, id_salt


# points that need an ID only to be told apart: generated ``B0001`` ... when the file has none
_GENERATED_ID_PREFIX = {s.HOUSEHOLDS: "B", s.SERVICE_POINTS: "S"}
# grid code length -> level, for grid files without a level column (NBS 12-digit community + 2 + 2)
_LEVEL_BY_CODE_LENGTH = {14: s.LEVEL_GENERAL, 16: s.LEVEL_MICRO}


def _fill_derivable_columns(df: pd.DataFrame, layer: str, *, label: str) -> tuple[pd.DataFrame, list[dict]]:
    """Fill required columns a file can leave out, with a note each: point IDs by row, grid levels by code length.

    Grid codes of another length leave the level blank, and ``require_columns``/``check`` then
    name them; nothing is guessed beyond the code structure.
    """
    notes: list[dict] = []
    id_col = {s.HOUSEHOLDS: s.CODE, s.SERVICE_POINTS: s.POINT_ID}.get(layer)
    out = df
    if id_col is not None and id_col not in df.columns and len(df):
        width = max(4, len(str(len(df))))
        prefix = _GENERATED_ID_PREFIX[layer]
        out = df.copy()
        out[id_col] = [f"{prefix}{i + 1:0{width}d}" for i in range(len(df))]
        notes.append(finding(INFO, "io.ids_generated", layer, file=label, detail=id_col,
                             related_id=f"{out[id_col].iloc[0]}–{out[id_col].iloc[-1]}"))
    if layer == s.GRIDS and s.LEVEL not in df.columns and s.CODE in df.columns:
        levels = [_LEVEL_BY_CODE_LENGTH.get(len(str(c))) if c is not None else None for c in df[s.CODE]]
        if any(levels):
            out = out.copy()
            out[s.LEVEL] = levels
            counts = pd.Series([lv for lv in levels if lv]).value_counts()
            notes.append(finding(INFO, "io.levels_from_codes", layer, file=label,
                                 detail=", ".join(f"{k}: {v}" for k, v in counts.items())))
    return out, notes


def _present(gdf: gpd.GeoDataFrame) -> int:
    geoms = gdf.geometry.to_numpy()
    return int((~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).sum())


def _refuse_mostly_misplaced(problems: list[dict], gdf: gpd.GeoDataFrame, *, layer: str, label: str) -> None:
    """Raise when most features of the file look like lon/lat swapped (a column mapping error, not a stray)."""
    total = _present(gdf)
    for row in problems:
        if row["code"] == "sanity.swapped_latlon" and total and int(row["detail"]) * 2 > total:
            msg = f"{label}: {row['detail']} of {total} features have lon/lat swapped"
            raise GeoInputError(msg, code="io.mostly_swapped", file=label, layer=layer, n=int(row["detail"]),
                                total=total, ids=row["feature_id"])


def _refuse_mostly_far(stored: gpd.GeoDataFrame, area: shapely.Geometry, *, layer: str, label: str,
                       source: SourceCRS) -> None:
    """Raise when most features lie far outside the project area (a wrong CRS or another place)."""
    far = far_from_area(stored, area)
    total = _present(stored)
    if total and int(far.sum()) * 2 > total:
        ids = feature_ids(stored, layer, far)
        msg = f"{label}: {len(ids)} of {total} features lie far outside the project area"
        raise GeoInputError(msg, code="io.mostly_far", file=label, layer=layer, n=len(ids), total=total,
                            ids=ids[:10], crs=source.label, far_km=f"{DEFAULT_FAR_M / 1000:g}")


def _declared_over_label(raw: RawFrame, shift: Shift | None, source: SourceCRS, layer: str, *,
                         label: str) -> list[dict]:
    """A QA note when a declared GCJ-02/BD-09 was used instead of the file's WGS 84 label, with the shift."""
    if shift is None or raw.file_crs is None or not declaration_wins_over_label(source, raw.file_crs):
        return []
    return [finding(INFO, "io.crs_declared_over_label", layer, file=label, detail=source.label,
                    related_id=f"{shift.median_m:.0f}")]


def _drop_coordinate_renames(found: ColumnMapping) -> ColumnMapping:
    renames = {k: v for k, v in found.renames.items() if v not in (LON, LAT)}
    dropped = tuple(k for k, v in found.renames.items() if v in (LON, LAT))
    return ColumnMapping(renames=renames, unrecognised=(*found.unrecognised, *dropped))


def _to_2d(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    if not shapely.has_z(geoms).any():
        return gdf
    return gdf.set_geometry(gpd.GeoSeries(shapely.force_2d(geoms), index=gdf.index, crs=gdf.crs))


def _load_findings(raw: RawFrame, gdf: gpd.GeoDataFrame, layer: str, *, label: str,
                   found: ColumnMapping) -> list[dict]:
    out = []
    if raw.encoding_source == "detected" and raw.encoding:
        out.append(finding(INFO, "io.encoding_detected", layer, file=label, detail=raw.encoding))
    if found.unrecognised:
        out.append(finding(INFO, "io.unrecognised_columns", layer, file=label,
                           detail=", ".join(found.unrecognised)))
    out += _sheet_findings(raw, layer, label=label)
    geoms = gdf.geometry.to_numpy()
    z = shapely.has_z(geoms)
    if z.any():
        ids = feature_ids(gdf, layer, z)
        out.append(finding(WARNING, "io.forced_2d", layer, ", ".join(ids[:10]), file=label, detail=len(ids)))
    return out


def _sheet_findings(raw: RawFrame, layer: str, *, label: str) -> list[dict]:
    """Notes on what a spreadsheet reader left out: 合计/小计 rows, the 序号 column, sheets of notes."""
    out = []
    if raw.sheet is not None:
        header = ", ".join(map(str, raw.sheet.header_rows))
        out.append(finding(INFO, "io.sheet_read", layer, raw.sheet.name, file=label, detail=header,
                           related_id=str(raw.sheet.first_data_row)))
        totals = [r for r, why in raw.sheet.skipped_rows.items() if why == SKIP_TOTAL]
        if totals:
            out.append(finding(INFO, "io.total_rows_skipped", layer, ", ".join(map(str, totals)), file=label,
                               detail=len(totals)))
    for name, why in raw.skipped_sheets.items():
        out.append(finding(INFO, f"io.sheet_skipped.{why}", layer, name, file=label))
    return out


def _outside_china(gdf: gpd.GeoDataFrame, layer: str, *, label: str) -> list[dict]:
    from geo.sanity import find_outside_china

    return find_outside_china(gdf, layer=layer, file=label)


def load_layer_bytes(data: bytes, filename: str, layer: str, **options: object) -> LoadedLayer:
    """``load_layer`` for uploaded content (the app): written to a private temp dir, then read."""
    tmp = Path(tempfile.mkdtemp(prefix="gridatlas-upload-"))
    try:
        target = tmp / Path(filename).name
        target.write_bytes(data)
        return load_layer(target, layer, label=Path(filename).name, **options)  # type: ignore[arg-type]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- the project ---------------------------------------------------------------------------

def build_project(loaded: dict[str, LoadedLayer], *, user: str = "", now: str | None = None) -> Project:
    """A new project holding the loaded layers; meta records each source (file, CRS, date, columns).

    The one import builder (``geo.project_update.import_layers`` on an empty project): community
    names resolved to codes, missing parents written by largest overlap, the 身份证号 salt kept, and
    the import logged in the audit table (``import``, by ``user``).
    """
    project, _ = import_layers(None, loaded, user=user, now=now)
    return project
