"""Import wizard: upload files, declare CRS and layer per file, map columns, check, save the project."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema as s
from geo.errors import GeoInputError
from geo.messages import t
from geo.io import build_project
from geo.project import save_project
from layers.web import PointSpec, PolygonSpec, layered_map
from ui import state
from ui.cached import cached_headers, cached_import
from ui.i18n import show_error, tr
from ui.safe import plain

SKIP = ""
TARGETS = (SKIP, s.TOWNS, s.COMMUNITIES, s.GRIDS, s.VOLUNTEERS, s.SERVICE_POINTS, s.HOUSEHOLDS)
CRS_CHOICES = ("file", "wgs84", "cgcs2000", "gcj02", "bd09", "epsg")
CHECKED = "import_checked"  # bool: the user pressed "check" for the current files
PENDING_PROJECT = "pending_project_path"  # applied to the sidebar before its widget is drawn (app.py)
_GUESS = {"town": s.TOWNS, "镇": s.TOWNS, "街道": s.TOWNS, "communit": s.COMMUNITIES, "社区": s.COMMUNITIES,
          "村": s.COMMUNITIES, "grid": s.GRIDS, "网格": s.GRIDS, "volunteer": s.VOLUNTEERS, "志愿": s.VOLUNTEERS,
          "人员": s.VOLUNTEERS, "point": s.SERVICE_POINTS, "服务点": s.SERVICE_POINTS, "站点": s.SERVICE_POINTS,
          "household": s.HOUSEHOLDS, "户": s.HOUSEHOLDS, "楼": s.HOUSEHOLDS}
_CRS_LABEL = {"file": "ui.import.crs_from_file", "wgs84": "ui.import.crs_wgs84", "cgcs2000": "ui.import.crs_cgcs2000",
              "gcj02": "ui.import.crs_gcj02", "bd09": "ui.import.crs_bd09", "epsg": "ui.import.crs_other"}


def target_label(layer: str) -> str:
    """Layer choice label, or "skip"."""
    return tr("ui.import.layer_skip") if layer == SKIP else tr(f"layer.{layer}")


def _catalogue() -> dict:
    from geo.messages import CATALOGUE

    return CATALOGUE


def crs_label(choice: str) -> str:
    """CRS choice label."""
    return tr(_CRS_LABEL[choice])


def column_label(column: str) -> str:
    """Schema column label (``col.<name>`` in the catalogue when present)."""
    if column == SKIP:
        return tr("ui.import.ignore_column")
    key = f"col.{column}"
    return f"{t(key, state.lang())} ({column})" if key in _catalogue() else column


def _guess(filename: str) -> str:
    lower = filename.lower()
    return next((layer for hint, layer in _GUESS.items() if hint in lower), SKIP)


def _declare(i: int, upload) -> tuple[str, str | None]:
    """Widgets for one file: target layer and CRS declaration."""
    c1, c2, c3 = st.columns([2, 2, 1])
    key_layer = f"import_layer_{i}"
    st.session_state.setdefault(key_layer, _guess(upload.name))
    layer = c1.selectbox(tr("ui.import.layer_for", file=upload.name), TARGETS, key=key_layer,
                         format_func=target_label)
    choice = c2.selectbox(tr("ui.import.crs_for", file=upload.name), CRS_CHOICES, key=f"import_crs_{i}",
                          format_func=crs_label)
    crs = None if choice == "file" else choice
    if choice == "epsg":
        code = c3.text_input(tr("ui.import.epsg_for", file=upload.name), key=f"import_epsg_{i}",
                             placeholder="EPSG:4544")
        crs = code.strip() or None
    return layer, crs


def _columns(i: int, upload, layer: str) -> tuple[tuple[str, str], ...]:
    """Widgets mapping the file's unrecognised headers to schema columns."""
    from geo.tables import recognise_columns

    try:
        headers = cached_headers(upload.getvalue(), upload.name, layer)
        found = recognise_columns(headers, layer, file=upload.name)
    except GeoInputError as exc:
        show_error(exc)
        return ()
    schema_cols = sorted({*s.REQUIRED.get(layer, ()), s.CODE, s.NAME, s.TOWN_CODE, s.COMMUNITY_CODE, s.PARENT_CODE,
                          s.LEVEL, s.KIND, s.HOUSEHOLDS_N, s.PHONE, s.ADDRESS, s.TIER, s.CAPACITY, s.POINT_TYPE,
                          s.CATEGORY, "lon", "lat"} - set(found.renames.values()))
    mapping = []
    for j, header in enumerate(found.unrecognised):
        target = st.selectbox(plain(tr("ui.import.map_column", file=upload.name, column=header)), (SKIP, *schema_cols),
                              key=f"import_map_{i}_{j}", format_func=column_label)
        if target:
            mapping.append((header, target))
    return tuple(mapping)


def _problem_map(layers: dict[str, gpd.GeoDataFrame], findings: gpd.GeoDataFrame) -> None:
    specs = [PolygonSpec(gdf, name=name, line_color="#555555", weight=1, fill=False, interactive=False)
             for name, gdf in layers.items() if name in (s.TOWNS, s.COMMUNITIES, s.GRIDS)]
    spots = findings[findings.geometry.notna() & ~findings.geometry.is_empty]
    if len(spots):
        from geo.validate import finding_text

        pts = gpd.GeoDataFrame({"message": [finding_text(r, state.lang(), front="web") for _, r in spots.iterrows()]},
                               geometry=spots.geometry.representative_point().to_numpy(), crs=s.STORAGE_CRS)
        specs.append(PointSpec(pts, name="problems", radius_px=6, default_color="#e31a1c",
                               fields={"message": tr("ui.import.col.problem")}))
    frames = [g for g in layers.values() if len(g)]
    if not frames:
        return
    bounds = gpd.GeoSeries(gpd.pd.concat([f.geometry.to_crs(s.STORAGE_CRS) for f in frames]),
                           crs=s.STORAGE_CRS).total_bounds
    m = layered_map(specs, bounds=bounds)
    st_folium(m, key="import_map", height=420, width="stretch", returned_objects=[])


def _check(uploads, plans) -> tuple[dict, dict, gpd.GeoDataFrame] | None:
    from geo.validate import check_layers

    layers, loaded = {}, {}
    bar = st.progress(0.0)
    for n, (upload, (layer, crs, mapping)) in enumerate(zip(uploads, plans)):
        bar.progress(n / max(len(uploads), 1), text=tr("ui.import.reading", file=upload.name))
        if layer == SKIP:
            continue
        try:
            result = cached_import(upload.getvalue(), upload.name, layer, crs, mapping)
        except GeoInputError as exc:
            bar.empty()
            show_error(exc)
            return None
        layers[layer] = result.gdf
        loaded[layer] = result
    bar.progress(1.0, text=tr("ui.import.checking"))
    if not any(name in layers for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS)):
        bar.empty()
        st.error(tr("ui.import.need_boundaries"))
        return None
    findings = check_layers(layers, files={k: v.file for k, v in loaded.items()})
    bar.empty()
    return layers, loaded, findings


def _report(findings: gpd.GeoDataFrame) -> None:
    from geo.validate import findings_table, has_errors

    st.subheader(tr("ui.import.report"))
    if len(findings) == 0:
        st.success(tr("ui.import.ok"))
        return
    (st.error if has_errors(findings) else st.warning)(tr("ui.import.problems", n=len(findings)))
    st.dataframe(findings_table(findings, state.lang(), front="web"), hide_index=True, width="stretch", height=260)


def _save(loaded: dict, findings: gpd.GeoDataFrame) -> None:
    from geo.validate import has_errors

    st.subheader(tr("ui.import.step_save"))
    path = st.text_input(tr("ui.import.save_to"), value="build/project.gpkg", key="import_save_path")
    risky = has_errors(findings)
    label = tr("ui.import.save_anyway") if risky else tr("ui.import.save")
    if not st.button(label, type="secondary" if risky else "primary", key="import_save"):
        return
    user = str(st.session_state.get(state.USER_NAME) or "").strip()
    project = build_project(loaded, user=user)
    try:
        saved = save_project(project, Path(path), user=user)
    except GeoInputError as exc:
        show_error(exc)
        return
    st.session_state[PENDING_PROJECT] = str(path)
    st.success(plain(tr("ui.import.saved", file=path, revision=saved.revision)))


st.title(tr("ui.import.title"))
st.caption(tr("ui.import.intro"))
st.subheader(tr("ui.import.step_upload"))
uploads = st.file_uploader(tr("ui.import.files"), accept_multiple_files=True, key="import_files",
                           type=["geojson", "json", "gpkg", "zip", "kml", "csv", "txt", "xlsx"])
if not uploads:
    st.stop()
st.subheader(tr("ui.import.step_crs"))
declared = [_declare(i, up) for i, up in enumerate(uploads)]
st.subheader(tr("ui.import.step_columns"))
plans = [(layer, crs, _columns(i, up, layer) if layer != SKIP else ()) for i, (up, (layer, crs))
         in enumerate(zip(uploads, declared))]
st.subheader(tr("ui.import.step_check"))
if st.button(tr("ui.import.check"), type="primary", key="import_check"):
    st.session_state[CHECKED] = True
if st.session_state.get(CHECKED):
    outcome = _check(uploads, plans)
    if outcome is not None:
        layers_, loaded_, findings_ = outcome
        for name, result in loaded_.items():
            st.caption(plain(tr("ui.import.rows", file=result.file, n=len(result.gdf))))
        _report(findings_)
        _problem_map(layers_, findings_)
        _save(loaded_, findings_)
