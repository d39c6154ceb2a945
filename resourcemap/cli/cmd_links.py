"""``resourcemap links [--city C] [--status S]``, ``links accept ID``, ``links reject ID``, ``links run``.

The linker's proposals: an imported site that is a plan's node (``same_site``), a site that
delivers a programme (``delivers``). Unambiguous ones were applied by the linker (status
``accepted``, decided by ``linker``); the rest wait here for an editor.
"""
from __future__ import annotations


def register(sub, common) -> None:
    from ..opendata import LINK_STATUSES
    from .context import Parser

    p = sub.add_parser("links", parents=[common], help="review the linker's plan ↔ site and programme ↔ site links",
                       description="List the linker's proposals (default: all), accept or reject one, or run the "
                                   "linker again for a municipality.")
    p.add_argument("--city", help="only this municipality (code or name)")
    p.add_argument("--status", choices=list(LINK_STATUSES), help="only proposals with this status")
    p.set_defaults(func=run_list)
    ls = p.add_subparsers(dest="links_command", metavar="ACTION", parser_class=Parser)
    a = ls.add_parser("accept", parents=[common], help="apply a proposal (merge the site / add the implements edge)")
    a.add_argument("id", type=int, help="proposal id (as `links` shows)")
    a.add_argument("--actor", default=None, help="name recorded in the audit log (default: cli:<user>)")
    a.set_defaults(func=run_accept)
    r = ls.add_parser("reject", parents=[common], help="reject a proposal (it is not proposed again)")
    r.add_argument("id", type=int, help="proposal id (as `links` shows)")
    r.add_argument("--note", help="why (kept with the decision)")
    r.add_argument("--actor", default=None, help="name recorded with the decision (default: cli:<user>)")
    r.set_defaults(func=run_reject)
    g = ls.add_parser("run", parents=[common], help="run the linker again (e.g. after editing the plan's nodes)")
    g.add_argument("--city", required=True, help="municipality (code or name)")
    g.set_defaults(func=run_linker)


def _line(d: dict) -> str:
    what = "同じ施設" if d["kind"] == "same_site" else "事業の実施"
    return (f"{d['id']:>5} {d['status']:<8} {what} {d.get('subject_name') or ''}（{d['subject_id']}）← "
            f"{d.get('site_name') or ''}（{d['site_id']}）score {d['score']:.2f}: {d['evidence']}")


def _actor(ctx) -> str:
    import getpass

    return ctx.args.actor or f"cli:{getpass.getuser()}"


def _registry(ctx):
    from ..opendata import Registry

    return Registry(ctx.aux())


def run_list(ctx) -> int:
    from ..opendata import describe
    from ..queries import catalogue_city
    from .context import emit

    city = catalogue_city(ctx.store(), ctx.args.city) if ctx.args.city else None
    items = describe(ctx.store(), _registry(ctx).links(city=city, status=ctx.args.status))
    emit(ctx, items, lambda d: "\n".join(_line(x) for x in d) or "該当するリンク提案はありません。")
    return 0


def run_accept(ctx) -> int:
    from ..opendata import accept
    from .context import emit

    d = accept(ctx.store(), _registry(ctx), ctx.args.id, by=_actor(ctx))
    emit(ctx, d, lambda x: "承認して反映しました: " + _line(x))
    return 0


def run_reject(ctx) -> int:
    from ..opendata import reject
    from .context import emit

    d = reject(_registry(ctx), ctx.args.id, by=_actor(ctx), note=ctx.args.note)
    emit(ctx, d, lambda x: "却下しました: " + _line(x))
    return 0


def run_linker(ctx) -> int:
    from ..opendata import link_city
    from ..queries import catalogue_city
    from .context import emit

    summary = link_city(ctx.store(), _registry(ctx), catalogue_city(ctx.store(), ctx.args.city))
    emit(ctx, summary, lambda s: f"自動で結合 {s['merged']}、事業との関係 {s['edges']}、新しい提案 {s['proposed']}")
    return 0
