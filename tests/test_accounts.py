"""Accounts (issue #15): hashing, lock-out, disable, reset, hostile names, roles and units, never in a Project,
the audit chain and its append-only guards — on both stores (the PostGIS half is marked ``database``)."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyogrio
import pytest

from geo import schema as s
from geo.access import ADMIN, COMMUNITY, LOCAL, TOWN, VIEWER, Scope
from geo.accounts import (
    add_user,
    authenticate,
    carry_account,
    disable_user,
    has_accounts,
    list_users,
    reset_password,
)
from geo.audit import (
    log_event,
    log_personal_access,
    read_audit,
    verify_audit,
)
from geo.errors import GeoInputError
from geo.project import load_project, save_project
from geo.store import open_store
from tests.factories import tiny_project
from tests.stores import STORE_KINDS, make_location

TOWN1, COMM11 = "510184001000", "510184001001"
PASSWORD = "correct horse"


@pytest.fixture(params=STORE_KINDS)
def location(request, tmp_path) -> str:
    loc = make_location(request.param, tmp_path, "acc")
    open_store(loc).save(tiny_project(), user="setup")
    return loc


@pytest.fixture
def gpkg(tmp_path) -> str:
    path = tmp_path / "acc.gpkg"
    save_project(tiny_project(), path)
    return str(path)


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.code


# --- accounts ---------------------------------------------------------------------------------
def test_carry_account__the_importer_becomes_the_first_account_of_a_new_project(gpkg, tmp_path):
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    add_user(location=gpkg, name="comm", password=PASSWORD, role=COMMUNITY, code=COMM11)
    new = str(tmp_path / "imported.gpkg")
    save_project(tiny_project(), new)
    assert carry_account(source=gpkg, target=new, name="comm") is None  # a community account stays home
    carried = carry_account(source=gpkg, target=new, name="wang")
    assert carried is not None and carried.role == ADMIN
    assert authenticate(location=new, name="wang", password=PASSWORD).name == "wang"  # the same password
    assert [u.name for u in list_users(location=new)] == ["wang"]
    assert "wang" in set(read_audit(load_project(new))["object"])
    other = str(tmp_path / "other.gpkg")
    save_project(tiny_project(), other)
    add_user(location=other, name="li", password=PASSWORD, role=ADMIN)
    assert carry_account(source=gpkg, target=other, name="wang") is None  # a project with accounts: sign in there
    assert [u.name for u in list_users(location=other)] == ["li"]


def test_add_user__stores_an_argon2_hash_never_the_password(location):
    add_user(location=location, name="wang", password=PASSWORD, role=ADMIN)
    rows = open_store(location).read_accounts()
    assert [r["name"] for r in rows] == ["wang"]
    assert rows[0]["password_hash"].startswith("$argon2id$") and PASSWORD not in rows[0]["password_hash"]
    assert authenticate(location=location, name="wang", password=PASSWORD).role == ADMIN


def test_add_user__town_and_community_roles_need_an_existing_unit(location):
    town = add_user(location=location, name="town1", password=PASSWORD, role=TOWN, code=TOWN1)
    assert town.scope == Scope(role=TOWN, level="town", code=TOWN1, user="town1")
    comm = add_user(location=location, name="comm11", password=PASSWORD, role=COMMUNITY, code=COMM11)
    assert comm.scope.level == "community" and comm.scope.code == COMM11
    for kwargs, code in (({"role": TOWN}, "accounts.unit_missing"),
                         ({"role": COMMUNITY, "code": "999999"}, "accounts.unknown_unit"),
                         ({"role": TOWN, "code": COMM11}, "accounts.unknown_unit"),
                         ({"role": ADMIN, "code": TOWN1}, "accounts.unit_not_allowed"),
                         ({"role": "root"}, "accounts.bad_role")):
        with pytest.raises(GeoInputError) as exc:
            add_user(location=location, name="x1", password=PASSWORD, **kwargs)
        assert _code(exc) == code
    viewer = add_user(location=location, name="view", password=PASSWORD, role=VIEWER)
    assert viewer.scope.whole_project and not viewer.scope.can_edit
    town_viewer = add_user(location=location, name="view-t", password=PASSWORD, role=VIEWER, code=TOWN1)
    assert (town_viewer.level, town_viewer.code) == ("town", TOWN1)
    comm_viewer = add_user(location=location, name="view-c", password=PASSWORD, role=VIEWER, code=COMM11)
    assert (comm_viewer.level, comm_viewer.code) == ("community", COMM11)


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "a b", "名\x00字", "x\u202eevil", "",
                                  "a" * 65, "![x](http://evil.example/x.png)", "$x^2$", "tab\tname"])
def test_add_user__hostile_names_are_refused(gpkg, name):
    with pytest.raises(GeoInputError) as exc:
        add_user(location=gpkg, name=name, password=PASSWORD, role=ADMIN)
    assert _code(exc) == "accounts.bad_name"
    assert "\x00" not in str(exc.value.context["name"]) and len(exc.value.context["name"]) <= 64
    assert open_store(gpkg).read_accounts() == []


def test_add_user__chinese_names_and_short_passwords(gpkg):
    assert add_user(location=gpkg, name="王主任", password=PASSWORD, role=ADMIN).name == "王主任"
    with pytest.raises(GeoInputError) as exc:
        add_user(location=gpkg, name="li", password="short", role=ADMIN)
    assert _code(exc) == "accounts.weak_password"
    with pytest.raises(GeoInputError) as exc:
        add_user(location=gpkg, name="王主任", password=PASSWORD, role=ADMIN)
    assert _code(exc) == "accounts.exists"


def test_authenticate__wrong_password_unknown_name_and_disabled_give_one_message(gpkg):
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    add_user(location=gpkg, name="li", password=PASSWORD, role=VIEWER)
    disable_user(location=gpkg, name="li")
    for name, password in (("wang", "wrong password"), ("nobody", PASSWORD), ("li", PASSWORD),
                           ("<script>", PASSWORD)):
        with pytest.raises(GeoInputError) as exc:
            authenticate(location=gpkg, name=name, password=password)
        assert _code(exc) == "accounts.bad_login"
    assert [u.disabled for u in list_users(location=gpkg)] == [True, False]


def test_authenticate__locks_after_repeated_failures_then_opens_again(location, monkeypatch):
    monkeypatch.setenv("GRIDATLAS_LOGIN_ATTEMPTS", "3")
    monkeypatch.setenv("GRIDATLAS_LOCKOUT_MINUTES", "10")
    add_user(location=location, name="wang", password=PASSWORD, role=ADMIN)
    now = datetime.now(UTC)
    for _ in range(3):
        with pytest.raises(GeoInputError) as exc:
            authenticate(location=location, name="wang", password="not it!", now=now)
        assert _code(exc) == "accounts.bad_login"
    with pytest.raises(GeoInputError) as exc:  # the right password, but locked
        authenticate(location=location, name="wang", password=PASSWORD, now=now + timedelta(minutes=1))
    assert _code(exc) == "accounts.locked" and exc.value.context["minutes"] == 10
    assert authenticate(location=location, name="wang", password=PASSWORD, now=now + timedelta(minutes=11))
    locked = read_audit(load_project(location), action="account_locked")
    assert locked["object"].tolist() == ["wang"]


def test_authenticate__a_success_clears_the_failure_count(gpkg, monkeypatch):
    monkeypatch.setenv("GRIDATLAS_LOGIN_ATTEMPTS", "3")
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    for _ in range(2):
        with pytest.raises(GeoInputError):
            authenticate(location=gpkg, name="wang", password="not it!")
    assert authenticate(location=gpkg, name="wang", password=PASSWORD).last_login
    with pytest.raises(GeoInputError) as exc:
        authenticate(location=gpkg, name="wang", password="not it!")
    assert _code(exc) == "accounts.bad_login"  # 1 of 3 again, not locked


def test_reset_password__by_admin_unlocks_and_replaces_the_old_password(location, monkeypatch):
    monkeypatch.setenv("GRIDATLAS_LOGIN_ATTEMPTS", "2")
    add_user(location=location, name="wang", password=PASSWORD, role=ADMIN)
    for _ in range(2):
        with pytest.raises(GeoInputError):
            authenticate(location=location, name="wang", password="not it!")
    reset_password(location=location, name="wang", password="a new secret")
    assert authenticate(location=location, name="wang", password="a new secret").name == "wang"
    with pytest.raises(GeoInputError):
        authenticate(location=location, name="wang", password=PASSWORD)


def test_account_changes__refused_for_every_role_but_admin(gpkg):
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    for role in ("city", TOWN, COMMUNITY, VIEWER):
        actor = Scope(role=role, user="li")
        for call in (lambda a=actor: reset_password(location=gpkg, name="wang", password="hijacked!!", actor=a),
                     lambda a=actor: disable_user(location=gpkg, name="wang", actor=a),
                     lambda a=actor: add_user(location=gpkg, name="evil", password=PASSWORD, role=ADMIN, actor=a)):
            with pytest.raises(GeoInputError) as exc:
                call()
            assert _code(exc) == "accounts.not_admin"
    assert authenticate(location=gpkg, name="wang", password=PASSWORD)
    assert [u.name for u in list_users(location=gpkg)] == ["wang"]


def test_disable_user__an_admin_cannot_disable_themself(gpkg):
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    with pytest.raises(GeoInputError) as exc:
        disable_user(location=gpkg, name="wang", actor=Scope(role=ADMIN, user="wang"))
    assert _code(exc) == "accounts.self_disable"


def test_account_changes__are_audited_with_the_actor(location):
    add_user(location=location, name="wang", password=PASSWORD, role=ADMIN)
    add_user(location=location, name="li", password=PASSWORD, role=VIEWER, actor=Scope(role=ADMIN, user="wang"))
    disable_user(location=location, name="li", actor=Scope(role=ADMIN, user="wang"))
    table = load_project(location).table(s.AUDIT)  # in stored (chain) order
    log = table[table["action"] == "account"]
    assert log[["user", "object", "scope"]].values.tolist() == [["", "wang", "project"], ["wang", "li", "project"],
                                                                ["wang", "li", "project"]]
    assert PASSWORD not in log.to_csv()


# --- never in a Project, an export, or a copy of layers -----------------------------------------
def test_accounts__never_in_a_loaded_project_or_its_layers(location):
    add_user(location=location, name="wang", password=PASSWORD, role=ADMIN)
    project = open_store(location).load()
    frames = {**project.layers, **project.tables}
    assert not any("account" in name for name in frames)
    assert not any(frame.astype(str).apply(lambda c: c.str.contains("argon2")).any().any() for frame in frames.values())
    assert has_accounts(location=location)


def test_accounts__not_in_a_gpkg_export_and_invisible_to_gdal(gpkg, tmp_path):
    from geo.export import ExportOptions, export_bytes

    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    assert "gridatlas_accounts" not in [name for name, _ in pyogrio.list_layers(gpkg)]
    result = export_bytes(load_project(gpkg), ExportOptions(fmt="gpkg"))
    out = tmp_path / "export.gpkg"
    out.write_bytes(result.data)
    tables = [r[0] for r in sqlite3.connect(out).execute("SELECT name FROM sqlite_master")]
    assert not any("account" in t for t in tables) and b"argon2" not in out.read_bytes()


def test_accounts__survive_saves_and_a_whole_file_rewrite(gpkg):
    add_user(location=gpkg, name="wang", password=PASSWORD, role=ADMIN)
    project = load_project(gpkg)
    save_project(project.with_settings(note="x"), gpkg)
    save_project(tiny_project(), gpkg)  # not loaded from this file: diffed against it, accounts kept
    assert authenticate(location=gpkg, name="wang", password=PASSWORD)


@pytest.mark.database
def test_store_copy__carries_accounts_both_ways(tmp_path):
    from cli.main import main

    src = str(tmp_path / "a.gpkg")
    save_project(tiny_project(), src)
    add_user(location=src, name="wang", password=PASSWORD, role=ADMIN)
    url = make_location("postgis", tmp_path, "copy")
    assert main(["store", "copy", src, url]) == 0
    assert authenticate(location=url, name="wang", password=PASSWORD).role == ADMIN
    back = str(tmp_path / "b.gpkg")
    assert main(["store", "copy", url, back]) == 0
    assert authenticate(location=back, name="wang", password=PASSWORD).role == ADMIN


# --- the audit chain ---------------------------------------------------------------------------------
def _logged(project, n: int):
    for i in range(n):
        project = log_event(project, action="coverage_run", counts={"rows": i}, user=f"u{i}")
    return project


def test_verify_audit__an_untouched_chain_is_intact_after_saves(location):
    store = open_store(location)
    project = store.save(_logged(store.load(), 3), user="a")
    project = store.save(_logged(project, 2), user="b")
    check = verify_audit(store.load())
    assert check.ok and check.rows == len(store.load().table(s.AUDIT)) >= 7


@pytest.mark.parametrize(("tamper", "reason", "row"), [
    (lambda t: t.assign(user=t["user"].where(t.index != 2, "someone else")), "changed", 2),
    (lambda t: t.drop(index=2).reset_index(drop=True), "link", 2),
    (lambda t: pd.concat([t.iloc[:2], t.iloc[[3]], t.iloc[[2]], t.iloc[4:]]).reset_index(drop=True), "link", 2),
    (lambda t: pd.concat([t.iloc[:3], t.iloc[[0]].assign(row_hash=""), t.iloc[3:]]).reset_index(drop=True),
     "unchained", 3),
])
def test_verify_audit__names_the_first_tampered_row(tamper, reason, row):
    project = _logged(tiny_project(), 5)
    assert verify_audit(project).ok
    check = verify_audit(project.with_table(s.AUDIT, tamper(project.table(s.AUDIT))))
    assert (check.ok, check.reason, check.broken_row) == (False, reason, row)


def test_audit__two_sessions_appending_at_once_make_one_chain(location):
    store = open_store(location)
    a, b = store.load(), store.load()
    store.save(_logged(a, 2), user="a")
    store.save(_logged(b, 3), user="b")
    assert verify_audit(store.load()).ok


def test_audit__gpkg_refuses_update_and_delete(gpkg):
    save_project(_logged(load_project(gpkg), 2), gpkg)
    conn = sqlite3.connect(gpkg)
    for sql in ("UPDATE audit SET user = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_audit__a_save_that_drops_audit_rows_is_refused(location):
    store = open_store(location)
    project = store.save(_logged(store.load(), 2))
    shorter = project.with_table(s.AUDIT, project.table(s.AUDIT).iloc[1:].reset_index(drop=True))
    with pytest.raises(GeoInputError) as exc:
        store.save(shorter)
    assert _code(exc) == "audit.append_only"
    assert verify_audit(store.load()).ok


@pytest.mark.database
def test_audit__postgis_refuses_update_delete_and_truncate(tmp_path):
    import psycopg

    url = make_location("postgis", tmp_path, "guard")
    store = open_store(url)
    store.save(_logged(tiny_project(), 2))
    conninfo = url.split("?")[0]
    for sql in ("UPDATE gridatlas.audit SET \"user\" = 'x'", "DELETE FROM gridatlas.audit",
                "TRUNCATE gridatlas.audit"):
        with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute(sql)


def test_log_personal_access__writes_a_chained_row_with_user_scope_and_purpose(location):
    store = open_store(location)
    scope = Scope(role=COMMUNITY, level="community", code=COMM11, user="comm11")
    project = log_personal_access(store.load(), scope=scope, purpose="入户走访", what="volunteers.phone",
                                  counts={"people": 4})
    store.save(project, user="comm11")
    rows = read_audit(store.load(), action="personal_data", unit=COMM11)
    assert rows[["user", "scope", "from", "object"]].values.tolist() == [
        ["comm11", f"community:{COMM11}", "入户走访", "volunteers.phone"]]
    assert verify_audit(store.load()).ok


def test_local_scope__is_the_command_lines_admin():
    assert LOCAL.is_admin and LOCAL.whole_project


# --- the command line ---------------------------------------------------------------------------------
def test_cli_users__add_from_stdin_list_disable_reset_with_exit_codes(gpkg, monkeypatch, capsys):
    import io

    from cli.main import main

    assert main(["users", "list", gpkg]) == 0 and "users add" in capsys.readouterr().out  # how to add the first
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", gpkg, "wang", "--role", "admin", "--password-stdin"]) == 0
    assert main(["users", "add", gpkg, "t1", "--role", "town", "--unit", TOWN1, "--password", PASSWORD]) == 0
    assert main(["users", "add", gpkg, "<b>x</b>", "--role", "admin", "--password", PASSWORD]) == 2
    assert main(["users", "add", gpkg, "c1", "--role", "community", "--password", PASSWORD]) == 2  # no --unit
    assert main(["users", "disable", gpkg, "t1"]) == 0
    assert main(["users", "reset", gpkg, "nobody", "--password", PASSWORD]) == 2
    capsys.readouterr()
    assert main(["users", "list", gpkg]) == 0
    out = capsys.readouterr().out
    assert "wang" in out and f"town:{TOWN1}" in out and "argon2" not in out and PASSWORD not in out
    assert authenticate(location=gpkg, name="wang", password=PASSWORD)
    with pytest.raises(GeoInputError):
        authenticate(location=gpkg, name="t1", password=PASSWORD)  # disabled


def test_demo_accounts__documented_logins_on_a_demo_like_project(gpkg):
    from geo.demo import DEMO_ADMIN, DEMO_COMMUNITY, DEMO_PASSWORD, DEMO_TOWN, add_demo_accounts

    add_demo_accounts(load_project(gpkg), location=gpkg)
    roles = {u.name: (u.role, u.level) for u in list_users(location=gpkg)}
    assert roles == {DEMO_ADMIN: (ADMIN, None), DEMO_TOWN: (TOWN, "town"), DEMO_COMMUNITY: (COMMUNITY, "community")}
    assert authenticate(location=gpkg, name=DEMO_ADMIN, password=DEMO_PASSWORD).role == ADMIN


@pytest.fixture(params=STORE_KINDS)
def fresh(request, tmp_path) -> str:
    return make_location(request.param, tmp_path, "legacy")


def test_audit__a_log_written_before_chaining_is_kept_and_new_rows_chain_after_it(fresh):
    legacy = pd.DataFrame({"time": ["2024-01-01T00:00:00+00:00"] * 2, "user": ["甲", "乙"], "scenario": "基线",
                           "action": "add", "object": ["G1", "G2"], "from": "", "to": "", "edit_id": ["e1", "e2"]})
    store = open_store(fresh)
    store.save(tiny_project().with_table(s.AUDIT, legacy))  # as an older GridAtlas left it, then one save
    store.save(_logged(store.load(), 2), user="丙")
    table = store.load().table(s.AUDIT)
    assert table["edit_id"].tolist()[:2] == ["e1", "e2"] and len(table) == 2 + 1 + 2 + 1
    check = verify_audit(store.load())
    assert check.ok and check.unchained == 2
