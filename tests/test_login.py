"""The sign-in gate under AppTest (issue #15): no account → no data, wrong password, lock-out, idle timeout,
logout, admin page only for admins, the demo hint only on the demo, the project path change signs out."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.access import ADMIN, COMMUNITY, VIEWER
from geo.accounts import add_user, disable_user
from geo.project import save_project
from tests.app_fixtures import COMM11
from tests.app_login import signed_in
from tests.factories import tiny_project
from ui import state

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PASSWORD = "correct horse"
SECRET_NAME = "PRIVATE-VOLUNTEER-NAME"


@pytest.fixture
def project_file(tmp_path) -> Path:
    path = tmp_path / "p.gpkg"
    save_project(tiny_project(), path)
    return path


@pytest.fixture
def with_accounts(project_file) -> Path:
    add_user(location=project_file, name="wang", password=PASSWORD, role=ADMIN)
    add_user(location=project_file, name="comm", password=PASSWORD, role=COMMUNITY, code=COMM11)
    return project_file


def _app(path: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[state.PROJECT_PATH] = str(path)
    at.run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "info", "error", "caption", "title", "code", "success")
                    for e in getattr(at, kind))


def test_login__a_project_without_accounts_says_how_to_add_the_first_admin_and_shows_no_data(project_file):
    at = _app(project_file)
    assert "users add" in _texts(at) and "--role admin" in _texts(at)
    assert not [w for w in at.text_input if w.key == "login_name"]  # no form: there is no one to sign in
    assert state.ACCOUNT not in at.session_state and not at.dataframe


def test_login__no_page_runs_before_sign_in(with_accounts):
    at = _app(with_accounts)
    assert [w.key for w in at.text_input if w.key in ("login_name", "login_password")] == ["login_name",
                                                                                            "login_password"]
    assert not at.get("iframe") and "explore" not in _texts(at).lower()
    assert not [e for e in at.selectbox if e.key == state.BASEMAP]  # the map chrome is not there either


def test_login__wrong_password_is_refused_with_one_message(with_accounts):
    at = _sign_in(_app(with_accounts), "wang", "not the password")
    assert at.error and "账号或密码不正确" in at.error[0].value
    assert state.ACCOUNT not in at.session_state
    at = _sign_in(_app(with_accounts), "nobody", PASSWORD)
    assert "账号或密码不正确" in at.error[0].value


def test_login__right_password_opens_the_app_with_account_and_scope(with_accounts):
    at = _sign_in(_app(with_accounts), "comm", PASSWORD)
    assert not at.exception and not at.error
    assert at.session_state[state.ACCOUNT].name == "comm"
    assert at.session_state[state.SCOPE].code == COMM11 and at.session_state[state.SCOPE].level == "community"
    assert "comm" in _texts(at) and "社区" in _texts(at)
    assert at.session_state["login_password"] == ""  # the password is not kept in the session


def test_login__locks_after_repeated_failures(with_accounts, monkeypatch):
    monkeypatch.setenv("GRIDATLAS_LOGIN_ATTEMPTS", "2")
    at = _app(with_accounts)
    for _ in range(2):
        at = _sign_in(at, "wang", "not the password")
    at = _sign_in(at, "wang", PASSWORD)
    assert "已锁定" in at.error[0].value and state.ACCOUNT not in at.session_state


def test_login__idle_session_expires(with_accounts, monkeypatch):
    monkeypatch.setenv("GRIDATLAS_SESSION_MINUTES", "1")
    at = _sign_in(_app(with_accounts), "wang", PASSWORD)
    assert state.ACCOUNT in at.session_state
    at.session_state[state.LAST_SEEN] = time.time() - 120
    at.run()
    assert state.ACCOUNT not in at.session_state and state.SCOPE not in at.session_state
    assert "已自动退出" in _texts(at)


def test_login__a_disabled_account_is_signed_out_at_its_next_check(with_accounts):
    at = _sign_in(_app(with_accounts), "comm", PASSWORD)
    at.run()
    assert state.ACCOUNT in at.session_state  # read back within the minute: still valid
    disable_user(location=with_accounts, name="comm")
    at.session_state[state.ACCOUNT_CHECKED] = time.time() - 61  # a minute later
    at.run()
    assert state.ACCOUNT not in at.session_state and state.SCOPE not in at.session_state
    assert "已被停用" in _texts(at) and not at.dataframe


def test_login__logout_clears_account_and_scope(with_accounts):
    at = _sign_in(_app(with_accounts), "wang", PASSWORD)
    at.button(key="logout").click().run()
    assert state.ACCOUNT not in at.session_state and state.SCOPE not in at.session_state
    assert "已退出登录" in _texts(at)


def test_login__changing_the_project_path_signs_out(with_accounts, tmp_path):
    at = _sign_in(_app(with_accounts), "wang", PASSWORD)
    other = tmp_path / "other.gpkg"
    save_project(tiny_project(), other)
    at.text_input(key=state.PROJECT_PATH).input(str(other)).run()
    assert state.ACCOUNT not in at.session_state


def test_admin_page__only_in_the_navigation_of_an_admin(with_accounts):
    at = _sign_in(_app(with_accounts), "wang", PASSWORD)
    at.switch_page("ui/pages/admin.py").run()
    assert not at.exception and "wang" in " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    viewer = signed_in(AppTest.from_file(APP, default_timeout=60), name="v", role=VIEWER)
    viewer.session_state[state.PROJECT_PATH] = str(with_accounts)
    viewer.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a viewer's navigation
        viewer.switch_page("ui/pages/admin.py")
    direct = signed_in(AppTest.from_file(str(Path(APP).parent / "ui" / "pages" / "admin.py"), default_timeout=60),
                       name="v", role=VIEWER)  # the page itself checks the role again
    direct.session_state[state.PROJECT_PATH] = str(with_accounts)
    direct.run()
    assert "只有管理员" in direct.error[0].value and not direct.dataframe


def test_admin_page__adds_an_account_and_exports_the_audit_log(with_accounts):
    at = _sign_in(_app(with_accounts), "wang", PASSWORD)
    at.switch_page("ui/pages/admin.py").run()
    at.text_input(key="admin_name").input("li")
    at.selectbox(key="admin_role").set_value(VIEWER)
    at.text_input(key="admin_password").input("li-password")
    at.text_input(key="admin_password2").input("li-password")
    next(b for b in at.button if b.label == "添加账号").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from geo.accounts import list_users
    assert [u.name for u in list_users(location=with_accounts)] == ["comm", "li", "wang"]
    assert "完整" in at.success[-1].value or any("完整" in s.value for s in at.success)


def test_demo_hint__only_on_the_bundled_demo(with_accounts, tmp_path):
    assert "demo1234" not in _texts(_app(with_accounts))
    demo = tmp_path / "demo_like.gpkg"
    save_project(tiny_project().with_meta(demo=True), demo)
    add_user(location=demo, name="demo", password="demo1234", role=ADMIN)
    assert "demo1234" in _texts(_app(demo))
