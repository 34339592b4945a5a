"""Admin page (issue #15): accounts (add, disable, enable, reset), the audit log filtered and exported, personal-data accesses.

Only an admin sees this page in the navigation (``app.py``); the page checks the role again, and
every account change goes through ``geo.accounts`` with the signed-in scope as ``actor``, which
refuses any other role: hiding the page is not the protection.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.access import ROLES, UNIT_LEVELS
from geo.accounts import add_user, disable_user, list_users, reset_password
from geo.audit import PERSONAL_DATA, localise_audit, read_audit, verify_audit
from geo.errors import GeoInputError
from geo.export_formats import to_csv_bytes
from ui import state
from ui.labels import account_role_label, audit_action_label, level_or_auto, or_all
from ui.common import current_project, project_path
from ui.i18n import show_error, tr
from ui.safe import plain, visible

K_NAME, K_PW, K_PW2, K_ROLE, K_UNIT, K_LEVEL = ("admin_name", "admin_password", "admin_password2", "admin_role",
                                                "admin_unit", "admin_level")
K_PICK, K_NEW_PW = "admin_pick", "admin_new_password"
K_USER, K_UNIT_FILTER, K_ACTION = "admin_filter_user", "admin_filter_unit", "admin_filter_action"
FLASH = "admin_flash"


def _accounts_table() -> list:
    users = list_users(location=project_path())
    rows = [{tr("ui.login.name"): visible(u.name), tr("ui.admin.role"): account_role_label(u.role),
             tr("ui.admin.filter_unit"): f"{u.level}:{u.code}" if u.code else tr("ui.sidebar.whole_project"),
             tr("ui.admin.disabled_col"): u.disabled, tr("ui.admin.last_login"): u.last_login,
             tr("ui.admin.locked_until"): u.locked_until}
            for u in users]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    return users


def _add_form() -> None:
    scope = st.session_state[state.SCOPE]
    with st.form("admin_add", clear_on_submit=True):
        st.subheader(tr("ui.admin.add"))
        c1, c2 = st.columns(2)
        name = c1.text_input(tr("ui.login.name"), key=K_NAME, max_chars=64)
        role = c2.selectbox(tr("ui.admin.role"), ROLES, key=K_ROLE, format_func=account_role_label)
        password = c1.text_input(tr("ui.login.password"), key=K_PW, type="password", max_chars=256)
        again = c2.text_input(tr("ui.admin.password_again"), key=K_PW2, type="password", max_chars=256)
        unit = c1.text_input(tr("ui.admin.unit"), key=K_UNIT, max_chars=40)
        level = c2.selectbox(tr("ui.admin.viewer_level"), ["", *UNIT_LEVELS], key=K_LEVEL, format_func=level_or_auto)
        if not st.form_submit_button(tr("ui.admin.add"), type="primary"):
            return
    try:
        if password != again:
            raise GeoInputError("passwords differ", code="accounts.password_mismatch")
        user = add_user(location=project_path(), name=name.strip(), password=password, role=role,
                        level=level or None, code=unit.strip() or None, actor=scope)
    except GeoInputError as exc:
        show_error(exc)
        return
    st.session_state[FLASH] = tr("ui.admin.added", name=user.name)
    st.rerun()


def _manage(users: list) -> None:
    scope = st.session_state[state.SCOPE]
    if not users:
        return
    st.subheader(tr("ui.admin.manage"))
    c1, c2 = st.columns(2)
    name = c1.selectbox(tr("ui.admin.pick"), [u.name for u in users], key=K_PICK, format_func=visible)
    new_password = c2.text_input(tr("ui.admin.new_password"), key=K_NEW_PW, type="password", max_chars=256)
    b1, b2, b3 = st.columns(3)
    try:
        if b1.button(tr("ui.admin.disable"), key="admin_disable"):
            disable_user(location=project_path(), name=name, actor=scope)
        elif b2.button(tr("ui.admin.enable"), key="admin_enable"):
            disable_user(location=project_path(), name=name, actor=scope, disabled=False)
        elif b3.button(tr("ui.admin.reset"), key="admin_reset"):
            reset_password(location=project_path(), name=name, password=new_password, actor=scope)
        else:
            return
    except GeoInputError as exc:
        show_error(exc)
        return
    st.session_state[FLASH] = tr("ui.admin.done", name=name)
    st.rerun()


def _audit() -> None:
    project = current_project()
    st.subheader(tr("ui.admin.audit"))
    check = verify_audit(project)
    if check.ok:
        st.success(tr("ui.admin.chain_ok", rows=check.rows, unchained=check.unchained))
    else:
        st.error(plain(tr("ui.admin.chain_broken", row=(check.broken_row or 0) + 1, time=check.time,
                          action=check.action, reason=tr(f"audit.reason.{check.reason}"))))
    log = read_audit(project)
    users = sorted({str(u) for u in log["user"].dropna()}) if len(log) else []
    actions = sorted({str(a) for a in log["action"].dropna()}) if len(log) else []
    c1, c2, c3 = st.columns(3)
    user = c1.selectbox(tr("ui.admin.filter_user"), ["", *users], key=K_USER,
                        format_func=or_all)
    unit = c2.text_input(tr("ui.admin.filter_unit"), key=K_UNIT_FILTER, max_chars=40).strip()
    action = c3.selectbox(tr("ui.admin.filter_action"), ["", *actions], key=K_ACTION,
                          format_func=audit_action_label)
    shown = read_audit(project, user=user or None, action=action or None, unit=unit or None)
    st.dataframe(localise_audit(shown, state.lang()).map(visible), hide_index=True, width="stretch")
    st.download_button(tr("ui.admin.download"), to_csv_bytes(shown), file_name="audit.csv", mime="text/csv",
                       key="admin_audit_csv")
    st.subheader(tr("ui.admin.personal"))
    personal = read_audit(project, action=PERSONAL_DATA)
    if personal.empty:
        st.caption(tr("ui.admin.personal_none"))
    else:
        cols = ["time", "user", "scope", "from", "object", "to"]
        st.dataframe(personal[[c for c in cols if c in personal.columns]].map(visible), hide_index=True,
                     width="stretch")


def main() -> None:
    """The admin page, for admins only."""
    scope = st.session_state.get(state.SCOPE)
    if scope is None or not scope.is_admin:
        st.error(tr("ui.admin.only_admin"))
        st.stop()
    st.title(tr("ui.admin.title"))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(plain(flash))
    st.subheader(tr("ui.admin.accounts"))
    users = _accounts_table()
    _add_form()
    _manage(users)
    _audit()


main()
