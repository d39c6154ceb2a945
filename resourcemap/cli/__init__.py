"""The ``resourcemap`` command: a thin layer over the library.

Why a package: each command lives in its own module (``cmd_<name>.py``) with a
``register(subparsers, common)`` function; :data:`COMMANDS` lists the modules themselves, in
the order ``--help`` shows them (nothing is found by name at run time). Every command takes
``--db`` and ``--json``; bad input exits 2 with one line on stderr (CONTRACT.md).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from ..errors import ResourcemapError, StoreError
from . import (
    cmd_check,
    cmd_export,
    cmd_gaps,
    cmd_import_,
    cmd_init,
    cmd_keys,
    cmd_links,
    cmd_match,
    cmd_migrate,
    cmd_network,
    cmd_nodes,
    cmd_serve,
    cmd_sources,
    cmd_unmet,
    cmd_users,
)
from .context import Context, Parser, emit

__all__ = ["main", "COMMANDS", "emit", "Context"]

#: Command modules, in the order ``--help`` lists them.
COMMANDS: tuple[ModuleType, ...] = (cmd_init, cmd_serve, cmd_nodes, cmd_keys, cmd_users, cmd_match, cmd_unmet, cmd_gaps,
                                    cmd_network, cmd_import_, cmd_sources, cmd_links, cmd_export, cmd_check,
                                    cmd_migrate)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="catalogue file or store URL (default: $RESOURCEMAP_STORE, $RESOURCEMAP_DB, "
                             "./data/resourcemap.db)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output on stdout")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = Parser(prog="resourcemap", parents=[common],
                     description="社会資源・支援機関のグラフ地図 (重層的支援体制整備事業) — resource graph for "
                                 "Japanese municipalities")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for command in COMMANDS:
        command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context(args)
    try:
        return int(args.func(ctx) or 0)
    except StoreError as exc:
        print(f"resourcemap: {exc.detail}", file=sys.stderr)
        return 1
    except ResourcemapError as exc:
        print(f"resourcemap: {exc.detail.splitlines()[0] if exc.detail else exc.title}", file=sys.stderr)
        if len(exc.detail.splitlines()) > 1 and not ctx.json:
            print("\n".join(exc.detail.splitlines()[1:]), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
