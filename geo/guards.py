"""Input guards: is this file safe to read, and did reading it change anything silently?

Run before a reader touches a file (``check_input_file``: regular file, size/row/column caps,
zip and XLSX sanity, JSON depth, XML without DTD, text encodings), after it (``review_frame``:
control characters removed and reported, GeoJSON features of unknown type and long integer
codes, XLSX formula cells without values and numbers that lost their leading zeros), and
before GEOS sees coordinates (``check_coordinates``: finite and within the Earth or a
projected range). Every refusal is a ``GeoInputError`` subclass with a ``guards.*`` catalogue
code (``geo/messages/guards.py``); every change is a finding.

Caps come from ``InputLimits`` (defaults below, raised with the ``GRIDATLAS_MAX_*`` settings).
"""
from __future__ import annotations

import csv
import json
import os
import re
import stat
import traceback
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.parsers import expat

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely

from geo.errors import GeoInputError, InvalidGeometryError, UnsupportedFormatError
from geo.validate import INFO, WARNING, feature_ids, finding
from geo.values import CONTROL_CHARACTERS, strip_controls

# zip safety limits (a zipped Shapefile of a county is a few MB)
MAX_ZIP_TOTAL_BYTES = 1_000_000_000
MAX_ZIP_RATIO = 200.0
MAX_ZIP_MEMBERS = 10_000
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
ZIP_METHOD_NAMES = {9: "Deflate64", 12: "BZIP2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 97: "WavPack", 98: "PPMd"}

# settings that raise the caps (environment of the CLI or the app server)
SETTING_MAX_INPUT_MB = "GRIDATLAS_MAX_INPUT_MB"
SETTING_MAX_TABLE_MB = "GRIDATLAS_MAX_TABLE_MB"
SETTING_MAX_ROWS = "GRIDATLAS_MAX_ROWS"
SETTING_MAX_COLUMNS = "GRIDATLAS_MAX_COLUMNS"

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
ZIP_SUFFIXES = (".zip", ".xlsx", ".xlsm")
JSON_SUFFIXES = (".geojson", ".json")

# C0/C1 control characters except tab, line feed and carriage return (kept: they are text layout)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_GEOJSON_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}
# integers beyond this are not exact as float64 (2**53)
_EXACT_INT = 2**53
# beyond this a projected coordinate is off the Earth in any metric CRS (the equator is 4.0e7 m)
MAX_PROJECTED_ABS_M = 1e8
_MB = 1_000_000
_XML_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputLimits:
    """Caps on what one input file may hold; ``from_env`` reads the ``GRIDATLAS_MAX_*`` settings."""

    max_input_mb: float = 200.0  # any vector file (GeoJSON, GeoPackage, zip, KML, Shapefile)
    max_table_mb: float = 50.0  # CSV/XLSX: a 64 MB CSV needs over 1 GB of memory once parsed
    max_rows: int = 1_000_000
    max_columns: int = 500
    max_json_depth: int = 64
    max_zip_bytes: int = MAX_ZIP_TOTAL_BYTES
    max_zip_ratio: float = MAX_ZIP_RATIO
    max_zip_members: int = MAX_ZIP_MEMBERS

    @classmethod
    def from_env(cls) -> InputLimits:
        """The defaults, overridden by ``GRIDATLAS_MAX_INPUT_MB``/``_TABLE_MB``/``_ROWS``/``_COLUMNS``."""
        base = cls()
        return cls(max_input_mb=_env_number(SETTING_MAX_INPUT_MB, base.max_input_mb),
                   max_table_mb=_env_number(SETTING_MAX_TABLE_MB, base.max_table_mb),
                   max_rows=int(_env_number(SETTING_MAX_ROWS, base.max_rows)),
                   max_columns=int(_env_number(SETTING_MAX_COLUMNS, base.max_columns)))


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if value > 0 else default


_PROJECT_ROOT = Path(__file__).resolve().parents[1]
# what reader libraries raise on a damaged file (beyond the named checks above)
_READER_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
                  ET.ParseError, expat.ExpatError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
                  RecursionError, EOFError, csv.Error)
_LIBRARY_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, AssertionError)


def _raised_in_library(exc: BaseException) -> bool:
    """True when the innermost frame of ``exc`` is outside this project (openpyxl, pyogrio, pandas ...)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    innermost = Path(frames[-1].filename).resolve()
    # a virtual environment inside the checkout (.venv/lib/.../site-packages) is still a library
    return "site-packages" in innermost.parts or not innermost.is_relative_to(_PROJECT_ROOT)


@contextmanager
def reader_errors(label: str) -> Iterator[None]:
    """Turn a reader library's failure on a damaged file into a named refusal, never a traceback.

    Raises
    ------
    GeoInputError
        ``guards.file_crs_unreadable`` (a ``.prj``/``crs`` member GDAL cannot parse) or
        ``guards.unreadable_content`` (the library's first line as ``detail``). Errors raised in
        this project's own code pass through unchanged (they are bugs, not bad files).
    """
    try:
        yield
    except GeoInputError:
        raise
    except pyogrio.errors.CRSError as exc:
        msg = f"{label}: {exc}"
        raise GeoInputError(msg, code="guards.file_crs_unreadable", file=label,
                            detail=str(exc).split("\n")[0][:160]) from exc
    except _READER_ERRORS + _LIBRARY_ERRORS as exc:
        if isinstance(exc, _LIBRARY_ERRORS) and not isinstance(exc, _READER_ERRORS) and not _raised_in_library(exc):
            raise
        msg = f"{label}: {type(exc).__name__}: {exc}"
        detail = (str(exc).split("\n")[0] or type(exc).__name__)[:160]
        raise UnsupportedFormatError(msg, code="guards.unreadable_content", file=label, detail=detail) from exc


def detect_dbf_encoding(dbf: bytes) -> str:
    """``UTF-8`` when the DBF's names and records decode as UTF-8, else ``GB18030`` (superset of GBK)."""
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    names = b"".join(dbf[i:i + 11] for i in range(32, max(header_len - 1, 32), 32))
    text = names + dbf[header_len:]
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text.decode("gb18030")
        except UnicodeDecodeError:
            return "ISO-8859-1"
        return "GB18030"
    return "UTF-8"


FLOAT_EXACT_DIGITS = 15  # a DBF number wider than this may not survive a float64 round trip


def dbf_wide_integers(dbf: bytes, *, encoding: str) -> dict[str, list[str | None]]:
    """The integer columns of a DBF too wide for a float64 (``N``/``F``, no decimals, width > 15), as text.

    GDAL reads such a column (e.g. a 19–21 digit grid code) as a float and rounds it; these are the
    digits as stored, one per record not marked deleted (the order GDAL reads them), None for blanks.
    """
    if len(dbf) < 32:
        return {}
    count = int.from_bytes(dbf[4:8], "little")
    header_len = int.from_bytes(dbf[8:10], "little")
    record_len = int.from_bytes(dbf[10:12], "little")
    fields, offset = [], 1
    for start in range(32, header_len - 1, 32):
        desc = dbf[start:start + 32]
        if len(desc) < 32 or desc[0] == 0x0D:
            break
        name = desc[:11].split(b"\0", 1)[0].decode(encoding, errors="replace").strip()
        kind, width, decimals = chr(desc[11]), desc[16], desc[17]
        if kind in "NF" and decimals == 0 and width > FLOAT_EXACT_DIGITS:
            fields.append((name, offset, width))
        offset += width
    if not fields or record_len <= 0:
        return {}
    out: dict[str, list[str | None]] = {name: [] for name, _, _ in fields}
    for k in range(count):
        record = dbf[header_len + k * record_len:header_len + (k + 1) * record_len]
        if len(record) < record_len:
            break
        if record[:1] == b"*":  # deleted: GDAL skips it too
            continue
        for name, start, width in fields:
            text = record[start:start + width].decode("ascii", errors="replace").strip()
            out[name].append(text or None)
    return out


# --- the file itself --------------------------------------------------------------------------

def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def check_regular_file(path: Path, *, label: str, max_mb: float, setting: str) -> int:
    """Refuse anything but a readable regular file within ``max_mb``; return its size in bytes.

    ``os.stat`` never blocks (a FIFO is refused before anyone opens it; ``/dev/zero`` is a device).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        msg = f"{path} does not exist"
        raise UnsupportedFormatError(msg, code="file_not_found", file=str(path)) from exc
    except OSError as exc:
        msg = f"{path}: {exc.strerror}"
        raise GeoInputError(msg, code="guards.unreadable", file=label, reason=exc.strerror or "") from exc
    if not stat.S_ISREG(info.st_mode):
        msg = f"{path} is not a regular file ({_kind(info.st_mode)})"
        raise GeoInputError(msg, code=f"guards.not_regular_file.{_kind(info.st_mode)}", file=label)
    if not os.access(path, os.R_OK):
        msg = f"{path} is not readable"
        raise GeoInputError(msg, code="guards.unreadable", file=label, reason="permission denied")
    if info.st_size > max_mb * _MB:
        msg = f"{path} is {info.st_size / _MB:.0f} MB, over the {max_mb:g} MB cap"
        raise GeoInputError(msg, code="guards.too_large", file=label, size_mb=round(info.st_size / _MB, 1),
                            max_mb=f"{max_mb:g}", setting=setting)
    return info.st_size


def check_input_file(path: str | Path, *, label: str | None = None, limits: InputLimits | None = None) -> None:
    """Refuse a file a reader must not open: not a regular file, too large, or hostile for its format.

    Parameters
    ----------
    path
        The file a reader is about to open (any supported suffix; other suffixes get the file checks only).
    limits
        The caps; ``InputLimits.from_env()`` when None.

    Raises
    ------
    GeoInputError
        ``guards.*`` codes: not a regular file, unreadable, too large, too many rows/columns, JSON
        too deep, malformed XML or XML with a DTD, zip with bad CRC/lying sizes/encryption/an
        unsupported compression, a zip bomb (``io.zip_bomb``), a UTF-8 BOM on a non-UTF-8 body,
        a ``.cpg`` that does not match its ``.dbf``.
    """
    path = Path(path)
    label = label or path.name
    limits = limits or InputLimits.from_env()
    suffix = path.suffix.lower()
    is_table = suffix in TABLE_SUFFIXES
    check_regular_file(path, label=label, max_mb=limits.max_table_mb if is_table else limits.max_input_mb,
                       setting=SETTING_MAX_TABLE_MB if is_table else SETTING_MAX_INPUT_MB)
    if suffix in ZIP_SUFFIXES:
        infos = check_zip(path, label=label, max_total_bytes=limits.max_zip_bytes, max_ratio=limits.max_zip_ratio,
                          max_members=limits.max_zip_members)
        verify_zip(path, infos, label=label, refuse_dtd=suffix != ".zip")
        if suffix == ".zip":
            _check_zipped_cpg(path, infos, label=label)
        else:
            _check_xlsx_size(path, infos, label=label, limits=limits)
    elif suffix in JSON_SUFFIXES:
        check_json_depth(path.read_bytes(), label=label, max_depth=limits.max_json_depth)
    elif suffix == ".kml":
        check_xml(path, label=label)
    elif suffix in (".csv", ".txt"):
        check_text_table(path.read_bytes(), label=label, limits=limits)
    elif suffix == ".shp":
        _check_shapefile_sidecars(path, label=label, limits=limits)


# --- zip ---------------------------------------------------------------------------------------

def _unsafe_member(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def check_zip(path: Path, *, label: str, max_total_bytes: int = MAX_ZIP_TOTAL_BYTES,
              max_ratio: float = MAX_ZIP_RATIO, max_members: int = MAX_ZIP_MEMBERS) -> list[zipfile.ZipInfo]:
    """Inspect a zip's directory before reading it; return its members.

    Raises
    ------
    GeoInputError
        ``io.not_zip``; ``io.zip_unsafe_path`` for absolute or ``..`` member paths; ``io.zip_bomb``
        when the total uncompressed size, the compression ratio or the member count is absurd;
        ``guards.zip_encrypted``; ``guards.zip_compression`` for a method Python cannot read (Deflate64).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        msg = f"{label} is not a zip file"
        raise UnsupportedFormatError(msg, code="io.not_zip", file=label) from exc
    bad = [i.filename for i in infos if _unsafe_member(i.filename)]
    if bad:
        msg = f"{label} contains unsafe paths {bad[:5]}"
        raise GeoInputError(msg, code="io.zip_unsafe_path", file=label, members=bad)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    ratio = total / max(packed, 1)
    if len(infos) > max_members or total > max_total_bytes or ratio > max_ratio:
        msg = f"{label}: {len(infos)} members, {total} bytes uncompressed, ratio {ratio:.0f}"
        raise GeoInputError(msg, code="io.zip_bomb", file=label, members_n=len(infos),
                            size_mb=round(total / 1e6, 1), ratio=round(ratio), max_mb=round(max_total_bytes / 1e6),
                            max_ratio=round(max_ratio))
    encrypted = [i.filename for i in infos if i.flag_bits & 0x1]
    if encrypted:
        msg = f"{label}: encrypted members {encrypted[:5]}"
        raise GeoInputError(msg, code="guards.zip_encrypted", file=label, members=encrypted)
    odd = [i for i in infos if i.compress_type not in ZIP_METHODS]
    if odd:
        method = ZIP_METHOD_NAMES.get(odd[0].compress_type, str(odd[0].compress_type))
        msg = f"{label}: {odd[0].filename} uses compression {method}"
        raise GeoInputError(msg, code="guards.zip_compression", file=label, member=odd[0].filename, method=method)
    return infos


def verify_zip(path: Path, infos: list[zipfile.ZipInfo], *, label: str, refuse_dtd: bool = False) -> None:
    """Read every member once (bounded by the sizes ``check_zip`` accepted): CRC, sizes, truncation, DTDs.

    Raises
    ------
    GeoInputError
        ``guards.zip_corrupt`` (bad CRC, truncated or undecodable data, a header that lies about a
        member's size: ``zipfile`` reads the declared size and the CRC then fails), ``guards.xml_dtd``
        (``refuse_dtd``: an XML member of an office file declaring a DTD or entities).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                _read_member(zf, info, label=label, refuse_dtd=refuse_dtd)
    except GeoInputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, LookupError) as exc:
        msg = f"{label}: {exc}"
        raise GeoInputError(msg, code="guards.zip_corrupt", file=label, detail=str(exc)[:120]) from exc


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, label: str, refuse_dtd: bool) -> None:
    scan = refuse_dtd and info.filename.lower().endswith((".xml", ".rels", ".vml"))
    tail = b""
    with zf.open(info) as src:
        while chunk := src.read(_XML_CHUNK):
            if scan and (b"<!DOCTYPE" in tail + chunk or b"<!ENTITY" in tail + chunk):
                msg = f"{label}: {info.filename} declares a DTD"
                raise GeoInputError(msg, code="guards.xml_dtd", file=label, member=info.filename)
            tail = chunk[-16:]


# --- JSON, XML, text tables -----------------------------------------------------------------------

def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, without recursion (strings ignored)."""
    stripped = _JSON_STRING.sub(b'""', data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    step = np.zeros(len(codes), dtype=np.int32)
    step[(codes == ord("[")) | (codes == ord("{"))] = 1
    step[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(step).max()) if len(step) else 0


def check_json_depth(data: bytes, *, label: str, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` (a GeoJSON MultiPolygon needs about 8)."""
    depth = json_depth(data)
    if depth > max_depth:
        msg = f"{label} is nested {depth} levels deep (limit {max_depth})"
        raise GeoInputError(msg, code="guards.json_too_deep", file=label, depth=depth, max_depth=max_depth)


def check_xml(path: Path, *, label: str) -> None:
    """Refuse malformed XML and XML with a DTD or entity declarations (billion laughs, external entities)."""
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        msg = f"{label} declares a DTD"
        raise GeoInputError(msg, code="guards.xml_dtd", file=label, member=label)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_XML_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        msg = f"{label} is not well-formed XML: {exc}"
        raise GeoInputError(msg, code="guards.bad_xml", file=label, line=exc.lineno,
                            detail=expat.ErrorString(exc.code)) from exc


def _first_line(data: bytes) -> bytes:
    for line in data[:1 << 20].splitlines():
        if line.strip():
            return line
    return b""


def check_text_table(data: bytes, *, label: str, limits: InputLimits) -> None:
    """A CSV's rows and columns within the caps, and a UTF-8 BOM only on a UTF-8 body."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"{label} starts with a UTF-8 BOM but its text is not UTF-8"
            raise GeoInputError(msg, code="guards.bom_not_utf8", file=label) from exc
    rows = data.count(b"\n") + 1
    if rows > limits.max_rows:
        msg = f"{label} has {rows} rows (limit {limits.max_rows})"
        raise GeoInputError(msg, code="guards.too_many_rows", file=label, rows=rows, max_rows=limits.max_rows,
                            setting=SETTING_MAX_ROWS)
    header = _first_line(data)
    columns = max(header.count(sep) for sep in (b",", b"\t", b";", b"|")) + 1 if header else 0
    if columns > limits.max_columns:
        msg = f"{label} has {columns} columns (limit {limits.max_columns})"
        raise GeoInputError(msg, code="guards.too_many_columns", file=label, columns=columns,
                            max_columns=limits.max_columns, setting=SETTING_MAX_COLUMNS)


def _check_xlsx_size(path: Path, infos: list[zipfile.ZipInfo], *, label: str, limits: InputLimits) -> None:
    """Rows and columns of every worksheet within the caps (from the ``<dimension>`` and row count)."""
    with zipfile.ZipFile(path) as zf:
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            rows, columns = _sheet_extent(zf, info)
            if rows > limits.max_rows:
                msg = f"{label}: {info.filename} has {rows} rows"
                raise GeoInputError(msg, code="guards.too_many_rows", file=label, rows=rows,
                                    max_rows=limits.max_rows, setting=SETTING_MAX_ROWS)
            if columns > limits.max_columns:
                msg = f"{label}: {info.filename} has {columns} columns"
                raise GeoInputError(msg, code="guards.too_many_columns", file=label, columns=columns,
                                    max_columns=limits.max_columns, setting=SETTING_MAX_COLUMNS)


def _column_number(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    rows, columns = 0, 0
    with zf.open(info) as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "c":
                columns = max(columns, _column_number(elem.get("r", "")))
            elif tag == "row":
                rows += 1
                elem.clear()
    return rows, columns


# --- Shapefile sidecars --------------------------------------------------------------------------

def _check_shapefile_sidecars(shp: Path, *, label: str, limits: InputLimits) -> None:
    for suffix in (".dbf", ".DBF", ".shx", ".SHX"):
        side = shp.with_suffix(suffix)
        if side.exists():
            check_regular_file(side, label=side.name, max_mb=limits.max_input_mb, setting=SETTING_MAX_INPUT_MB)
    cpg = next((shp.with_suffix(x) for x in (".cpg", ".CPG") if shp.with_suffix(x).is_file()), None)
    dbf = next((shp.with_suffix(x) for x in (".dbf", ".DBF") if shp.with_suffix(x).is_file()), None)
    if cpg is not None and dbf is not None:
        check_cpg(cpg.read_bytes(), dbf.read_bytes(), label=label)


def _check_zipped_cpg(path: Path, infos: list[zipfile.ZipInfo], *, label: str) -> None:
    by_suffix = {PurePosixPath(i.filename).suffix.lower(): i for i in infos if "__MACOSX" not in i.filename}
    if ".cpg" in by_suffix and ".dbf" in by_suffix:
        with zipfile.ZipFile(path) as zf:
            check_cpg(zf.read(by_suffix[".cpg"]), zf.read(by_suffix[".dbf"]), label=label)


def check_cpg(cpg: bytes, dbf: bytes, *, label: str) -> None:
    """Refuse a ``.cpg`` that names an unknown encoding or one the ``.dbf`` records do not decode in."""

    declared = cpg.decode("ascii", errors="replace").strip()
    if not declared:
        return
    name = {"65001": "utf-8", "936": "gbk", "utf8": "utf-8"}.get(declared.lower(), declared)
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    try:
        dbf[header_len:].decode(name)
    except LookupError as exc:
        msg = f"{label}: .cpg names an unknown encoding {declared!r}"
        raise GeoInputError(msg, code="guards.cpg_lies", file=label, declared=declared,
                            detected=detect_dbf_encoding(dbf)) from exc
    except UnicodeDecodeError as exc:
        msg = f"{label}: .cpg says {declared} but the .dbf is not"
        raise GeoInputError(msg, code="guards.cpg_lies", file=label, declared=declared,
                            detected=detect_dbf_encoding(dbf)) from exc


# --- coordinates ---------------------------------------------------------------------------------

def check_coordinates(gdf: gpd.GeoDataFrame, source: object, *, layer: str, label: str) -> None:
    """Refuse coordinates GEOS and pyproj cannot work with, before any overlay or reprojection.

    ``source`` is the resolved ``geo.crs.SourceCRS``. Every coordinate must be finite. Lines and
    polygons in a geographic source (and GCJ-02/BD-09) need longitudes within ±180 and latitudes
    within ±90 (swapped lat/lon in China fails here: latitude > 90); in a projected source |x|, |y|
    below ``MAX_PROJECTED_ABS_M``. Points off the Earth are kept and listed by ``geo.sanity``.

    Raises
    ------
    InvalidGeometryError
        ``guards.coordinates_not_finite`` or ``guards.coordinates_out_of_range``, naming the features.
    """
    geoms = gdf.geometry.to_numpy()
    if not len(geoms):
        return
    coords, owner = shapely.get_coordinates(geoms, include_z=False, return_index=True)
    if not len(coords):
        return
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        bad = np.zeros(len(geoms), dtype=bool)
        bad[owner[~finite]] = True
        ids = feature_ids(gdf, layer, bad)
        msg = f"{label}: {len(ids)} features have infinite or NaN coordinates"
        raise InvalidGeometryError(msg, code="guards.coordinates_not_finite", file=label, ids=ids, n=len(ids))
    crs = getattr(source, "crs", None)
    geographic = getattr(source, "offset", None) is not None or (crs is not None and crs.is_geographic)
    x, y = np.abs(coords[:, 0]), np.abs(coords[:, 1])
    out = ((x > 180) | (y > 90)) if geographic else ((x > MAX_PROJECTED_ABS_M) | (y > MAX_PROJECTED_ABS_M))
    out &= shapely.get_type_id(geoms)[owner] != 0  # points off the Earth stay a listed warning (geo.sanity)
    if out.any():
        bad = np.zeros(len(geoms), dtype=bool)
        bad[owner[out]] = True
        ids = feature_ids(gdf, layer, bad)
        first = coords[out][0]
        msg = f"{label}: {len(ids)} features have coordinates off the Earth in {getattr(source, 'label', '')}"
        raise InvalidGeometryError(msg, code="guards.coordinates_out_of_range", file=label, ids=ids, n=len(ids),
                                   crs=getattr(source, "label", ""), x=f"{first[0]:.6g}", y=f"{first[1]:.6g}",
                                   layer=layer)


# --- after reading: what the reader changed --------------------------------------------------------

def clean_text(frame: pd.DataFrame, *, layer: str, label: str,
               by_row: bool = False) -> tuple[pd.DataFrame, list[dict]]:
    """Remove control characters (NUL included) from text cells and headers; one warning per column.

    Cells are named by feature ID (``#n`` when blank), or with ``by_row`` by the frame's index (a
    table's row number as the planner sees it).
    """
    out, notes = frame, []
    renamed = {c: strip_controls(c) for c in frame.columns if isinstance(c, str) and CONTROL_CHARACTERS.search(c)}
    if renamed:
        out = out.rename(columns=renamed)
        notes.append(finding(WARNING, "guards.control_chars_header", layer, file=label,
                             detail=", ".join(renamed.values())))
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None) or out[col].dtype.kind not in "OSU":
            continue
        values = out[col].to_numpy(dtype=object)
        hit = np.array([isinstance(v, str) and CONTROL_CHARACTERS.search(v) is not None for v in values], dtype=bool)
        if not hit.any():
            continue
        if out is frame:
            out = frame.copy()
        out[col] = [strip_controls(v) if h else v for v, h in zip(values, hit)]
        where = [str(r) for r in out.index[hit]] if by_row else feature_ids(out, layer, hit)
        notes.append(finding(WARNING, "guards.control_chars", layer, ", ".join(where[:10]),
                             file=label, detail=str(col), related_id=str(int(hit.sum()))))
    return out, notes


def review_frame(path: str | Path, frame: pd.DataFrame, *, fmt: str, layer: str,
                 label: str) -> tuple[pd.DataFrame, list[dict]]:
    """What a reader may have changed silently, put back where possible and reported otherwise.

    GeoJSON: long integer codes restored as exact text, text restored from the file where GDAL cut
    it at a NUL, features of an unknown geometry type listed. XLSX: formula cells without a stored
    value, numbers shown with leading zeros, numbers longer than Excel's 15 digits. Then control
    characters are removed from all text (``clean_text``).
    """
    notes: list[dict] = []
    if fmt == "geojson":
        frame, notes = _review_geojson(Path(path), frame, layer=layer, label=label)
    elif fmt == "xlsx":
        notes = review_xlsx(Path(path), layer=layer, label=label)
    frame, cleaned = clean_text(frame, layer=layer, label=label, by_row=fmt in ("csv", "xlsx"))
    return frame, notes + cleaned


def _review_geojson(path: Path, frame: pd.DataFrame, *, layer: str,
                    label: str) -> tuple[pd.DataFrame, list[dict]]:
    doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    feats = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
    feats = [f for f in feats if isinstance(f, dict)]
    notes: list[dict] = []
    unknown = np.zeros(len(frame), dtype=bool)
    types = set()
    for i, feat in enumerate(feats[:len(frame)]):
        geom = feat.get("geometry")
        kind = geom.get("type") if isinstance(geom, dict) else None
        if isinstance(geom, dict) and kind not in _GEOJSON_TYPES:
            unknown[i] = True
            types.add(str(kind))
    if unknown.any():
        notes.append(finding(WARNING, "guards.unknown_geometry_type", layer,
                             ", ".join(feature_ids(frame, layer, unknown)[:10]), file=label,
                             detail=", ".join(sorted(types)), related_id=str(int(unknown.sum()))))
    if len(feats) != len(frame):
        return frame, notes  # rows do not line up with features: nothing restored
    out, restored = frame, []
    for col in frame.columns:
        values = [f.get("properties", {}).get(col) if isinstance(f.get("properties"), dict) else None
                  for f in feats]
        long_int = any(isinstance(v, int) and not isinstance(v, bool) and abs(v) >= _EXACT_INT for v in values)
        cut = any(isinstance(v, str) and "\x00" in v for v in values)
        if long_int or cut:
            if out is frame:
                out = frame.copy()
            out[col] = [None if v is None else str(v) for v in values]
            restored.append(str(col))
    if restored:
        notes.append(finding(INFO, "guards.restored_from_file", layer, file=label, detail=", ".join(restored)))
    return out, notes


# --- XLSX cells --------------------------------------------------------------------------------------

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PADDED = re.compile(r'^(?:"[^"]*")?0{2,}(?:"[^"]*")?$')


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """``xl/worksheets/sheetN.xml`` -> the sheet's name."""
    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out[member] = sheet.get("name", member)
    return out


def _padded_styles(zf: zipfile.ZipFile) -> set[int]:
    """Cell style indexes whose number format pads with zeros (``000000``): numbers shown as codes."""
    try:
        styles = ET.fromstring(zf.read("xl/styles.xml"))
    except (KeyError, ET.ParseError):
        return set()
    padded_formats = {int(f.get("numFmtId", -1)) for f in styles.iter(f"{_NS_MAIN}numFmt")
                      if _PADDED.match(f.get("formatCode", ""))}
    xfs = styles.find(f"{_NS_MAIN}cellXfs")
    if xfs is None:
        return set()
    return {i for i, xf in enumerate(xfs) if int(xf.get("numFmtId", 0)) in padded_formats}


def review_xlsx(path: Path, *, layer: str, label: str) -> list[dict]:
    """Warnings about cells a workbook reader cannot read as the planner sees them.

    Formula cells with no stored value (read as blank), numbers shown with leading zeros by their
    format (``000001`` read as ``1``) and integers longer than 15 digits (Excel already rounded them).
    """
    formulas, padded, long_numbers = [], [], []
    with zipfile.ZipFile(path) as zf:
        names = _sheet_names(zf)
        zero_styles = _padded_styles(zf)
        for member, sheet in names.items():
            try:
                fh = zf.open(member)
            except KeyError:
                continue
            with fh:
                for _, elem in ET.iterparse(fh, events=("end",)):
                    if elem.tag != f"{_NS_MAIN}c":
                        continue
                    ref = f"{sheet}!{elem.get('r', '?')}"
                    value = elem.find(f"{_NS_MAIN}v")
                    has_value = value is not None and (value.text or "") != ""
                    if elem.find(f"{_NS_MAIN}f") is not None and not has_value:
                        formulas.append(ref)
                    elif has_value and elem.get("t", "n") == "n":
                        if int(elem.get("s", 0)) in zero_styles:
                            padded.append(ref)
                        elif _long_number(value.text or ""):
                            long_numbers.append(ref)
                    elem.clear()
    notes = []
    for code, cells in (("guards.formula_no_value", formulas), ("guards.number_lost_zeros", padded),
                        ("guards.number_too_long", long_numbers)):
        if cells:
            notes.append(finding(WARNING, code, layer, ", ".join(cells[:10]), file=label, detail=str(len(cells))))
    return notes


def _long_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return value == value and abs(value) >= 1e15 and float(value).is_integer()
