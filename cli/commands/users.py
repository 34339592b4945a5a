"""``python -m cli users add|list|disable|enable|reset PROJECT ...``: the sign-in accounts of a project.

The command line acts as the admin of the machine's own project file (``geo.access.LOCAL``):
whoever can write the file can manage its accounts. Passwords are read from a prompt (typed
twice, not echoed) or, for scripts, one line of standard input (``--password-stdin``);
``--password`` exists for tests and throw-away scripts only (it stays in the shell history).
Exit codes: 0 done, 2 refused or bad input, 3 internal error.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from geo.access import ROLES, UNIT_LEVELS
from geo.accounts import add_user, disable_user, list_users, reset_password
from geo.errors import GeoInputError
from geo.messages import t

NAME = "users"
HELP = "cli.users.help"


def add_arguments(parser: argparse.ArgumentParser, lang: str) -> None:
    """The ``add``, ``list``, ``disable``, ``enable`` and ``reset`` actions."""
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    for action in ("add", "list", "disable", "enable", "reset"):
        cmd = sub.add_parser(action, help=t(f"cli.users.{action}.help", lang),
                             description=t(f"cli.users.{action}.help", lang), epilog=t("cli.exit_codes", lang))
        cmd.add_argument("project", help=t("cli.users.arg_project", lang))
        if action == "list":
            continue
        cmd.add_argument("name", help=t("cli.users.arg_name", lang))
        if action == "add":
            cmd.add_argument("--role", required=True, choices=ROLES, help=t("cli.users.arg_role", lang))
            cmd.add_argument("--unit", help=t("cli.users.arg_unit", lang))
            cmd.add_argument("--level", choices=UNIT_LEVELS, help=t("cli.users.arg_level", lang))
        if action in ("add", "reset"):
            cmd.add_argument("--password-stdin", action="store_true", help=t("cli.users.arg_password_stdin", lang))
            cmd.add_argument("--password", help=t("cli.users.arg_password", lang))


def read_password(args: argparse.Namespace, lang: str) -> str:
    """The new password: ``--password``, one line of stdin (``--password-stdin``), or typed twice at a prompt."""
    if args.password is not None:
        return args.password
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise GeoInputError("no password on stdin", code="accounts.no_password")
        return line
    first = getpass.getpass(t("cli.users.prompt", lang, name=args.name))
    if getpass.getpass(t("cli.users.prompt_again", lang)) != first:
        raise GeoInputError("passwords differ", code="accounts.password_mismatch")
    return first


def _list(project: str, lang: str) -> int:
    users = list_users(location=project)
    if not users:
        print(t("cli.users.none", lang, project=project))
        return 0
    print(t("cli.users.columns", lang))
    for user in users:
        state = t("cli.users.inactive" if user.disabled else "cli.users.active", lang)
        if user.locked_until:
            state += " · " + t("cli.users.locked", lang, until=user.locked_until)
        unit = f"{user.level}:{user.code}" if user.code else "*"
        print("\t".join([user.name, t(f"account_role.{user.role}", lang), unit, state, user.last_login or "-"]))
    return 0


def run(args: argparse.Namespace, lang: str) -> int:
    """Do one account action on the project; print what was done."""
    action, project = args.users_command, args.project
    if action == "list":
        return _list(project, lang)
    if action == "add":
        level = args.level if args.role == "viewer" else None  # a viewer's level is found from its unit code
        user = add_user(location=project, name=args.name, password=read_password(args, lang), role=args.role,
                        level=level, code=args.unit)
        unit = f" · {user.level}:{user.code}" if user.code else ""
        print(t("cli.users.added", lang, name=user.name, role=t(f"account_role.{user.role}", lang), unit=unit))
    elif action in ("disable", "enable"):
        disable_user(location=project, name=args.name, disabled=action == "disable")
        print(t(f"cli.users.{action}d", lang, name=args.name))
    else:
        reset_password(location=project, name=args.name, password=read_password(args, lang))
        print(t("cli.users.reset", lang, name=args.name))
    return 0
