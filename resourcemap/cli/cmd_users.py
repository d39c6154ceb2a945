"""``resourcemap users create|list|disable``: the people who sign in to the pages (argon2id password hashes)."""
from __future__ import annotations

import sys


def register(sub, common) -> None:
    p = sub.add_parser("users", parents=[common], help="manage the people who sign in to the pages",
                       description="People sign in to the pages with a name and password (roles viewer < editor < "
                                   "admin, as for API keys); only an argon2id hash of the password is stored. "
                                   "Programs use API keys (`resourcemap keys`).")
    from .context import Parser

    us = p.add_subparsers(dest="users_command", metavar="ACTION", parser_class=Parser)
    us.required = True
    c = us.add_parser("create", parents=[common], help="add a person; the password is read from stdin",
                      description="Adds a person. The password (10 characters or more) is read from standard input "
                                  "(the first line), never from the command line, so it stays out of shell history.")
    c.add_argument("--name", required=True, help="the person's name as the audit log shows it (1–64 characters)")
    c.add_argument("--role", required=True, choices=["viewer", "editor", "admin"])
    c.set_defaults(func=run_create)
    ls = us.add_parser("list", parents=[common], help="list people (names, roles, state; never passwords)")
    ls.set_defaults(func=run_list)
    d = us.add_parser("disable", parents=[common], help="disable a person; their sessions end at once")
    d.add_argument("name", help="the person's name")
    d.set_defaults(func=run_disable)


def _people(ctx):
    from ..auxdb import AuxDB
    from ..people import People

    return People(AuxDB(ctx.settings.aux_db), session_hours=ctx.settings.session_hours)


def run_create(ctx) -> int:
    from ..errors import InputError
    from .context import emit

    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InputError("パスワードを標準入力から渡してください（例: `resourcemap users create --name 山田 --role editor"
                         " < ファイル`、または実行後に入力して Enter）。")
    people = _people(ctx)
    try:
        person = people.create(ctx.args.name, ctx.args.role, password)
    finally:
        people.aux.close()
    emit(ctx, person.as_dict(), lambda d: f"利用者「{d['name']}」（{d['role']}）を作成しました。")
    return 0


def run_list(ctx) -> int:
    from .context import emit

    people = _people(ctx)
    try:
        rows = [p.as_dict() for p in people.list()]
    finally:
        people.aux.close()

    def table(rows):
        lines = [f"{'名前':<20}{'役割':<8}{'作成':<27}状態"]
        for p in rows:
            state = "有効" if p["active"] else f"無効 {p['disabled_at']}"
            lines.append(f"{p['name'][:18]:<20}{p['role']:<8}{p['created_at']:<27}{state}")
        return "\n".join(lines) + f"\n（{len(rows)} 人）"

    emit(ctx, rows, table)
    return 0


def run_disable(ctx) -> int:
    from .context import emit

    people = _people(ctx)
    try:
        person = people.disable(ctx.args.name)
    finally:
        people.aux.close()
    emit(ctx, person.as_dict(), lambda d: f"利用者「{d['name']}」を無効にしました（サインイン中のページも終了しました）。")
    return 0
