"""Accounts: who may sign in to a project, with which role and unit (issue #15).

Accounts live in the project's own store (GeoPackage or PostGIS) in a private table that is
never part of ``Project`` (``ProjectStore.read_accounts`` / ``write_account``): no export, print
or copy of the project's layers and tables ever carries a password hash. ``store copy`` copies
them with the project.

- Passwords are hashed with argon2id (argon2-cffi, its default parameters); the clear text is
  never stored, logged or shown.
- ``authenticate`` refuses unknown names, wrong passwords and disabled accounts with one and the
  same message (and spends the same argon2 time on an unknown name), counts failures in the
  store and locks the account for ``lockout_minutes`` after ``max_failures`` failures in a row.
- Every change of an account (add, disable, enable, reset) and every lock-out is written to the
  project's audit log (``geo.audit.log_event``) by the signed-in ``actor``.
- Only an admin manages accounts: every function that changes one takes the ``actor``'s
  ``geo.access.Scope`` and refuses any other role (``accounts.not_admin``), so the app's admin
  page and the command line (``geo.access.LOCAL``) go through the same check.

Settings (environment): ``GRIDATLAS_LOGIN_ATTEMPTS`` (5 failures), ``GRIDATLAS_LOCKOUT_MINUTES``
(15), ``GRIDATLAS_SESSION_MINUTES`` (idle minutes before the app signs a user out, 30).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from geo import schema as s
from geo.access import ADMIN, CITY, COMMUNITY, LOCAL, ROLES, TOWN, UNIT_LEVELS, VIEWER, Scope
from geo.errors import GeoInputError
from geo.values import CONTROL_CHARACTERS

ACCOUNT_FIELDS = ("name", "role", "level", "code", "password_hash", "disabled", "failed", "locked_until",
                  "created_at", "updated_at", "last_login")
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")  # letters (汉字 included), digits, _ . @ -
MAX_NAME = 64
MIN_PASSWORD = 8
MAX_PASSWORD = 256
LOCKOUT_ACTION, ACCOUNT_ACTION = "account_locked", "account"


def _setting(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def max_failures() -> int:
    """Failed sign-ins in a row that lock an account (``GRIDATLAS_LOGIN_ATTEMPTS``, default 5)."""
    return _setting("GRIDATLAS_LOGIN_ATTEMPTS", 5)


def lockout_minutes() -> int:
    """How long a locked account stays locked (``GRIDATLAS_LOCKOUT_MINUTES``, default 15)."""
    return _setting("GRIDATLAS_LOCKOUT_MINUTES", 15)


def session_minutes() -> int:
    """Idle minutes before the app signs a user out (``GRIDATLAS_SESSION_MINUTES``, default 30)."""
    return _setting("GRIDATLAS_SESSION_MINUTES", 30)


@dataclass(frozen=True)
class User:
    """A signed-in (or listed) account: never carries its password hash."""

    name: str
    role: str
    level: str | None = None
    code: str | None = None
    disabled: bool = False
    last_login: str = ""
    locked_until: str = ""

    @property
    def scope(self) -> Scope:
        """The ``geo.access.Scope`` this account acts in."""
        return Scope(role=self.role, level=self.level, code=self.code, user=self.name)


def user_scope(user: User) -> Scope:
    """The ``geo.access.Scope`` of ``user`` (its role and unit, its name as the audit user)."""
    return user.scope


# --- the password hasher ---------------------------------------------------------------------
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


_DUMMY_HASH: list[str] = []  # a real hash of nothing: unknown names cost the same argon2 time


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_hasher().hash("gridatlas-no-such-user"))
    return _DUMMY_HASH[0]


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (its salt and parameters included)."""
    return _hasher().hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- validation ------------------------------------------------------------------------------
def check_name(name: str) -> str:
    """``name`` if it is a valid account name, else ``GeoInputError`` (``accounts.bad_name``).

    Letters (汉字 included), digits and ``_ . @ -``, 1–64 characters: no spaces, control
    characters, HTML or Markdown, so a name shows literally everywhere it is written.
    """
    text = str(name)
    if not NAME_PATTERN.fullmatch(text) or CONTROL_CHARACTERS.search(text):
        shown = CONTROL_CHARACTERS.sub("", text)[:MAX_NAME]
        msg = f"bad account name {shown!r}"
        raise GeoInputError(msg, code="accounts.bad_name", name=shown, max=MAX_NAME)
    return text


def check_password(password: str) -> str:
    """``password`` if long enough (8–256 characters), else ``GeoInputError`` (``accounts.weak_password``)."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        msg = "password too short or too long"
        raise GeoInputError(msg, code="accounts.weak_password", min=MIN_PASSWORD, max=MAX_PASSWORD)
    return password


def _unit_codes(store: Any, level: str) -> set[str]:
    layer = s.TOWNS if level == "town" else s.COMMUNITIES
    try:
        frame = store.read_layer(layer, columns=[s.CODE])
    except GeoInputError:
        return set()
    return {str(c) for c in frame[s.CODE].dropna()} if s.CODE in frame.columns else set()


def check_role(store: Any, *, role: str, level: str | None, code: str | None) -> tuple[str | None, str | None]:
    """The (level, code) an account of ``role`` covers, checked against the project's units.

    ``admin`` and ``city`` cover the whole project (no unit); ``town`` needs a town code,
    ``community`` a community code; ``viewer`` the whole project or one town or community. The
    code must exist in the project.
    """
    if role not in ROLES:
        msg = f"unknown role {role!r}"
        raise GeoInputError(msg, code="accounts.bad_role", role=str(role)[:40], roles=", ".join(ROLES))
    if role in (ADMIN, CITY):
        if code:
            msg = f"role {role} covers the whole project: no unit"
            raise GeoInputError(msg, code="accounts.unit_not_allowed", role=role)
        return None, None
    if role in (TOWN, COMMUNITY):
        level = role
    elif code and level is None:  # a viewer of one unit: the level its code has in the project
        level = "town" if str(code).strip() in _unit_codes(store, "town") else "community"
    if not code:
        if role == VIEWER and level is None:
            return None, None
        msg = f"role {role} needs a unit code"
        raise GeoInputError(msg, code="accounts.unit_missing", role=role, level=str(level or "town/community"))
    if level not in UNIT_LEVELS:
        msg = f"unknown unit level {level!r}"
        raise GeoInputError(msg, code="accounts.bad_level", level=str(level)[:40], levels=", ".join(UNIT_LEVELS))
    code = str(code).strip()
    if code not in _unit_codes(store, level):
        shown = CONTROL_CHARACTERS.sub("", code)[:40]
        msg = f"no {level} {shown!r} in the project"
        raise GeoInputError(msg, code="accounts.unknown_unit", level=level, unit=shown)
    return level, code


def _require_admin(actor: Scope) -> None:
    if not actor.is_admin:
        msg = f"{actor.user or '?'} ({actor.role}) may not manage accounts"
        raise GeoInputError(msg, code="accounts.not_admin", user=actor.user, role=actor.role)


# --- the store -----------------------------------------------------------------------------------
def _open(location: str | Path) -> Any:
    from geo.store import open_store

    store = open_store(location)
    if not store.exists():
        msg = f"{store.location} holds no GridAtlas project"
        raise GeoInputError(msg, code="accounts.no_project", file=store.location)
    return store


def _rows(store: Any) -> dict[str, dict[str, Any]]:
    return {str(r["name"]): r for r in store.read_accounts()}


def _user(row: dict[str, Any]) -> User:
    return User(name=str(row["name"]), role=str(row["role"]), level=row.get("level") or None,
                code=row.get("code") or None, disabled=bool(int(row.get("disabled") or 0)),
                last_login=str(row.get("last_login") or ""), locked_until=str(row.get("locked_until") or ""))


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _audit(store: Any, *, actor: Scope, what: str, name: str, detail: str, action: str = ACCOUNT_ACTION) -> None:
    """One audit row for an account change, appended to the project's audit log (a save)."""
    from geo.audit import log_event, scope_key

    project = store.load(layers=[s.AUDIT])
    scope = "" if action == LOCKOUT_ACTION else scope_key(actor)  # a lock-out is no one's act in a unit
    project = log_event(project, action=action, user=actor.user, obj=name, detail=detail, counts={what: 1},
                        scope=scope, scenario="-")
    store.save(project, user=actor.user)


# --- the functions -------------------------------------------------------------------------------
def list_users(*, location: str | Path) -> list[User]:
    """Every account of the project at ``location`` (a .gpkg path or a postgresql:// URL), by name."""
    return [_user(r) for _, r in sorted(_rows(_open(location)).items())]


def stored_account(*, location: str | Path, name: str) -> User | None:
    """The account ``name`` as stored now, or None when it is gone or disabled (a signed-in session then ends)."""
    row = _rows(_open(location)).get(name)
    user = None if row is None else _user(row)
    return None if user is None or user.disabled else user


def has_accounts(*, location: str | Path) -> bool:
    """Whether the project at ``location`` has at least one account (else the app says how to add one)."""
    return bool(_open(location).read_accounts())


def carry_account(*, source: str | Path, target: str | Path, name: str) -> User | None:
    """The whole-project account ``name`` of ``source`` copied (with its password hash) into ``target``.

    For a project the signed-in planner has just imported: ``target`` has no accounts yet, so
    its importer becomes its first account (audited there). None, and nothing written, when
    ``target`` already has accounts or the account is not an enabled admin/city account.
    """
    if str(source) == str(target):
        return None
    row = _rows(_open(source)).get(name)
    store = _open(target)
    if row is None or int(row.get("disabled") or 0) or row.get("role") not in (ADMIN, CITY) or store.read_accounts():
        return None
    now = _iso(_now())
    row = {**row, "level": None, "code": None, "failed": 0, "locked_until": "", "created_at": now, "updated_at": now}
    store.write_account(row)
    _audit(store, actor=Scope(role=str(row["role"]), user=name), what="added", name=name,
           detail=f"role={row['role']}; the importer of this project")
    return _user(row)


def add_user(*, location: str | Path, name: str, password: str, role: str, level: str | None = None,
             code: str | None = None, actor: Scope = LOCAL) -> User:
    """Add an account; ``actor`` must be an admin. Returns it (without its hash).

    Raises
    ------
    GeoInputError
        ``accounts.bad_name``, ``accounts.weak_password``, ``accounts.bad_role``,
        ``accounts.unit_missing``, ``accounts.unknown_unit``, ``accounts.exists``,
        ``accounts.not_admin``.
    """
    _require_admin(actor)
    store = _open(location)
    check_name(name)
    check_password(password)
    level, code = check_role(store, role=role, level=level, code=code)
    if name in _rows(store):
        msg = f"account {name} exists"
        raise GeoInputError(msg, code="accounts.exists", name=name)
    now = _iso(_now())
    row = {"name": name, "role": role, "level": level, "code": code, "password_hash": hash_password(password),
           "disabled": 0, "failed": 0, "locked_until": "", "created_at": now, "updated_at": now, "last_login": ""}
    store.write_account(row)
    _audit(store, actor=actor, what="added", name=name, detail=f"role={role}; unit={level or ''}:{code or ''}")
    return _user(row)


def _existing(store: Any, name: str) -> dict[str, Any]:
    row = _rows(store).get(str(name))
    if row is None:
        shown = CONTROL_CHARACTERS.sub("", str(name))[:MAX_NAME]
        msg = f"no account {shown!r}"
        raise GeoInputError(msg, code="accounts.unknown", name=shown)
    return row


def disable_user(*, location: str | Path, name: str, actor: Scope = LOCAL, disabled: bool = True) -> User:
    """Disable (or with ``disabled=False`` enable) an account; ``actor`` must be an admin.

    A disabled account cannot sign in. An admin cannot disable their own account (so a project
    always keeps the admin who is working on it).
    """
    _require_admin(actor)
    store = _open(location)
    row = _existing(store, name)
    if disabled and actor.user and actor.user == name:
        msg = "an admin cannot disable their own account"
        raise GeoInputError(msg, code="accounts.self_disable", name=name)
    row = {**row, "disabled": int(disabled), "updated_at": _iso(_now())}
    store.write_account(row)
    _audit(store, actor=actor, what="disabled" if disabled else "enabled", name=name, detail="")
    return _user(row)


def reset_password(*, location: str | Path, name: str, password: str, actor: Scope = LOCAL) -> User:
    """Set a new password for ``name`` and unlock it; ``actor`` must be an admin."""
    _require_admin(actor)
    check_password(password)
    store = _open(location)
    row = _existing(store, name)
    row = {**row, "password_hash": hash_password(password), "failed": 0, "locked_until": "",
           "updated_at": _iso(_now())}
    store.write_account(row)
    _audit(store, actor=actor, what="reset", name=name, detail="")
    return _user(row)


def authenticate(*, location: str | Path, name: str, password: str, now: datetime | None = None) -> User:
    """The account ``name`` if ``password`` is right and the account may sign in.

    Raises
    ------
    GeoInputError
        ``accounts.bad_login`` (unknown name, wrong password or disabled: one message, so a
        guesser learns nothing), ``accounts.locked`` (too many failures: ``until`` names when it
        opens again), ``accounts.no_project``.
    """
    when = now or _now()
    store = _open(location)
    row = _rows(store).get(str(name)) if NAME_PATTERN.fullmatch(str(name)) else None
    if row is None:
        _verify(_dummy_hash(), str(password))
        raise _bad_login()
    locked = str(row.get("locked_until") or "")
    if locked and datetime.fromisoformat(locked) > when:
        _verify(_dummy_hash(), str(password))
        msg = f"account {name} is locked until {locked}"
        raise GeoInputError(msg, code="accounts.locked", until=_local_time(locked), minutes=lockout_minutes())
    ok = _verify(str(row["password_hash"]), str(password))
    if ok and not int(row.get("disabled") or 0):
        store.write_account({**row, "failed": 0, "locked_until": "", "last_login": _iso(when)})
        return _user({**row, "last_login": _iso(when)})
    if not ok:
        _count_failure(store, row, when)
    raise _bad_login()


def _bad_login() -> GeoInputError:
    return GeoInputError("wrong name or password, or the account is disabled", code="accounts.bad_login")


def _local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def _count_failure(store: Any, row: dict[str, Any], when: datetime) -> None:
    failed = int(row.get("failed") or 0) + 1
    update = {**row, "failed": failed}
    if failed >= max_failures():
        update = {**update, "failed": 0, "locked_until": _iso(when + timedelta(minutes=lockout_minutes()))}
    store.write_account(update)
    if update["locked_until"] and update["locked_until"] != row.get("locked_until"):
        _audit(store, actor=Scope(role=VIEWER, user=str(row["name"])), what="locked", name=str(row["name"]),
               detail=f"failures={failed}; until={update['locked_until']}", action=LOCKOUT_ACTION)
