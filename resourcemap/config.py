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
``RESOURCEMAP_UNMET_MIN_COUNT``         ``unmet_min_count`` 3 (unmet-need counts below it are
                                                            published as 「3未満」; 1 turns it off)
``RESOURCEMAP_AUTH_FAILURES_PER_KEY``   ``auth_limits``     5 failed key checks per client and key
``RESOURCEMAP_AUTH_FAILURES_PER_CLIENT``  ``.per_key`` …    id, 30 per client, in a window of
``RESOURCEMAP_AUTH_WINDOW_S``                               60 s (then 429, :mod:`api.ratelimit`)
``RESOURCEMAP_HSDS_PUBLIC``             ``hsds_public``     1: the HSDS API (/hsds/) answers without
                                                            a key; 0: any key is needed
``RESOURCEMAP_SESSION_HOURS``           ``session_hours``   8 (a signed-in page session's lifetime)
``RESOURCEMAP_TILES``                   ``tiles``           none: the offline base map only; ``gsi``
                                                            (地理院タイル 標準地図), ``gsi-pale`` (淡色地図)
                                                            or ``<URL template>|<attribution>``
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

__all__ = ["Settings", "BoltOptions", "AuthLimits", "TileLayer", "TILE_PRESETS", "load", "normalise_store_url", "DEFAULT_DB", "DEFAULT_MAX_BODY",
           "DEFAULT_UNMET_MIN_COUNT"]

#: The catalogue file when nothing else is said.
DEFAULT_DB = "data/resourcemap.db"
#: The largest request body the API reads (bytes).
DEFAULT_MAX_BODY = 5 * 1024 * 1024
#: Unmet-need counts below this are suppressed for everyone but an admin (:mod:`resourcemap.match.disclosure`).
DEFAULT_UNMET_MIN_COUNT = 3
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
class AuthLimits:
    """How many failed API-key checks the API takes before it answers 429 (:mod:`api.ratelimit`):
    per client address and key id, per client address, in a sliding window; ``max_entries`` bounds
    the memory of each table."""

    per_key: int = 5
    per_client: int = 30
    window_s: float = 60.0
    max_entries: int = 10_000


@dataclass(frozen=True)
class TileLayer:
    """An online background for the maps: a ``{z}/{x}/{y}`` URL template and the credit it requires."""

    url: str
    attribution: str

    @property
    def origin(self) -> str:
        """``https://host`` of the template (the pages' Content-Security-Policy allows images from it)."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


_GSI = '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'
#: Named tile layers for ``RESOURCEMAP_TILES``.
TILE_PRESETS: dict[str, TileLayer] = {
    "gsi": TileLayer("https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png", _GSI),
    "gsi-pale": TileLayer("https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png", _GSI),
}


def parse_tiles(raw: str | None) -> TileLayer | None:
    """``RESOURCEMAP_TILES``: empty (offline base map only), a preset name, or ``<URL template>|<attribution>``.

    >>> parse_tiles("gsi").origin
    'https://cyberjapandata.gsi.go.jp'
    >>> parse_tiles("https://tiles.example.jp/{z}/{x}/{y}.png|© 例").attribution
    '© 例'
    """
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if raw in TILE_PRESETS:
        return TILE_PRESETS[raw]
    url, _, credit = raw.partition("|")
    if not url.startswith(("https://", "http://")) or not all(p in url for p in ("{z}", "{x}", "{y}")) \
            or not credit.strip():
        raise InputError(f"環境変数 RESOURCEMAP_TILES={raw!r} は {' / '.join(TILE_PRESETS)} か "
                         "'https://…/{z}/{x}/{y}.png|出典の表示' で指定してください（空なら地図タイルなし）。")
    return TileLayer(url.strip(), credit.strip())


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
    #: Below admin, unmet-need counts under this are published as 「N未満」 (1: nothing suppressed).
    unmet_min_count: int = DEFAULT_UNMET_MIN_COUNT
    auth_limits: AuthLimits = AuthLimits()
    #: The HSDS directory (/hsds/) answers without a key; False: a key of any role is needed.
    hsds_public: bool = True
    #: How long a signed-in page session lasts (hours).
    session_hours: float = 8.0
    #: The maps' online background (None: the offline base map only — boundary, 町丁目, areas, facilities).
    tiles: TileLayer | None = None

    def store_options(self, url: str | None = None) -> dict[str, Any]:
        """Options for opening *url* (default: this store): the Bolt credentials for a graph server."""
        return self.bolt.as_kwargs() if (url or self.store_url).startswith(_BOLT_SCHEMES) else {}

    def environment(self) -> dict[str, str]:
        """Environment variables that make :func:`load` in another process give these settings
        (``serve --workers N`` hands them to its worker processes this way, never through its own
        ``os.environ``)."""
        env = {"RESOURCEMAP_STORE": self.store_url, "RESOURCEMAP_MAX_BODY": str(self.max_body_bytes),
               "RESOURCEMAP_UNMET_MIN_COUNT": str(self.unmet_min_count),
               "RESOURCEMAP_AUTH_FAILURES_PER_KEY": str(self.auth_limits.per_key),
               "RESOURCEMAP_AUTH_FAILURES_PER_CLIENT": str(self.auth_limits.per_client),
               "RESOURCEMAP_AUTH_WINDOW_S": repr(self.auth_limits.window_s),
               "RESOURCEMAP_HSDS_PUBLIC": "1" if self.hsds_public else "0",
               "RESOURCEMAP_SESSION_HOURS": repr(self.session_hours)}
        if self.tiles is not None:
            env["RESOURCEMAP_TILES"] = f"{self.tiles.url}|{self.tiles.attribution}"
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


def _number(environ: Mapping[str, str], name: str, default: Any, *, what: str, least: float = 0,
            kind: type = int) -> Any:
    """The number in environment variable *name* (at least *least*), else *default*; a clear error otherwise."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value < least:
        raise InputError(f"環境変数 {name}={raw!r} は{what}で指定してください（既定 {default}）。")
    return value


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off setting: 1/true/yes/on or 0/false/no/off (anything else is refused)."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InputError(f"環境変数 {name} は 1（オン）か 0（オフ）で指定してください（指定: {raw!r}）。")


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
        "max_body_bytes": _number(env, "RESOURCEMAP_MAX_BODY", DEFAULT_MAX_BODY, what="整数（バイト数）"),
        "unmet_min_count": _number(env, "RESOURCEMAP_UNMET_MIN_COUNT", DEFAULT_UNMET_MIN_COUNT,
                                   what="1 以上の整数", least=1),
        "auth_limits": AuthLimits(
            per_key=_number(env, "RESOURCEMAP_AUTH_FAILURES_PER_KEY", AuthLimits.per_key, what="1 以上の整数", least=1),
            per_client=_number(env, "RESOURCEMAP_AUTH_FAILURES_PER_CLIENT", AuthLimits.per_client,
                               what="1 以上の整数", least=1),
            window_s=_number(env, "RESOURCEMAP_AUTH_WINDOW_S", AuthLimits.window_s, what="正の秒数", least=1e-3,
                             kind=float)),
        "hsds_public": _flag(env, "RESOURCEMAP_HSDS_PUBLIC", True),
        "session_hours": _number(env, "RESOURCEMAP_SESSION_HOURS", 8.0, what="正の時間数", least=0.01, kind=float),
        "tiles": parse_tiles(env.get("RESOURCEMAP_TILES")),
    }
    values.update(overrides)
    return Settings(store_url=url, aux_db=aux_db, **values)
