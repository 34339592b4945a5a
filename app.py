"""GridAtlas (网格图谱) app entry: page config, sidebar chrome, navigation over the pages in ui/pages."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.messages import LANGS
from layers.basemaps import AMAP, BASEMAPS, TIANDITU, basemap_spec
from ui import labels, login, state
from ui.i18n import tr

ROOT = Path(__file__).resolve().parent
PAGES = ROOT / "ui" / "pages"

# (file in ui/pages, nav catalogue key, url path, icon); optional pages appear once their file exists
PAGE_TABLE = (
    ("explore.py", "ui.nav.explore", "explore", ":material/map:"),
    ("dashboard.py", "ui.nav.dashboard", "dashboard", ":material/bar_chart:"),
    ("edit.py", "ui.nav.edit", "edit", ":material/edit:"),
    ("run.py", "ui.nav.run", "run", ":material/play_arrow:"),
    ("import_wizard.py", "ui.nav.import", "import", ":material/upload_file:"),
    ("export.py", "ui.nav.export", "export", ":material/download:"),
    ("print.py", "ui.nav.print", "print", ":material/print:"),
    ("admin.py", "ui.nav.admin", "admin", ":material/admin_panel_settings:"),  # admins only (_pages)
)
ADMIN_ONLY = ("admin",)
# While a script runs, Streamlit's header cycles its "running" pictogram from a JavaScript timer: every
# waiting page repaints (~0.03 CPU-s per second in the renderer and compositor). Ten planners waiting
# on one busy server spent whole seconds of the two cores on it (bench.web_load, issue 18). The
# pictogram is hidden; the header's "Stop" button still shows while the app works, and stale elements
# still fade as before.
# Streamlit's skeletons (grey placeholders of elements not yet drawn) shimmer: a CSS animation that the
# compositor repaints at 60 frames a second for as long as a page waits. Ten planners waiting on two
# cores spent ~2 CPU-s of the browsers' GPU process on it per first map (bench.web_load, 10 sessions:
# GPU process 5.9-6.3 -> 3.9-4.2 CPU-s, first map p50 13.3-13.5 -> 11.7 s, interleaved). They stay
# as still grey placeholders.
# Figures (st.metric values) at a size that fits the panel's and dashboard's columns whole on a laptop:
# Streamlit's 2.25rem cut the demo's 245,102 households to "245,…" (tests/browser/test_metrics_browser.py).
STATIC_STYLE = ("<style>[data-testid='stStatusWidgetRunningIcon']{display:none}"
                "[data-testid='stSkeleton'],[data-testid='stSkeleton'] *{animation:none!important}"
                "[data-testid='stMetricValue']{font-size:1.6rem}</style>")


def _pages(*, admin: bool) -> list:
    """The pages that exist (the admin page only for an admin)."""
    return [st.Page(str(PAGES / file), title=tr(key), url_path=url, icon=icon, default=(url == "explore"))
            for file, key, url, icon in PAGE_TABLE
            if (PAGES / file).exists() and (admin or url not in ADMIN_ONLY)]


def _sidebar_start() -> None:
    with st.sidebar:
        st.radio(tr("ui.sidebar.language"), LANGS, key=state.LANG, horizontal=True,
                 format_func=labels.language_label, on_change=state.remember_lang)
        st.text_input(tr("ui.sidebar.project"), key=state.PROJECT_PATH, on_change=login.project_changed)


def _sidebar() -> None:
    with st.sidebar:
        login.sidebar_account()
        st.selectbox(tr("ui.sidebar.basemap"), BASEMAPS, key=state.BASEMAP,
                     format_func=labels.basemap_label)
        basemap = st.session_state[state.BASEMAP]
        if basemap == TIANDITU:
            st.text_input(tr("ui.sidebar.tianditu_key"), key=state.TIANDITU_KEY, type="password")
            if not st.session_state[state.TIANDITU_KEY].strip():
                st.warning(tr("ui.basemap.tianditu_no_key"))
        if basemap == AMAP:
            st.caption(tr("ui.basemap.amap_note"))
        spec = None
        if basemap != TIANDITU or st.session_state[state.TIANDITU_KEY].strip():
            spec = basemap_spec(basemap, tianditu_key=st.session_state[state.TIANDITU_KEY])
        st.caption(tr("ui.sidebar.online_note", host=spec.host) if spec else tr("ui.sidebar.offline_note"))


def main() -> None:
    """Run the app: one navigation over the pages that exist."""
    # an emoji favicon is a data: URL; a :material: icon would be fetched from fonts.gstatic.com
    st.set_page_config(page_title="网格图谱 GridAtlas", page_icon="🗺️", layout="wide")
    st.html(STATIC_STYLE)  # only a style: takes no space on the page
    state.init_state()
    st.session_state[state.RUN] = st.session_state.get(state.RUN, 0) + 1
    pending = st.session_state.pop("pending_project_path", None)  # set by the import wizard after a save
    if pending:
        login.project_imported(pending)
    _sidebar_start()
    if not login.is_signed_in():  # no account: the login form only, no page runs, no data is read
        # every page registered (hidden, none runs) so a deep link (/edit, /admin) opens after sign-in
        st.navigation(_pages(admin=True), position="hidden")
        login.render_login()
        return
    nav = st.navigation(_pages(admin=st.session_state[state.SCOPE].is_admin))
    _sidebar()
    nav.run()


main()
