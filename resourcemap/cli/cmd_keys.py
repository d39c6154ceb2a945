"""``resourcemap keys create|list|revoke``: manage API keys (only salted hashes are stored)."""
from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("keys", parents=[common], help="manage API keys (create, list, revoke)",
                       description="API keys with roles viewer < editor < admin. A new key is printed once; "
                                   "only its salted hash is stored.")
    from .context import Parser

    ks = p.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=Parser)
    ks.required = True
    c = ks.add_parser("create", parents=[common], help="create a key and print it once")
    c.add_argument("--role", required=True, choices=["viewer", "editor", "admin"])
    c.add_argument("--name", help="a name for the audit log (letters, digits . _ @ -); default <role>-<id>")
    c.set_defaults(func=run_create)
    ls = ks.add_parser("list", parents=[common], help="list keys (ids, names, roles; never the keys)")
    ls.add_argument("--active", action="store_true", help="only keys that are not revoked")
    ls.set_defaults(func=run_list)
    r = ks.add_parser("revoke", parents=[common], help="revoke a key by id or name (effective at once)")
    r.add_argument("key", help="key id (as `keys list` shows) or name")
    r.set_defaults(func=run_revoke)


def _ring(ctx):
    from ..keys import KeyRing

    return KeyRing(ctx.settings.aux_db)


def run_create(ctx) -> int:
    from .context import emit

    ring = _ring(ctx)
    try:
        key, info = ring.create(ctx.args.role, ctx.args.name)
    finally:
        ring.close()
    emit(ctx, {"key": key, "role": info.role, "name": info.name, "id": info.id},
         lambda d: f"API キーを作成しました（{d['role']}, 名前 {d['name']}, id {d['id']}）。この表示は一度だけです:\n{d['key']}")
    return 0


def run_list(ctx) -> int:
    from .context import emit

    ring = _ring(ctx)
    try:
        keys = [k.as_dict() for k in ring.list(include_revoked=not ctx.args.active)]
    finally:
        ring.close()

    def table(rows):
        lines = [f"{'id':<14}{'名前':<24}{'役割':<8}{'作成':<27}状態"]
        for k in rows:
            state = "有効" if k["active"] else f"失効 {k['revoked_at']}"
            lines.append(f"{k['id']:<14}{k['name'][:22]:<24}{k['role']:<8}{k['created_at']:<27}{state}")
        return "\n".join(lines) + f"\n（{len(rows)} 件）"

    emit(ctx, keys, table)
    return 0


def run_revoke(ctx) -> int:
    from .context import emit

    ring = _ring(ctx)
    try:
        info = ring.revoke(ctx.args.key)
    finally:
        ring.close()
    emit(ctx, info.as_dict(), lambda d: f"鍵 {d['id']}（{d['name']}）を失効させました。")
    return 0
