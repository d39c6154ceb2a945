"""What every command gets and uses: the :class:`Context` (settings, store), :func:`emit`, the parser class.

Why apart from :mod:`resourcemap.cli`: the command modules use these, and the package imports the
command modules to register them; here, neither imports the other.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Callable, NoReturn

if TYPE_CHECKING:
    from ..auxdb import AuxDB
    from ..config import Settings
    from ..graph.stores.base import GraphStore

__all__ = ["Context", "emit", "Parser"]


class Context:
    """What a command gets: parsed args, the settings (read once: ``--db`` > environment > defaults)
    and a lazily opened store and auxiliary tables."""

    def __init__(self, args: argparse.Namespace) -> None:
        from ..config import load

        self.args = args
        self.settings: Settings = load(db=getattr(args, "db", None))
        self._store: GraphStore | None = None
        self._aux: AuxDB | None = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def store(self, *, create: bool = False) -> GraphStore:
        if self._store is None:
            from ..graph.stores import open_store

            self._store = open_store(settings=self.settings, create=create)
        return self._store

    def aux(self) -> AuxDB:
        """The auxiliary tables beside the catalogue (keys, unmet counts, the open-data registry)."""
        if self._aux is None:
            from ..auxdb import AuxDB

            self._aux = AuxDB(self.settings.aux_db)
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


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with one line, as for any bad input
        print(f"resourcemap: {message}", file=sys.stderr)
        raise SystemExit(2)
