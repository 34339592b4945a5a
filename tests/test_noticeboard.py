"""The notice board (公示牌): consented work phones in full, others masked, 四至, chain, supervision phone, QR."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import segno
import shapely

from geo import schema as s
from geo.noticeboard import boundary_description, notice_chain, qr_modules, qr_payload
from geo.printdata import notice_data
from geo.privacy import has_consent, notice_phone
from layers import atlas
from layers import print as lp
from tests.test_buildings import _kit_with_roster
from tests.app_login import signed_in

GRID = "5101970010010103"  # 望江社区第1网格3号微网格
LEADER, WORKER = "张飞志", "雷倩怡"  # its 兼职网格员 and its general grid's 专职网格员 (roster)


def _with_consent(project, names, *, work_phone=None):
    vols = project.layer(s.VOLUNTEERS).copy()
    vols[s.PHONE_CONSENT] = vols[s.NAME].isin(names)
    if work_phone:
        vols[s.WORK_PHONE] = None
        vols.loc[vols[s.NAME] == work_phone[0], s.WORK_PHONE] = work_phone[1]
    return project.with_layer(s.VOLUNTEERS, vols)


def _phone(project, name):
    vols = project.layer(s.VOLUNTEERS)
    return str(vols.loc[vols[s.NAME] == name, s.PHONE].iloc[0])


@pytest.fixture
def kit():
    return _kit_with_roster()


@pytest.mark.parametrize(("value", "expected"), [(True, True), (1, True), ("是", True), ("同意", True), ("yes", True),
                                                 (False, False), (0, False), ("否", False), ("", False),
                                                 (None, False), (float("nan"), False)])
def test_has_consent__cases(value, expected):
    assert has_consent(value) is expected


def test_notice_phone__full_only_with_consent():
    assert notice_phone("170 0000 1234", consented=True) == "17000001234"
    assert notice_phone("17000001234", consented=False) == "170****1234"


def test_notice_data__consented_work_phone_in_full_unconsented_masked(kit):
    project = _with_consent(kit, [LEADER])
    data = notice_data(project, GRID)
    leader_phone, worker_phone = _phone(kit, LEADER), _phone(kit, WORKER)
    assert data.leaders[s.PHONE].tolist() == [leader_phone]
    assert data.workers.loc[data.workers[s.NAME] == WORKER, s.PHONE].tolist() == [f"{worker_phone[:3]}****{worker_phone[-4:]}"]
    chain = data.chain.set_index(s.NAME)
    assert chain.at[LEADER, "shown_phone"] == leader_phone
    assert chain.at[WORKER, "shown_phone"] != worker_phone
    fig = atlas.render_notice_page(data, lp.PageOptions())
    texts = {a.get_gid(): a.get_text() for a in fig.texts if a.get_gid()}
    assert leader_phone in texts["people"] and leader_phone in texts["chain"]
    assert worker_phone not in texts["people"] and worker_phone not in texts["chain"]
    assert f"{worker_phone[:3]}****{worker_phone[-4:]}" in texts["chain"]


def test_notice_data__the_work_phone_is_shown_not_the_personal_one(kit):
    project = _with_consent(kit, [LEADER], work_phone=(LEADER, "028-8888 6666"))
    data = notice_data(project, GRID)
    assert data.leaders[s.PHONE].tolist() == ["02888886666"]
    assert _phone(kit, LEADER) not in data.chain["shown_phone"].tolist()


def test_notice_data__nobody_consented_means_every_phone_masked(kit):
    data = notice_data(kit, GRID)
    shown = [p for p in data.chain["shown_phone"] if p]
    assert shown and all("****" in p for p in shown)


def test_boundary_description__every_touching_micro_grid_named_on_its_side(kit):
    sides = boundary_description(kit, GRID)
    grids = kit.layer(s.GRIDS).to_crs(s.METRIC_CRS)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    me = micro.loc[micro[s.CODE] == GRID].geometry.iloc[0]
    touching = micro[(micro[s.CODE] != GRID) & micro.geometry.distance(me).le(1.0)]
    named = {n for names in sides.values() for n in names}
    assert set(touching[s.NAME]) <= named
    centre = me.centroid
    for name, geom in zip(touching[s.NAME], touching.geometry):
        shared = shapely.intersection(me.boundary.buffer(5), geom).centroid
        side = [k for k, v in sides.items() if name in v]
        dx, dy = shared.x - centre.x, shared.y - centre.y
        expected = "east" if abs(dx) >= abs(dy) and dx > 0 else "west" if abs(dx) >= abs(dy) else (
            "north" if dy > 0 else "south")
        assert expected in side


def test_boundary_description__a_named_road_on_the_east_edge_is_listed_east(kit):
    me = kit.layer(s.GRIDS).to_crs(s.METRIC_CRS).set_index(s.CODE).geometry[GRID]
    x0, y0, x1, y1 = me.bounds
    east = shapely.shortest_line(me.boundary, shapely.Point(x1 + 50, (y0 + y1) / 2)).coords[0]  # on the east edge
    road = shapely.LineString([(east[0] + 5, east[1] + 80), (east[0] + 5, east[1] - 80)])
    roads = gpd.GeoDataFrame({s.NAME: ["滨河路"]}, geometry=[road], crs=s.METRIC_CRS).to_crs(s.STORAGE_CRS)
    sides = boundary_description(kit.with_layer("roads", roads), GRID)
    assert "滨河路" in sides["east"]
    assert "滨河路" not in sides["west"]


def test_qr_payload__a_mecard_of_the_first_consenting_contact(kit):
    project = _with_consent(kit, [WORKER])
    chain = notice_chain(project, GRID)
    payload = qr_payload(project, GRID, "望江社区第1网格3号微网格", chain)
    assert payload.startswith("MECARD:N:") and payload.endswith(";;")
    assert f"N:{WORKER};" in payload and f"TEL:{_phone(kit, WORKER)};" in payload


def test_qr_payload__nobody_consented_gives_the_supervision_phone(kit):
    project = kit.with_settings(supervision_phone="028-12345678")
    payload = qr_payload(project, GRID, "望江社区第1网格3号微网格", notice_chain(project, GRID))
    assert "TEL:028-12345678;" in payload
    assert all(_phone(kit, n) not in payload for n in (LEADER, WORKER))


def test_qr_payload__the_url_setting_wins_with_the_grid_code_filled_in(kit):
    project = kit.with_settings(notice_qr_url="http://10.0.0.8/grid/{grid}")
    assert qr_payload(project, GRID, "x", notice_chain(project, GRID)) == f"http://10.0.0.8/grid/{GRID}"


def test_notice_page__the_printed_qr_decodes_to_the_contact_card(kit):
    """The printed page, rasterised at 150 dpi as a planner's PNG download, read by a real QR decoder."""
    import io

    import zxingcpp
    from PIL import Image

    project = _with_consent(kit, [LEADER]).with_settings(supervision_phone="028-12345678")
    data = notice_data(project, GRID)
    png = lp.figure_bytes(atlas.render_notice_page(data, lp.PageOptions()), fmt="png", dpi=150)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [data.qr_payload]
    assert f"TEL:{_phone(kit, LEADER)};" in data.qr_payload  # the consented phone, in full


def test_notice_page__the_printed_qr_is_segno_s_code_of_the_payload(kit):
    """The printed modules, read back from the rendered page, are segno's own encoding of the payload."""
    project = _with_consent(kit, [LEADER]).with_settings(supervision_phone="028-12345678")
    data = notice_data(project, GRID)
    expected = np.array([list(r) for r in segno.make_qr(data.qr_payload, error="m", boost_error=False).matrix],
                        dtype=bool)
    assert np.array_equal(qr_modules(data.qr_payload), expected)
    assert f"TEL:{_phone(kit, LEADER)};" in data.qr_payload
    fig = atlas.render_notice_page(data, lp.PageOptions())
    fig.set_dpi(150)
    fig.canvas.draw()
    ax = next(a for a in fig.axes if a.get_gid() == "qr")
    box = ax.get_window_extent()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].mean(axis=2)
    n = len(expected) + 8  # 4-module quiet zone each side
    step_x, step_y = box.width / n, box.height / n
    height = pixels.shape[0]
    read = np.array([[pixels[int(height - (box.y1 - (r + 0.5) * step_y)), int(box.x0 + (c + 0.5) * step_x)] < 128
                      for c in range(n)] for r in range(n)])
    assert not read[:4].any() and not read[:, :4].any()  # the quiet zone is white
    assert np.array_equal(read[4:-4, 4:-4], expected)
    supervision = next(a for a in fig.texts if a.get_gid() == "supervision").get_text()
    assert "028-12345678" in supervision


def test_with_phone_consent__sets_clears_and_logs(kit):
    from geo.noticeboard import with_phone_consent

    vols = kit.layer(s.VOLUNTEERS)
    a, b = vols[s.VOLUNTEER_ID].iloc[0], vols[s.VOLUNTEER_ID].iloc[1]
    once = with_phone_consent(kit, consented=[a, b], user="王")
    twice = with_phone_consent(once, consented=[], withdrawn=[b], user="王")
    flags = dict(zip(twice.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID], twice.layer(s.VOLUNTEERS)[s.PHONE_CONSENT]))
    assert flags[a] is True and flags[b] is False
    assert twice.table("audit")["action"].tolist()[-2:] == ["phone_consent", "phone_consent"]
    with pytest.raises(Exception) as err:
        with_phone_consent(kit, consented=["nobody"])
    assert getattr(err.value, "code", None) == "notice.unknown_people"


def test_print_page__notice_settings_and_consent_saved_to_the_project(tmp_path, tiny_project):
    from pathlib import Path

    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from geo.project import load_project, save_project
    from ui import state

    micro = "510184001001-G1-M1"
    rows = pd.DataFrame([{s.VOLUNTEER_ID: "V110", s.GRID_CODE: micro, s.ROLE: "leader"},
                         {s.VOLUNTEER_ID: "V120", s.GRID_CODE: "510184001001-G1", s.ROLE: "worker"}])
    path = tmp_path / "p.gpkg"
    save_project(tiny_project.with_table(s.ASSIGNMENTS, rows), path)
    at = signed_in(AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90))
    at.session_state[state.PROJECT_PATH] = str(path)
    at.run()
    at.switch_page("ui/pages/print.py").run()
    at.radio(key="print_kind").set_value("notice").run()
    at.selectbox(key="print_unit_notice").set_value(micro).run()
    at.text_input(key="notice_supervision_phone").set_value("028-12345678").run()
    at.multiselect(key=f"notice_consent_{micro}").set_value(["V110"]).run()
    at.button(key="notice_save").click().run()
    assert not at.exception
    saved = load_project(path)
    assert saved.settings["supervision_phone"] == "028-12345678"
    consent = dict(zip(saved.layer(s.VOLUNTEERS)[s.VOLUNTEER_ID], saved.layer(s.VOLUNTEERS)[s.PHONE_CONSENT]))
    assert consent["V110"] and not consent["V120"]


def test_notice_data__reach_per_category_is_the_roll_up_s(tiny_project):
    from geo.coverage import service_reach, with_coverage
    from geo.rollup import reach_by_category

    micro = "510184001001-G1-M1"
    project = with_coverage(tiny_project, service_reach(tiny_project, radii_m=[300]))
    data = notice_data(project, micro)
    expected = reach_by_category(project, [micro], radius_m=300)
    assert data.reach_radius_m == 300
    assert data.reach["share"].tolist() == expected["share"].tolist()
    fig = atlas.render_notice_page(data, lp.PageOptions())
    reach = next(a for a in fig.texts if a.get_gid() == "reach").get_text()
    assert "300" in reach and f"{expected['share'].iloc[0]:.0%}" in reach
    assert notice_data(tiny_project, micro).reach is None  # no coverage run yet: no line
