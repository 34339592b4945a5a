"""Sign-in gate of the app (issue #15): the login form, the idle timeout, the account box in the sidebar.

``app.py`` calls ``is_signed_in`` before its navigation runs any page: without a signed-in
account only the login form is shown and no project data is read (the form reads the store's
accounts table and, for the demo hint, the project's metadata only). A successful sign-in sets
``state.ACCOUNT`` (``geo.accounts.User``) and ``state.SCOPE`` (its ``geo.access.Scope``); logout,
the idle timeout (``geo.accounts.session_minutes``) and changing the project path clear both.
"""
from __future__ import annotations

import time

import streamlit as st

from geo.accounts import authenticate, carry_account, has_accounts, session_minutes, stored_account
from geo.errors import GeoInputError
from geo.store import open_store
from ui import state
from ui.i18n import show_error, tr
from ui.safe import plain

LOGIN_NAME, LOGIN_PASSWORD, LOGIN_FORM = "login_name", "login_password", "login_form"


def is_signed_in(*, now: float | None = None) -> bool:
    """Whether an account is signed in and was active within the idle timeout (then its clock restarts)."""
    account, scope = st.session_state.get(state.ACCOUNT), st.session_state.get(state.SCOPE)
    if account is None or scope is None:
        return False
    now = time.time() if now is None else now
    seen = float(st.session_state.get(state.LAST_SEEN) or now)
    if now - seen > session_minutes() * 60:
        state.sign_out("ui.login.expired")
        return False
    st.session_state[state.LAST_SEEN] = now
    if now >= float(st.session_state.get(state.ACCOUNT_CHECKED) or 0) + RECHECK_SECONDS and not _still_valid(account):
        state.sign_out("ui.login.account_changed")
        return False
    return True


RECHECK_SECONDS = 60  # an account disabled, removed or given another role or unit ends its sessions within this


def _still_valid(account) -> bool:
    """Whether ``account`` is still stored, enabled, with the same role and unit (read at most once a minute)."""
    try:
        now = stored_account(location=str(st.session_state[state.PROJECT_PATH]), name=account.name)
    except GeoInputError:
        return False
    st.session_state[state.ACCOUNT_CHECKED] = time.time()
    return now is not None and (now.role, now.level, now.code) == (account.role, account.level, account.code)


def project_changed() -> None:
    """``on_change`` of the sidebar's project path: accounts belong to one store, so sign out."""
    if st.session_state.get(state.ACCOUNT) is not None:
        state.sign_out("ui.login.project_changed")


def project_imported(location: str) -> None:
    """Open the project the import wizard has just saved: its importer becomes its first account
    (``geo.accounts.carry_account``); a project that has accounts of its own needs a sign-in there."""
    before = str(st.session_state[state.PROJECT_PATH])
    st.session_state[state.PROJECT_PATH] = location
    account = st.session_state.get(state.ACCOUNT)
    if account is None or location == before:
        return
    try:
        carried = carry_account(source=before, target=location, name=account.name)
    except GeoInputError:
        carried = None
    if carried is None:
        state.sign_out("ui.login.project_changed")


def _is_demo(location: str) -> bool:
    try:
        return bool(open_store(location).load(layers=()).meta.get("demo"))
    except (GeoInputError, OSError):
        return False


def _sign_in(location: str) -> None:
    name = str(st.session_state.get(LOGIN_NAME) or "").strip()
    password = str(st.session_state.get(LOGIN_PASSWORD) or "")
    st.session_state[LOGIN_PASSWORD] = ""  # never kept in the session
    try:
        user = authenticate(location=location, name=name, password=password)
    except GeoInputError as exc:
        st.session_state["login_error"] = exc
        return
    st.session_state[state.ACCOUNT] = user
    st.session_state[state.SCOPE] = user.scope
    st.session_state[state.LAST_SEEN] = st.session_state[state.ACCOUNT_CHECKED] = time.time()


def render_login() -> None:
    """The login page: notices, how to create the first admin, the demo hint (demo only), the form."""
    location = str(st.session_state[state.PROJECT_PATH])
    st.title(tr("ui.login.title"))
    st.caption(plain(tr("ui.login.project", project=location)))
    notice = st.session_state.pop(state.LOGIN_NOTICE, None)
    if notice:
        st.info(tr(notice, minutes=session_minutes()))
    try:
        accounts = has_accounts(location=location)
    except GeoInputError as exc:
        show_error(exc)
        return
    if not accounts:
        st.info(tr("ui.login.no_accounts"))
        st.code(f"python -m cli users add {location} --role admin NAME", language="bash")
        return
    if _is_demo(location):
        st.info(tr("ui.login.demo_hint"))
    error = st.session_state.pop("login_error", None)
    if error is not None:
        show_error(error)
    with st.form(LOGIN_FORM):
        st.text_input(tr("ui.login.name"), key=LOGIN_NAME, max_chars=64)
        st.text_input(tr("ui.login.password"), key=LOGIN_PASSWORD, type="password", max_chars=256)
        st.form_submit_button(tr("ui.login.submit"), on_click=_sign_in, args=(location,), type="primary")


def sidebar_account() -> None:
    """Who is signed in (name, role, unit) and the logout button, in the sidebar."""
    account = st.session_state[state.ACCOUNT]
    unit = f"{account.level}:{account.code}" if account.code else tr("ui.sidebar.whole_project")
    st.markdown(tr("ui.sidebar.signed_in", name=plain(account.name), role=tr(f"account_role.{account.role}"),
                   unit=plain(unit)))
    st.button(tr("ui.sidebar.logout"), on_click=state.sign_out, args=("ui.login.signed_out",), key="logout")
