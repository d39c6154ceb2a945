"""Settings of one resourcemap process, read once: arguments > environment > defaults.

Why one module: the store URL, the auxiliary file, Bolt credentials, the seed folder and the
body limit used to be read from ``os.environ`` in five places, and ``serve`` wrote the
environment to reach its own app. Now every entry point — the CLI's ``main``, the API's
``create_app``, a library call given no settings — calls :func:`load` once and passes the
:class:`Settings` down (geopandas chooses its engine the same way: argument, then option,
then default). Nothing else in resourcemap reads the environment, and nothing writes it.

======================================  ==================  =====================================
environment variable                    setting             default
======================================  ==================  =====================================
``RESOURCEMAP_STORE``                   ``store_url``       ``sqlite:///`` + ``RESOURCEMAP_DB``
``RESOURCEMAP_DB``                      catalogue file      ``data/resourcemap.db``
(the catalogue file itself, or          ``aux_db``          the SQLite catalogue, else
``RESOURCEMAP_DB`` beside a server)                         ``RESOURCEMAP_DB``
``RESOURCEMAP_BOLT_USER`` / ``_PASSWORD``  ``bolt.user`` …  none (no authentication)
``RESOURCEMAP_BOLT_DATABASE``           ``bolt.database``   the server's default database
``RESOURCEMAP_BOLT_DIALECT``            ``bolt.dialect``    detected from the server
``RESOURCEMAP_SEEDS``                   ``seeds_dir``       the repository's (or package's) seeds
``RESOURCEMAP_MAX_BODY``                ``max_body_bytes``  5 MiB
======================================  ==================  =====================================

>>> s = load(db="/tmp/catalogue.db", environ={})
>>> s.store_url, s.aux_db
('sqlite:////tmp/catalogue.db', '/tmp/catalogue.db')
>>> load(environ={"RESOURCEMAP_STORE": "bolt://db:7687", "RESOURCEMAP_DB": "aux.db"}).aux_db
'aux.db'
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["Settings", "BoltOptions", "load", "normalise_store_url", "DEFAULT_DB", "DEFAULT_MAX_BODY"]

#: The catalogue file when nothing else is said.
DEFAULT_DB = "data/resourcemap.db"
#: The largest request body the API reads (bytes).
DEFAULT_MAX_BODY = 5 * 1024 * 1024
_BOLT_SCHEMES = ("bolt://", "neo4j://", "bolt+s://", "neo4j+s://", "bolt+ssc://", "neo4j+ssc://")


@dataclass(frozen=True)
class BoltOptions:
    """Credentials and choices for a Bolt graph server (ignored for the embedded store)."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    dialect: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """The keyword arguments :class:`~resourcemap.graph.stores.bolt.BoltStore` takes (unset ones left out)."""
        return {k: v for k, v in (("user", self.user), ("password", self.password), ("database", self.database),
                                  ("dialect", self.dialect)) if v is not None}


@dataclass(frozen=True)
class Settings:
    """Everything a resourcemap process is configured with (see the module docstring)."""

    store_url: str
    #: SQLite file for API keys, unmet-need counters and the corrections queue (the catalogue
    #: file itself for the embedded store; a local file when the catalogue is on a graph server).
    aux_db: str
    bolt: BoltOptions = BoltOptions()
    seeds_dir: Path | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY

    def store_options(self, url: str | None = None) -> dict[str, Any]:
        """Options for opening *url* (default: this store): the Bolt credentials for a graph server."""
        return self.bolt.as_kwargs() if (url or self.store_url).startswith(_BOLT_SCHEMES) else {}

    def environment(self) -> dict[str, str]:
        """Environment variables that make :func:`load` in another process give these settings
        (``serve --workers N`` hands them to its worker processes this way, never through its own
        ``os.environ``)."""
        env = {"RESOURCEMAP_STORE": self.store_url, "RESOURCEMAP_MAX_BODY": str(self.max_body_bytes)}
        if not self.store_url.startswith("sqlite:///"):
            env["RESOURCEMAP_DB"] = self.aux_db
        for name, value in (("USER", self.bolt.user), ("PASSWORD", self.bolt.password),
                            ("DATABASE", self.bolt.database), ("DIALECT", self.bolt.dialect)):
            if value is not None:
                env[f"RESOURCEMAP_BOLT_{name}"] = value
        if self.seeds_dir is not None:
            env["RESOURCEMAP_SEEDS"] = str(self.seeds_dir)
        return env

    def child_environment(self) -> dict[str, str]:
        """This process's environment with :meth:`environment` on top: what a worker process is started with."""
        return {**os.environ, **self.environment()}


def normalise_store_url(db: str | os.PathLike[str]) -> str:
    """A store URL as given, or a catalogue file path as ``sqlite:///<absolute path>``.

    >>> normalise_store_url("bolt://localhost:7687")
    'bolt://localhost:7687'
    >>> normalise_store_url("/srv/catalogue.db")
    'sqlite:////srv/catalogue.db'
    """
    s = str(db)
    return s if "://" in s else f"sqlite:///{Path(s).resolve()}"


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"環境変数 {name}={raw!r} は整数（バイト数）で指定してください。") from None


def load(*, db: str | os.PathLike[str] | None = None, aux_db: str | None = None,
         environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """The settings: explicit arguments > the environment (*environ*, default ``os.environ``) > defaults.

    ``db`` is a catalogue file or a store URL (the CLI's ``--db``); *overrides* set any other
    :class:`Settings` field (``max_body_bytes=…``, ``bolt=BoltOptions(…)``).
    """
    env = os.environ if environ is None else environ
    if db:
        url = normalise_store_url(db)
    else:
        url = env.get("RESOURCEMAP_STORE") or normalise_store_url(env.get("RESOURCEMAP_DB", DEFAULT_DB))
    if aux_db is None:
        aux_db = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else env.get("RESOURCEMAP_DB", DEFAULT_DB)
    values: dict[str, Any] = {
        "bolt": BoltOptions(user=env.get("RESOURCEMAP_BOLT_USER"), password=env.get("RESOURCEMAP_BOLT_PASSWORD"),
                            database=env.get("RESOURCEMAP_BOLT_DATABASE") or None,
                            dialect=env.get("RESOURCEMAP_BOLT_DIALECT") or None),
        "seeds_dir": Path(env["RESOURCEMAP_SEEDS"]) if env.get("RESOURCEMAP_SEEDS") else None,
        "max_body_bytes": _int(env, "RESOURCEMAP_MAX_BODY", DEFAULT_MAX_BODY),
    }
    values.update(overrides)
    return Settings(store_url=url, aux_db=aux_db, **values)
