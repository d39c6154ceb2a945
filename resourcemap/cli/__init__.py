"""The ``resourcemap`` command: a thin layer over the library.

Why a package: each command lives in its own module (``cmd_<name>.py``) with a
``register(subparsers, common)`` function; :data:`COMMANDS` lists them. Every command takes
``--db`` and ``--json``; bad input exits 2 with one line on stderr (CONTRACT.md).
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Callable, Sequence

from ..errors import ResourcemapError, StoreError

__all__ = ["main", "COMMANDS", "emit", "Context"]

#: Command modules, in the order ``--help`` lists them.
COMMANDS: list[str] = ["init", "serve", "nodes", "keys", "match", "unmet", "gaps", "network", "import_",
                       "sources", "links", "export", "migrate"]


class Context:
    """What a command gets: parsed args and lazily opened store/read model."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._store = None
        self._aux = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def store_url(self) -> str:
        from ..graph.stores import store_url

        return store_url(getattr(self.args, "db", None))

    def store(self, *, create: bool = False):
        if self._store is None:
            from ..graph.stores import open_store

            self._store = open_store(self.store_url(), create=create)
        return self._store

    def aux(self):
        """The auxiliary tables beside the catalogue (keys, unmet counts, the open-data registry)."""
        if self._aux is None:
            from ..auxdb import AuxDB
            from ..keys import aux_path

            self._aux = AuxDB(aux_path(self.store_url()))
        return self._aux

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._aux is not None:
            self._aux.close()


def emit(ctx: Context, data: Any, human: Callable[[Any], str] | str | None = None) -> None:
    """Print *data* as JSON with ``--json``, else the human rendering."""
    if ctx.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif callable(human):
        print(human(data))
    elif human is not None:
        print(human)
    else:
        print(data)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="catalogue file or store URL (default: $RESOURCEMAP_STORE, $RESOURCEMAP_DB, "
                             "./data/resourcemap.db)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output on stdout")
    return common


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with one line, as for any bad input
        print(f"resourcemap: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="resourcemap", parents=[common],
                     description="社会資源・支援機関のグラフ地図 (重層的支援体制整備事業) — resource graph for "
                                 "Japanese municipalities")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f".cmd_{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"cmd_{name}"):
                continue  # a command not built yet
            raise
        mod.register(sub, common)
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
