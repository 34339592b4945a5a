"""The fuzz corpus: >= 400 bad inputs for ``python -m cli``, generated (seeded, deterministic) into a temp dir.

Each ``Case`` writes its files into a folder and returns the command line to run. Cases that
could hang or eat memory (FIFO, devices, bombs, huge or deeply nested files, spike polygons) are
``isolate=True``: the harness runs them in a subprocess with a timeout and a memory limit.
``mention`` lists words the output must contain when the input loses or changes something
(no silent drop). Nothing here is committed as data except the small seeds in ``seeds/``.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyogrio

from geo import schema as s
from tests.factories import tiny_layers

SEED = 18  # issue 18
SEEDS = Path(__file__).parent / "seeds"


@dataclass(frozen=True)
class Case:
    """One bad input and the command that reads it."""

    name: str
    cls: str  # the class of the issue it covers (``zip_bad_crc`` ...)
    build: Callable[[Path], list[str]]  # writes the files into a folder, returns argv
    isolate: bool = False  # subprocess with timeout + memory cap (could hang or eat memory)
    mention: tuple[str, ...] = ()  # the output must name these (nothing dropped or changed silently)
    env: dict[str, str] = field(default_factory=dict)
    then_check: bool = True  # after a successful import, also run ``check`` on the project
    verify: Callable[[Path], None] | None = None  # extra assertion on the folder after the run
    known_failure: str = ""  # why this case still breaks the contract (the test is an xfail until fixed)


# --- good material -------------------------------------------------------------------------------

POLYGON_OPTIONS = {s.TOWNS: "--towns", s.COMMUNITIES: "--communities", s.GRIDS: "--grids"}
POINT_OPTIONS = {s.VOLUNTEERS: "--volunteers", s.SERVICE_POINTS: "--service-points", s.HOUSEHOLDS: "--households"}
HOSTILE_NAMES = ("$\\frac{1}{0}$", "名称\x00截断", "ctrl\x07\x1b[31mred", "$x$ and $y$", "![x](http://127.0.0.1:9/x.png)",
                 "<script>alert(1)</script>", "{{7*7}} ${7*7}", "\u202eRTL\u202c", "=cmd|'/C calc'!A0", "表\x0b格")


@lru_cache(maxsize=1)
def _layers() -> dict:
    return tiny_layers()


def geojson_doc(layer: str) -> dict:
    """A layer of the tiny project as a GeoJSON dict (WGS 84)."""
    return json.loads(_layers()[layer].to_json(drop_id=True))


def dump(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def geojson_bytes(layer: str) -> bytes:
    return dump(geojson_doc(layer))


def points_frame(layer: str) -> pd.DataFrame:
    gdf = _layers()[layer]
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["经度"] = gdf.geometry.x
    df["纬度"] = gdf.geometry.y
    return df.astype(str)


def csv_bytes(layer: str = s.VOLUNTEERS, *, encoding: str = "utf-8") -> bytes:
    return points_frame(layer).to_csv(index=False).encode(encoding)


_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """A workbook written by openpyxl, with its timestamps fixed (same frames, same bytes)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in frames.items():
            df.to_excel(writer, sheet_name=name, index=False)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0)),
                        _STAMP.sub(b"2020-01-01T00:00:00Z", src.read(info)), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def kml_bytes(layer: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.kml"
        pyogrio.write_dataframe(_layers()[layer], path, driver="KML")
        return path.read_bytes()


def gpkg_bytes(layer: str) -> bytes:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gridatlas-fuzz-{os.getpid()}-{layer}.gpkg"
    pyogrio.write_dataframe(_layers()[layer], path, layer=layer, driver="GPKG")
    data = path.read_bytes()
    path.unlink()
    return data


@lru_cache(maxsize=4)
def shapefile_parts(layer: str, encoding: str = "UTF-8") -> dict[str, bytes]:
    """The members of a Shapefile of ``layer`` ({suffix: bytes})."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"gridatlas-fuzz-shp-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    path = folder / f"{layer}.shp"
    pyogrio.write_dataframe(_layers()[layer], path, encoding=encoding)
    parts = {p.suffix: p.read_bytes() for p in folder.glob(f"{layer}.*")}
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    return parts


def zip_bytes(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def shp_zip(layer: str = s.GRIDS, **kw) -> bytes:
    return zip_bytes({f"{layer}{k}": v for k, v in shapefile_parts(layer).items()}, **kw)


# --- command lines ---------------------------------------------------------------------------------

def import_argv(folder: Path, option: str, path: Path | str, *extra: str) -> list[str]:
    crs = [] if "--crs" in extra or any(e.endswith("-crs") for e in extra) else ["--crs", "wgs84"]
    return ["--lang", "en", "import", option, str(path), *crs, *extra, "--out", str(folder / "project.gpkg")]


def import_file(option: str, filename: str, data: bytes | Callable[[], bytes],
                *extra: str) -> Callable[[Path], list[str]]:
    """A builder: write ``data`` (or what ``data()`` makes, for big files) as ``filename``; import it with ``option``."""
    def build(folder: Path) -> list[str]:
        path = folder / filename
        path.write_bytes(data() if callable(data) else data)
        return import_argv(folder, option, path, *extra)
    return build


def option_for(layer: str) -> str:
    return {**POLYGON_OPTIONS, **POINT_OPTIONS}[layer]


# --- zip surgery -------------------------------------------------------------------------------------

def _central(data: bytes) -> int:
    return data.rindex(b"PK\x01\x02") if b"PK\x01\x02" in data else -1


def corrupt_crc(data: bytes) -> bytes:
    """Flip one byte of the first member's compressed data (the CRC no longer matches)."""
    out = bytearray(data)
    name_len, extra_len = struct.unpack("<HH", out[26:30])
    start = 30 + name_len + extra_len
    out[start + 5] ^= 0x55
    return bytes(out)


def lie_sizes(data: bytes, *, factor: float = 0.5) -> bytes:
    """Shrink every member's declared uncompressed size (local and central headers)."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x03\x04", pos)) >= 0:
        size = struct.unpack("<I", out[pos + 22:pos + 26])[0]
        out[pos + 22:pos + 26] = struct.pack("<I", max(1, int(size * factor)))
        pos += 4
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:
        size = struct.unpack("<I", out[pos + 24:pos + 28])[0]
        out[pos + 24:pos + 28] = struct.pack("<I", max(1, int(size * factor)))
        pos += 4
    return bytes(out)


def set_flags(data: bytes, *, flag: int = 0, method: int | None = None) -> bytes:
    """Set a general-purpose flag bit (1 = encrypted) and/or the compression method in every header."""
    out = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        pos = 0
        while (pos := out.find(sig, pos)) >= 0:
            bits = struct.unpack("<H", out[pos + flag_at:pos + flag_at + 2])[0] | flag
            out[pos + flag_at:pos + flag_at + 2] = struct.pack("<H", bits)
            if method is not None:
                out[pos + method_at:pos + method_at + 2] = struct.pack("<H", method)
            pos += 4
    return bytes(out)


def zip_bomb(*, mb: int = 300) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("grids.shp", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(mb):
                fh.write(block)
        zf.writestr("grids.dbf", b"")
    return buf.getvalue()


# --- XLSX surgery -------------------------------------------------------------------------------------

def rewrite_xlsx(data: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    """Rewrite each member of an XLSX through ``edit(name, bytes)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, edit(info.filename, src.read(info)))
    return buf.getvalue()


def xlsx_with_dtd(*, external: bool) -> bytes:
    entity = ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' if external else
              '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')

    def edit(name: str, body: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            head, rest = body.split(b"?>", 1) if body.startswith(b"<?xml") else (b"", body)
            return (head + b"?>" if head else b"") + entity.encode() + rest
        return body
    return rewrite_xlsx(xlsx_bytes({"Sheet1": points_frame(s.VOLUNTEERS)}), edit)


def xlsx_cells(rows: list[list[str]], *, sheet_name: str = "Sheet1", styles: bytes | None = None,
               extra_sheets: dict[str, list[list[str]]] | None = None) -> bytes:
    """A hand-written XLSX: ``rows`` of raw ``<c>`` inner XML strings (so formulas/styles are exact)."""
    sheets = {sheet_name: rows, **(extra_sheets or {})}
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.'
                      f'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(sheets)))
            + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
              'spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets>'
            + "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(sheets))
            + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships">'
            + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(sheets)))
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": styles or (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}><numFmts count="1"><numFmt numFmtId="164" '
            'formatCode="000000"/></numFmts><fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2">'
            '<xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>').encode(),
    }
    for i, body in enumerate(sheets.values()):
        xml_rows = "".join(f'<row r="{r + 1}">{"".join(cells)}</row>' for r, cells in enumerate(body))
        members[f"xl/worksheets/sheet{i + 1}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{xml_rows}</sheetData></worksheet>')
    return zip_bytes({k: v if isinstance(v, bytes) else v.encode() for k, v in members.items()})


def cell(ref: str, value: str, *, kind: str = "str", style: int | None = None, formula: str | None = None) -> str:
    st = f' s="{style}"' if style is not None else ""
    if formula is not None:
        return f'<c r="{ref}"{st}><f>{formula}</f></c>'
    if kind == "str":
        return f'<c r="{ref}" t="inlineStr"{st}><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"{st}><v>{value}</v></c>'


def volunteer_sheet(*, id_cell: Callable[[int, str], str] | None = None,
                    name_cell: Callable[[int, str], str] | None = None, n: int = 6) -> list[list[str]]:
    """A volunteers sheet (编号, 姓名, 经度, 纬度) with optional hand-made ID or name cells."""
    rows = [[cell("A1", "编号"), cell("B1", "姓名"), cell("C1", "经度"), cell("D1", "纬度")]]
    for i in range(n):
        r = i + 2
        ident = id_cell(r, f"V{i + 1:03d}") if id_cell else cell(f"A{r}", f"V{i + 1:03d}")
        name = name_cell(r, f"志愿者{i + 1}") if name_cell else cell(f"B{r}", f"志愿者{i + 1}")
        rows.append([ident, name, cell(f"C{r}", f"{103.60 + i * 0.001:.4f}", kind="n"),
                     cell(f"D{r}", f"{30.60 + i * 0.001:.4f}", kind="n")])
    return rows


# --- geometry surgery ------------------------------------------------------------------------------

def map_coords(doc: dict, fn: Callable[[list], list], *, only: int | None = None) -> dict:
    """Apply ``fn`` to every [x, y] position of every (or the ``only``-th) feature."""
    doc = json.loads(json.dumps(doc))

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            return fn(c)
        return [walk(x) for x in c]

    for i, feat in enumerate(doc["features"]):
        if only is None or i == only:
            feat["geometry"]["coordinates"] = walk(feat["geometry"]["coordinates"])
    return doc


def spike_polygons(*, n: int, vertices: int, seed: int) -> dict:
    """``n`` overlapping star polygons with ``vertices`` spikes each (the 605 KB ``find_overlaps`` case)."""
    rng = random.Random(seed)
    feats = []
    for k in range(n):
        cx, cy = 104.05 + rng.uniform(0, 0.01), 30.75 + rng.uniform(0, 0.01)
        ring = []
        for j in range(vertices):
            a = 2 * math.pi * j / vertices
            r = 0.01 if j % 2 == 0 else 0.0005 + rng.uniform(0, 0.0005)
            ring.append([round(cx + r * math.cos(a), 7), round(cy + r * math.sin(a), 7)])
        ring.append(ring[0])
        feats.append({"type": "Feature", "properties": {"网格编码": f"51018400100101{k:02d}", "网格名称": f"刺{k}",
                                                         "level": "micro"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": feats}


def nested_json(depth: int) -> bytes:
    return b'{"type":"FeatureCollection","features":[' + b"[" * depth + b"]" * depth + b"]}"


# --- the corpus ------------------------------------------------------------------------------------

def _truncations(name: str, cls: str, option: str, filename: str, data: bytes, rng: random.Random,
                 n: int) -> list[Case]:
    cuts = sorted({0, 1, len(data) - 1, *(rng.randrange(1, max(len(data) - 1, 2)) for _ in range(n - 3))})
    return [Case(f"{name}-cut{c}", cls, import_file(option, filename, data[:c])) for c in cuts]


def _garbage(name: str, cls: str, option: str, filename: str, rng: random.Random, n: int) -> list[Case]:
    out = []
    for k in range(n):
        size = rng.choice((1, 7, 64, 512, 4096))
        blob = bytes(rng.randrange(256) for _ in range(size))
        out.append(Case(f"{name}-garbage{k}", cls, import_file(option, filename, blob)))
    return out


def coordinate_cases(rng: random.Random) -> list[Case]:
    cases = []
    huge = (1e9, 1e12, 1e15, 1e300, -1e9, 1e308 * 10)
    for layer, option in POLYGON_OPTIONS.items():
        doc = geojson_doc(layer)
        cases.append(Case(f"swapped-all-{layer}", "coords_swapped",
                          import_file(option, "s.geojson", dump(map_coords(doc, lambda c: [c[1], c[0]])))))
        cases.append(Case(f"swapped-one-{layer}", "coords_swapped",
                          import_file(option, "s.geojson", dump(map_coords(doc, lambda c: [c[1], c[0]], only=0)))))
        for v in huge:
            text = dump(map_coords(doc, lambda c, v=v: [c[0] * 0 + v, c[1]], only=0)).replace(b"Infinity", b"1e999")
            cases.append(Case(f"huge-{v:g}-{layer}", "coords_huge", import_file(option, "h.geojson", text)))
            cases.append(Case(f"huge-{v:g}-{layer}-projected", "coords_huge",
                              import_file(option, "h.geojson", text.replace(b'"type": "FeatureCollection"',
                                          b'"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                                          b'{"name": "EPSG:4544"}}'))))
        for token in (b"1e999", b"-1e999", b"NaN", b"Infinity"):
            text = dump(map_coords(doc, lambda c: [123456.789, c[1]], only=1)).replace(b"123456.789", token)
            cases.append(Case(f"inf-{token.decode()}-{layer}", "coords_infinite", import_file(option, "i.geojson", text)))
        jitter = map_coords(doc, lambda c: [c[0] + rng.uniform(-200, 200), c[1] + rng.uniform(-200, 200)], only=2)
        cases.append(Case(f"jitter-{layer}", "coords_huge", import_file(option, "j.geojson", dump(jitter))))
    for layer in (s.VOLUNTEERS, s.SERVICE_POINTS):
        df = points_frame(layer)
        for label, lon, lat in (("swapped", "30.6", "103.6"), ("inf", "inf", "30.6"), ("nan", "nan", "nan"),
                                ("huge", "1e300", "1e300"), ("projected", "372486", "3390000"),
                                ("negzero", "-0", "-0"), ("text", "东经103", "北纬30")):
            bad = df.copy()
            bad.loc[0, "经度"], bad.loc[0, "纬度"] = lon, lat
            cases.append(Case(f"points-{label}-{layer}", f"coords_{label}",
                              import_file(option_for(layer), "p.csv", bad.to_csv(index=False).encode())))
        for crs in ("EPSG:4544", "EPSG:3857"):
            cases.append(Case(f"points-projected-crs-{crs}-{layer}", "coords_huge",
                              import_file(option_for(layer), "p.csv", df.to_csv(index=False).encode(), "--crs", crs)))
    return cases


def geojson_cases(rng: random.Random) -> list[Case]:
    cases = []
    grids = geojson_bytes(s.GRIDS)
    cases += _truncations("geojson", "geojson_truncated", "--grids", "g.geojson", grids, rng, 24)
    cases += _garbage("geojson", "geojson_garbage", "--grids", "g.geojson", rng, 6)
    bodies = {
        "empty": b"", "spaces": b"  \n\t ", "null": b"null", "list": b"[]", "object": b"{}", "string": b'"x"',
        "number": b"1", "fc-null": b'{"type":"FeatureCollection","features":null}',
        "fc-dict": b'{"type":"FeatureCollection","features":{}}',
        "fc-strings": b'{"type":"FeatureCollection","features":["a",1,null]}',
        "feature-no-geom": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{}}]}',
        "geom-string": b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":"x"}]}',
        "coords-string": (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                          b'"geometry":{"type":"Polygon","coordinates":"abc"}}]}'),
        "coords-flat": (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                        b'"geometry":{"type":"Polygon","coordinates":[1,2,3]}}]}'),
        "ring-2pts": (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"a",'
                      b'"name":"a","level":"micro"},"geometry":{"type":"Polygon","coordinates":[[[104,30],[104,31]]]}}]}'),
        "props-list": (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":[1,2],'
                       b'"geometry":{"type":"Point","coordinates":[104,30]}}]}'),
        "utf16": json.dumps(geojson_doc(s.GRIDS)).encode("utf-16"),
        "latin1": dump(geojson_doc(s.GRIDS)).decode("utf-8").encode("gb18030"),
        "bom": b"\xef\xbb\xbf" + grids,
        "nul-bytes": grids[:200] + b"\x00" * 50 + grids[200:],
        "dup-keys": b'{"type":"FeatureCollection","type":"Topology","features":[]}',
        "big-props": dump({"type": "FeatureCollection", "features": [
            {**f, "properties": {**f["properties"], **{f"p{i}": i for i in range(300)}}}
            for f in geojson_doc(s.GRIDS)["features"][:3]]}),
    }
    for name, body in bodies.items():
        cases.append(Case(f"geojson-{name}", "geojson_malformed", import_file("--grids", "g.geojson", body)))
    for depth in (65, 200, 1000, 5000):
        cases.append(Case(f"deep-json-{depth}", "json_deep", import_file("--grids", "d.geojson", nested_json(depth))))
    cases.append(Case("deep-json-200000", "json_deep", import_file("--grids", "d.geojson", nested_json(200_000)),
                      isolate=True))
    props_deep = (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":' + b"[" * 3000
                  + b"]" * 3000 + b'},"geometry":{"type":"Point","coordinates":[104,30]}}]}')
    cases.append(Case("deep-json-props", "json_deep", import_file("--volunteers", "d.geojson", props_deep)))
    # features with an unknown geometry type: 20 in, all 20 accounted for
    doc = geojson_doc(s.GRIDS)
    for k, kind in enumerate(("Bogus", "Circle", "polygon", "", "Topology")):
        bad = json.loads(json.dumps(doc))
        bad["features"][k]["geometry"]["type"] = kind
        cases.append(Case(f"unknown-type-{kind or 'blank'}", "feature_type_unknown",
                          import_file("--grids", "t.geojson", dump(bad)), mention=("unknown geometry type",)))
    # codes and text that must survive exactly
    long_code = dump(doc).replace(b'"510184001001"', b'510184001001000000001', 1)
    cases.append(Case("long-int-code", "codes_as_text", import_file("--communities", "c.geojson", long_code),
                      mention=("exactly",)))
    nul = json.loads(json.dumps(geojson_doc(s.COMMUNITIES)))
    nul["features"][0]["properties"]["name"] = "前\u0000后"
    cases.append(Case("nul-in-name", "control_chars", import_file("--communities", "c.geojson", dump(nul)),
                      mention=("control characters",)))
    for k, name in enumerate(HOSTILE_NAMES):
        hostile = json.loads(json.dumps(geojson_doc(s.GRIDS)))
        hostile["features"][k]["properties"]["name"] = name
        cases.append(Case(f"hostile-name-{k}", "names_hostile", import_file("--grids", "g.geojson", dump(hostile))))
    return cases


def kml_cases(rng: random.Random) -> list[Case]:
    cases = []
    kml = kml_bytes(s.COMMUNITIES)
    cases += _truncations("kml", "kml_truncated", "--communities", "c.kml", kml, rng, 24)
    cases += _garbage("kml", "kml_garbage", "--communities", "c.kml", rng, 4)
    bodies = {
        "empty": b"", "not-xml": b"hello", "html": b"<html><body>404</body></html>",
        "no-placemarks": b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>',
        "bad-coords": (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
                       b'<name>a</name><Polygon><outerBoundaryIs><LinearRing><coordinates>x,y z</coordinates>'
                       b'</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>'),
        "billion-laughs": (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
                           b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><kml><Document>'
                           b'<name>&c;</name></Document></kml>'),
        "external-entity": (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                            b'<kml><Document><name>&e;</name></Document></kml>'),
        "gbk-declared-utf8": kml.decode("utf-8").encode("gb18030", errors="replace"),
        "nul": kml[:100] + b"\x00" + kml[100:],
    }
    for name, body in bodies.items():
        cases.append(Case(f"kml-{name}", "kml_malformed", import_file("--communities", "c.kml", body)))
    return cases


def zip_cases(rng: random.Random) -> list[Case]:
    cases = []
    good = shp_zip(s.GRIDS)
    cases += _truncations("zip", "zip_truncated", "--grids", "g.zip", good, rng, 20)
    cases += _garbage("zip", "zip_garbage", "--grids", "g.zip", rng, 4)
    variants = {
        "bad-crc": corrupt_crc(good),
        "lying-sizes": lie_sizes(good),
        "lying-sizes-bigger": lie_sizes(good, factor=3.0),
        "encrypted": set_flags(good, flag=0x1),
        "deflate64": set_flags(good, method=9),
        "ppmd": set_flags(good, method=98),
        "stored": shp_zip(s.GRIDS, method=zipfile.ZIP_STORED),
        "bzip2": shp_zip(s.GRIDS, method=zipfile.ZIP_BZIP2),
        "empty-zip": zip_bytes({}),
        "no-shp": zip_bytes({"readme.txt": b"hi"}),
        "two-shp": zip_bytes({**{f"a{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                              **{f"b{k}": v for k, v in shapefile_parts(s.GRIDS).items()}}),
        "unsafe-path": zip_bytes({f"../../evil{k}": v for k, v in shapefile_parts(s.GRIDS).items()}),
        "absolute-path": zip_bytes({f"/tmp/evil{k}": v for k, v in shapefile_parts(s.GRIDS).items()}),
        "shp-only": zip_bytes({"grids.shp": shapefile_parts(s.GRIDS)[".shp"]}),
        "no-dbf": zip_bytes({f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items() if k != ".dbf"}),
        "garbage-dbf": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                                  "grids.dbf": b"\x03" + bytes(rng.randrange(256) for _ in range(300))}),
        "garbage-shp": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                                  "grids.shp": bytes(rng.randrange(256) for _ in range(300))}),
        "bad-prj": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                              "grids.prj": b'PROJCS["nonsense",GEOGCS["x"]]'}),
        "unknown-authority-prj": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                                            "grids.prj": b'GEOGCS["X",AUTHORITY["FOO","1234"]]'}),
        "cpg-lies": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS, "GBK").items()},
                               "grids.cpg": b"UTF-8"}),
        "cpg-unknown": zip_bytes({**{f"grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()},
                                  "grids.cpg": b"KLINGON-8"}),
        "nested-zip": zip_bytes({"inner.zip": good}),
        "macosx-only": zip_bytes({f"__MACOSX/grids{k}": v for k, v in shapefile_parts(s.GRIDS).items()}),
    }
    for name, body in variants.items():
        cases.append(Case(f"zip-{name}", f"zip_{name.replace('-', '_')}", import_file("--grids", "g.zip", body)))
    cases.append(Case("zip-bomb", "zip_bomb", import_file("--grids", "g.zip", lambda: zip_bomb(mb=300)), isolate=True))
    cases.append(Case("zip-bomb-lying", "zip_bomb", import_file("--grids", "g.zip", lambda: lie_sizes(zip_bomb(mb=300), factor=0.0001)),
                      isolate=True))
    # a loose Shapefile next to its sidecars
    for name, parts in (("loose-ok", shapefile_parts(s.GRIDS)),
                        ("loose-no-shx", {k: v for k, v in shapefile_parts(s.GRIDS).items() if k != ".shx"}),
                        ("loose-truncated", {**shapefile_parts(s.GRIDS), ".shp": shapefile_parts(s.GRIDS)[".shp"][:90]}),
                        ("loose-cpg-lies", {**shapefile_parts(s.GRIDS, "GBK"), ".cpg": b"UTF-8"})):
        def build(folder: Path, parts=parts) -> list[str]:
            for suffix, data in parts.items():
                (folder / f"grids{suffix}").write_bytes(data)
            return import_argv(folder, "--grids", folder / "grids.shp")
        cases.append(Case(f"shp-{name}", "shapefile_malformed", build))
    return cases


def xlsx_cases(rng: random.Random) -> list[Case]:
    cases = []
    good = xlsx_bytes({"Sheet1": points_frame(s.VOLUNTEERS)})
    cases += _truncations("xlsx", "xlsx_truncated", "--volunteers", "v.xlsx", good, rng, 20)
    cases += _garbage("xlsx", "xlsx_garbage", "--volunteers", "v.xlsx", rng, 4)
    cases.append(Case("xlsx-dtd-external", "xlsx_dtd", import_file("--volunteers", "v.xlsx", xlsx_with_dtd(external=True))))
    cases.append(Case("xlsx-dtd-laughs", "xlsx_dtd", import_file("--volunteers", "v.xlsx", xlsx_with_dtd(external=False))))
    cases.append(Case("xlsx-bad-crc", "zip_bad_crc", import_file("--volunteers", "v.xlsx", corrupt_crc(good))))
    cases.append(Case("xlsx-encrypted-flag", "zip_encrypted", import_file("--volunteers", "v.xlsx",
                                                                        set_flags(good, flag=0x1))))
    cases.append(Case("xlsx-deflate64", "zip_deflate64", import_file("--volunteers", "v.xlsx", set_flags(good, method=9))))
    cases.append(Case("xlsx-empty-workbook", "xlsx_malformed", import_file("--volunteers", "v.xlsx",
                                                                         xlsx_bytes({"Sheet1": pd.DataFrame()}))))
    cases.append(Case("xlsx-header-only", "xlsx_malformed", import_file(
        "--volunteers", "v.xlsx", xlsx_bytes({"Sheet1": points_frame(s.VOLUNTEERS).head(0)}))))
    cases.append(Case("xlsx-formula-no-value", "xlsx_formula", import_file("--volunteers", "v.xlsx", xlsx_cells(
        volunteer_sheet(name_cell=lambda r, v: cell(f"B{r}", "", formula=f'CONCAT("志愿者",{r})') if r == 3
                        else cell(f"B{r}", v)))), mention=("Sheet1!B3",)))
    cases.append(Case("xlsx-ids-000001", "codes_as_text", import_file("--volunteers", "v.xlsx", xlsx_cells(
        volunteer_sheet(id_cell=lambda r, v: cell(f"A{r}", str(r - 1), kind="n", style=1)))), mention=("Sheet1!A2",)))
    cases.append(Case("xlsx-ids-21-digits", "codes_as_text", import_file("--volunteers", "v.xlsx", xlsx_cells(
        volunteer_sheet(id_cell=lambda r, v: cell(f"A{r}", f"1.23456789012345{r}E+20", kind="n")))),
                      mention=("15 digits",)))
    cases.append(Case("xlsx-second-sheet", "xlsx_second_sheet", import_file("--volunteers", "v.xlsx", xlsx_bytes(
        {"花名册": points_frame(s.VOLUNTEERS).head(3), "第二批": points_frame(s.VOLUNTEERS).tail(3)})),
                      mention=("第二批",)))
    cases.append(Case("xlsx-control-chars", "control_chars", import_file("--volunteers", "v.xlsx", xlsx_cells(
        volunteer_sheet(name_cell=lambda r, v: cell(f"B{r}", f"{v}&#x1;&#x7;" if r == 2 else v)))),
                      mention=("control characters",)))
    wide = pd.DataFrame([[str(i) for i in range(1200)]], columns=[f"c{i}" for i in range(1200)])
    cases.append(Case("xlsx-1200-columns", "columns_many", import_file("--volunteers", "v.xlsx", xlsx_bytes({"S": wide}))))
    for k, name in enumerate(HOSTILE_NAMES[:6]):
        df = points_frame(s.VOLUNTEERS)
        df.loc[0, s.NAME] = name.replace("\x00", "")
        try:
            body = xlsx_bytes({"Sheet1": df})
        except Exception:  # noqa: BLE001 - openpyxl refuses some control characters itself
            continue
        cases.append(Case(f"xlsx-hostile-{k}", "names_hostile", import_file("--volunteers", "v.xlsx", body)))
    return cases


def csv_cases(rng: random.Random) -> list[Case]:
    cases = []
    good = csv_bytes()
    cases += _truncations("csv", "csv_truncated", "--volunteers", "v.csv", good, rng, 16)
    cases += _garbage("csv", "csv_garbage", "--volunteers", "v.csv", rng, 6)
    text = good.decode("utf-8")
    bodies = {
        "empty": b"", "header-only": good.split(b"\n")[0] + b"\n", "blank-lines": b"\n\n\n",
        "bom-gbk": b"\xef\xbb\xbf" + text.encode("gbk"),
        "bom-only": b"\xef\xbb\xbf",
        "utf16": text.encode("utf-16"),
        "nul": good.replace(b"\n", b"\x00\n", 3),
        "control": text.replace("张000", "张\x07000\x1b", 1).encode(),
        "unclosed-quote": b'\xe7\xbc\x96\xe5\x8f\xb7,name\n"V001,abc\n',
        "semicolons": text.replace(",", ";").encode(),
        "ragged": good + b"a,b,c,d,e,f,g,h,i,j,k,l\n",
        "5000-columns": (",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" for _ in range(5000))
                         + "\n").encode(),
        "huge-cell": good.split(b"\n")[0] + b"\n" + b"x" * 2_000_000 + b"\n",
        "crlf-cr": good.replace(b"\n", b"\r"),
        "formula-injection": text.replace("张000", "=HYPERLINK(\"http://x\")", 1).encode(),
        "dollar": text.replace("张000", "$\\frac{a}{b}$", 1).encode(),
    }
    for name, body in bodies.items():
        cases.append(Case(f"csv-{name}", f"csv_{name.replace('-', '_')}", import_file("--volunteers", "v.csv", body),
                          mention=("control characters",) if name in ("nul", "control") else ()))
    rows = good.split(b"\n")[0] + b"\n" + b"".join(b"V%d,n,103.6,30.6\n" % i for i in range(50))
    cases.append(Case("csv-rows-over-cap", "rows_many", import_file("--volunteers", "v.csv", rows),
                      env={"GRIDATLAS_MAX_ROWS": "20"}))
    cases.append(Case("csv-64mb", "size_cap", import_file("--volunteers", "v.csv", lambda: good * (64_000_000 // len(good))),
                      isolate=True))
    for crs in ("FOO:1234", "EPSG:999999", "urn:ogc:def:crs:FOO::1", "+proj=nonsense", "", "wgs84;drop table"):
        cases.append(Case(f"crs-unknown-{crs or 'blank'}", "crs_unknown",
                          import_file("--volunteers", "v.csv", good, "--crs", crs)))
    for crs in ("urn:ogc:def:crs:FOO::1", "EPSG:999999", "nonsense"):
        doc = geojson_doc(s.COMMUNITIES)
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
        cases.append(Case(f"geojson-crs-unknown-{crs}", "crs_unknown", import_file("--communities", "c.geojson", dump(doc))))
    return cases


def path_cases() -> list[Case]:
    cases = []

    def directory(folder: Path) -> list[str]:
        (folder / "d.geojson").mkdir()
        return import_argv(folder, "--grids", folder / "d.geojson")

    def unreadable(folder: Path) -> list[str]:
        path = folder / "u.geojson"
        path.write_bytes(geojson_bytes(s.GRIDS))
        path.chmod(0)
        return import_argv(folder, "--grids", path)

    def fifo(suffix: str) -> Callable[[Path], list[str]]:
        def build(folder: Path) -> list[str]:
            path = folder / f"f{suffix}"
            os.mkfifo(path)
            return import_argv(folder, "--volunteers" if suffix in (".csv", ".xlsx") else "--grids", path)
        return build

    def device(target: str, suffix: str) -> Callable[[Path], list[str]]:
        def build(folder: Path) -> list[str]:
            path = folder / f"dev{suffix}"
            path.symlink_to(target)
            return import_argv(folder, "--volunteers" if suffix in (".csv", ".xlsx") else "--grids", path)
        return build

    def sparse(suffix: str, mb: int) -> Callable[[Path], list[str]]:
        def build(folder: Path) -> list[str]:
            path = folder / f"big{suffix}"
            with open(path, "wb") as fh:
                fh.truncate(mb * 1_000_000)
            return import_argv(folder, "--volunteers" if suffix in (".csv", ".xlsx") else "--grids", path)
        return build

    def out_under_file(folder: Path) -> list[str]:
        (folder / "afile").write_text("x")
        (folder / "g.geojson").write_bytes(geojson_bytes(s.GRIDS))
        return ["--lang", "en", "import", "--grids", str(folder / "g.geojson"), "--crs", "wgs84",
                "--out", str(folder / "afile" / "p.gpkg")]

    def out_read_only(folder: Path) -> list[str]:
        ro = folder / "ro"
        ro.mkdir()
        (folder / "g.geojson").write_bytes(geojson_bytes(s.GRIDS))
        ro.chmod(0o555)
        return ["--lang", "en", "import", "--grids", str(folder / "g.geojson"), "--crs", "wgs84",
                "--out", str(ro / "p.gpkg")]

    def out_is_dir(folder: Path) -> list[str]:
        (folder / "g.geojson").write_bytes(geojson_bytes(s.GRIDS))
        (folder / "p.gpkg").mkdir()
        return ["--lang", "en", "import", "--grids", str(folder / "g.geojson"), "--crs", "wgs84",
                "--out", str(folder / "p.gpkg")]

    def report_under_file(folder: Path) -> list[str]:
        (folder / "afile").write_text("x")
        (folder / "g.geojson").write_bytes(geojson_bytes(s.GRIDS))
        return ["--lang", "en", "import", "--grids", str(folder / "g.geojson"), "--crs", "wgs84",
                "--out", str(folder / "p.gpkg"), "--report", str(folder / "afile" / "r.csv")]

    def missing(folder: Path) -> list[str]:
        return import_argv(folder, "--grids", folder / "nope.geojson")

    def unknown_suffix(folder: Path) -> list[str]:
        (folder / "g.dwg").write_bytes(b"AC1032")
        return import_argv(folder, "--grids", folder / "g.dwg")

    cases += [Case("input-directory", "input_directory", directory), Case("input-unreadable", "input_unreadable", unreadable),
              Case("input-missing", "input_missing", missing), Case("input-unknown-suffix", "input_unknown", unknown_suffix),
              Case("out-under-file", "out_under_file", out_under_file, then_check=False),
              Case("out-read-only", "out_read_only", out_read_only, then_check=False),
              Case("out-is-dir", "out_is_dir", out_is_dir, then_check=False),
              Case("report-under-file", "out_under_file", report_under_file, then_check=False)]
    for suffix in (".geojson", ".csv", ".kml", ".zip", ".xlsx", ".gpkg", ".shp"):
        cases.append(Case(f"fifo{suffix}", "input_fifo", fifo(suffix), isolate=True))
    for target, suffix in (("/dev/zero", ".csv"), ("/dev/zero", ".geojson"), ("/dev/urandom", ".kml"),
                           ("/dev/null", ".geojson"), ("/dev/zero", ".gpkg")):
        cases.append(Case(f"device{target.replace('/', '-')}{suffix}", "input_device", device(target, suffix),
                          isolate=True))
    cases.append(Case("dev-zero-direct", "input_device",
                      lambda folder: import_argv(folder, "--grids", "/dev/zero"), isolate=True))
    for suffix, mb in ((".geojson", 300), (".csv", 100), (".kml", 300), (".gpkg", 300)):
        cases.append(Case(f"sparse{suffix}", "size_cap", sparse(suffix, mb), isolate=True))
    return cases


def gpkg_cases(rng: random.Random) -> list[Case]:
    good = gpkg_bytes(s.GRIDS)
    cases = _truncations("gpkg", "gpkg_truncated", "--grids", "g.gpkg", good, rng, 12)
    cases += _garbage("gpkg", "gpkg_garbage", "--grids", "g.gpkg", rng, 3)
    flipped = bytearray(good)
    for _ in range(40):
        flipped[rng.randrange(100, len(flipped))] = rng.randrange(256)
    cases.append(Case("gpkg-bitflips", "gpkg_malformed", import_file("--grids", "g.gpkg", bytes(flipped))))
    return cases


def check_cases(rng: random.Random) -> list[Case]:
    """``check`` pointed at things that are not projects."""
    cases = []
    for name, filename, body in (("geojson", "x.gpkg", geojson_bytes(s.GRIDS)), ("empty", "x.gpkg", b""),
                                 ("garbage", "x.gpkg", bytes(rng.randrange(256) for _ in range(2048))),
                                 ("plain-gpkg", "x.gpkg", gpkg_bytes(s.GRIDS)),
                                 ("truncated", "x.gpkg", gpkg_bytes(s.GRIDS)[:5000])):
        def build(folder: Path, filename=filename, body=body) -> list[str]:
            (folder / filename).write_bytes(body)
            return ["--lang", "en", "check", str(folder / filename)]
        cases.append(Case(f"check-{name}", "check_not_project", build))
    cases.append(Case("check-directory", "input_directory",
                      lambda folder: ["--lang", "en", "check", str(folder)]))
    return cases


def spike_cases() -> list[Case]:
    cases = []
    for n, vertices in ((60, 600), (120, 400)):
        cases.append(Case(f"spikes-{n}x{vertices}", "topology_spikes", import_file(
            "--grids", "spikes.geojson", lambda n=n, v=vertices: dump(spike_polygons(n=n, vertices=v, seed=SEED))),
            isolate=True))
    return cases


def export_print_cases() -> list[Case]:
    """Hostile names through import, then export and print (they must not crash; escaping is tested elsewhere)."""
    cases = []
    for k, name in enumerate(HOSTILE_NAMES):
        for what in ("print", "xlsx", "csv", "geojson"):
            def build(folder: Path, name=name, what=what) -> list[str]:
                from cli.main import main

                towns = json.loads(json.dumps(geojson_doc(s.TOWNS)))
                communities = json.loads(json.dumps(geojson_doc(s.COMMUNITIES)))
                grids = json.loads(json.dumps(geojson_doc(s.GRIDS)))
                for doc in (towns, communities, grids):
                    doc["features"][0]["properties"]["name"] = name
                paths = {}
                for layer, doc in ((s.TOWNS, towns), (s.COMMUNITIES, communities), (s.GRIDS, grids)):
                    paths[layer] = folder / f"{layer}.geojson"
                    paths[layer].write_bytes(dump(doc))
                project = folder / "p.gpkg"
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    main(["import", "--towns", str(paths[s.TOWNS]), "--communities", str(paths[s.COMMUNITIES]),
                          "--grids", str(paths[s.GRIDS]), "--crs", "wgs84", "--out", str(project)])
                if what == "print":
                    code = grids["features"][0]["properties"]["code"]
                    return ["--lang", "en", "print", str(project), "--unit", code, "--title", name,
                            "--out", str(folder / "page.png"), "--dpi", "40"]
                return ["--lang", "en", "export", str(project), "--format", what, "--out", str(folder / f"e.{what}")]
            cases.append(Case(f"out-{what}-hostile-{k}", "names_hostile_output", build, then_check=False))
    return cases


def corpus() -> list[Case]:
    """Every case, in a stable order (same seed, same cases, same bytes)."""
    rng = random.Random(SEED)
    cases = [*coordinate_cases(rng), *geojson_cases(rng), *kml_cases(rng), *zip_cases(rng), *xlsx_cases(rng),
             *csv_cases(rng), *gpkg_cases(rng), *path_cases(), *check_cases(rng), *spike_cases(),
             *export_print_cases()]
    cases += seed_cases()
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def seed_cases() -> list[Case]:
    """The few tiny committed seeds (files a real office sent that broke a reader once)."""
    out = []
    for path in sorted(SEEDS.glob("*")) if SEEDS.exists() else []:
        option = {".csv": "--volunteers", ".xlsx": "--volunteers"}.get(path.suffix, "--grids")
        out.append(Case(f"seed-{path.name}", "seed", import_file(option, path.name, path.read_bytes())))
    return out
