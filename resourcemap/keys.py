"""API keys: roles viewer < editor < admin; only a salted, slow hash of each key is stored.

Why this shape: a key looks like ``rmk_<id>_<secret>``. The ``<id>`` (12 hex digits) is not
secret — it names the row to check, so verification costs one scrypt, never a scan — and it
is what ``keys list`` shows and ``keys revoke`` takes. The ``<secret>`` (256 random bits)
is stored only as ``scrypt(secret, per-key salt)``. A verified key is remembered in memory
under a keyed BLAKE2 digest (never the key itself) so each request costs one hash and one
indexed read; that read also sees revocations made by other processes at once. The cache is
an LRU of at most :data:`_CACHE_MAX` keys.

Rejection costs the same whether or not the id exists: an unknown (or revoked) id is hashed
against a dummy salt and hash, so timing tells an attacker nothing about which ids exist. At
most :data:`_SCRYPT_SLOTS` checks hash at once (each takes 16 MiB), so a flood of guesses
cannot grow the server's memory; the API also limits failed checks (``api.ratelimit``).

Keys live in the auxiliary tables (:class:`resourcemap.auxdb.AuxDB`, component ``keys``), so
they work the same whichever store holds the catalogue. Nothing here logs a key.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from .auxdb import AuxDB
from .errors import InputError, NotFound
from .model import now_utc

__all__ = ["ROLES", "KeyInfo", "KeyRing", "key_id", "role_at_least"]

#: Roles in increasing order of power.
ROLES: tuple[str, ...] = ("viewer", "editor", "admin")

MIGRATIONS = [
    """
    CREATE TABLE api_keys(
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
        salt BLOB NOT NULL, hash BLOB NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)
    """,
]

_KEY_RE = re.compile(r"^rmk_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{20,100})$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: ~30 ms per check on a small server; a verified key is cached, so this is paid
# once per key and process, and by every guess an attacker makes.
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_CACHE_MAX = 1024
# scrypt runs on two dedicated threads, process-wide: at most two checks hash at once, and only
# those two threads ever hold scrypt's 16 MiB (each thread keeps its own malloc arena).
_SCRYPT_SLOTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")
_DUMMY_SALT = secrets.token_bytes(16)  # an unknown id is checked against this, at the same cost
_DUMMY_HASH = secrets.token_bytes(32)


def key_id(key: str) -> str:
    """The (non-secret) id part of a key, or "" when *key* is not shaped like one."""
    m = _KEY_RE.match(key)
    return m["id"] if m else ""


def role_at_least(role: str, required: str) -> bool:
    """True when *role* is *required* or stronger."""
    return ROLES.index(role) >= ROLES.index(required)


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key (never the key or its hash)."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict:
        return {**asdict(self), "active": self.active}


def _hash(secret: str, salt: bytes) -> bytes:
    return _SCRYPT_SLOTS.submit(hashlib.scrypt, secret.encode("ascii"), salt=salt, **_SCRYPT).result()


def _insert(conn: sqlite3.Connection, role: str, name: str | None) -> tuple[str, KeyInfo]:
    """Store a new key's salted hash (name default ``<role>-<id>``); returns ``(key, info)``."""
    key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
    info = KeyInfo(id=key_id, name=name or f"{role}-{key_id}", role=role, created_at=now_utc().isoformat())
    conn.execute("INSERT INTO api_keys(id, name, role, salt, hash, created_at) VALUES (?,?,?,?,?,?)",
                 (key_id, info.name, role, salt, _hash(secret, salt), info.created_at))
    return f"rmk_{key_id}_{secret}", info


class KeyRing:
    """Create, list, revoke and verify API keys stored in an :class:`AuxDB`."""

    def __init__(self, aux: AuxDB | str | Path) -> None:
        self.aux = aux if isinstance(aux, AuxDB) else AuxDB(aux)
        self.aux.ensure("keys", MIGRATIONS)
        self._pepper = secrets.token_bytes(32)  # keys the in-memory cache; never leaves the process
        self._cache: OrderedDict[bytes, str] = OrderedDict()  # digest → key id, least recently used first
        self._lock = threading.Lock()

    # -- management -------------------------------------------------------------------------
    def create(self, role: str, name: str | None = None) -> tuple[str, KeyInfo]:
        """Make a key; returns ``(key, info)``. The key is shown once and cannot be recovered."""
        if role not in ROLES:
            raise InputError(f"role {role!r} はありません。viewer / editor / admin のいずれかです。")
        if name and not _NAME_RE.match(name):
            raise InputError("name は英数字と . _ @ - で 64 文字まで（先頭は英数字）にしてください。")
        try:
            with self.aux.transaction() as conn:
                return _insert(conn, role, name)
        except sqlite3.IntegrityError:
            raise InputError(f"name {name!r} の鍵は既にあります（失効した鍵も含む）。別の名前にしてください。") from None

    def create_first_admin(self, name: str = "admin") -> str | None:
        """Create an admin key only if no key was ever made here; return it, else None.

        Why "ever": after the first start, a deployment whose keys were all revoked must not
        quietly grow a new admin key on restart.
        """
        with self.aux.transaction() as conn:
            if conn.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone():
                return None
            return _insert(conn, "admin", name)[0]

    def list(self, *, include_revoked: bool = True) -> list[KeyInfo]:
        sql = "SELECT id, name, role, created_at, revoked_at FROM api_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        rows = self.aux.connection().execute(sql + " ORDER BY created_at, id").fetchall()
        return [KeyInfo(**dict(r)) for r in rows]

    def get(self, id_or_name: str) -> KeyInfo:
        row = self.aux.connection().execute(
            "SELECT id, name, role, created_at, revoked_at FROM api_keys WHERE id = ? OR name = ?",
            (id_or_name, id_or_name)).fetchone()
        if row is None:
            raise NotFound(f"鍵 {id_or_name!r} はありません。`resourcemap keys list` で id を確認してください。")
        return KeyInfo(**dict(row))

    def revoke(self, id_or_name: str) -> KeyInfo:
        """Revoke a key by id or name (idempotent); it stops working at once in every process."""
        info = self.get(id_or_name)
        if info.revoked_at is None:
            with self.aux.transaction() as conn:
                conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                             (now_utc().isoformat(), info.id))
        with self._lock:
            self._cache = OrderedDict((d, k) for d, k in self._cache.items() if k != info.id)
        return self.get(info.id)

    # -- verification -----------------------------------------------------------------------
    def _digest(self, key: str) -> bytes:
        return hashlib.blake2b(key.encode("utf-8", "replace"), key=self._pepper, digest_size=32).digest()

    def _active(self, key_id: str) -> KeyInfo | None:
        row = self.aux.connection().execute(
            "SELECT id, name, role, created_at, revoked_at FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        return KeyInfo(**dict(row))

    def lookup_cached(self, key: str) -> KeyInfo | bool | None:
        """Fast path: the key's info if verified before, None if it was revoked since, False if unknown."""
        digest = self._digest(key)
        with self._lock:
            key_id = self._cache.get(digest)
            if key_id is not None:
                self._cache.move_to_end(digest)
        if key_id is None:
            return False
        info = self._active(key_id)
        if info is None:
            with self._lock:
                self._cache.pop(self._digest(key), None)
        return info

    def verify(self, key: str) -> KeyInfo | None:
        """The key's info when *key* is a live key, else None (unknown, malformed, revoked)."""
        cached = self.lookup_cached(key)
        if cached is not False:
            return cached  # type: ignore[return-value]
        m = _KEY_RE.match(key)
        if not m:
            return None
        row = self.aux.connection().execute(
            "SELECT salt, hash FROM api_keys WHERE id = ? AND revoked_at IS NULL", (m["id"],)).fetchone()
        salt, stored = (row["salt"], row["hash"]) if row is not None else (_DUMMY_SALT, _DUMMY_HASH)
        if not hmac.compare_digest(_hash(m["secret"], salt), stored) or row is None:
            return None
        with self._lock:
            self._cache[self._digest(key)] = m["id"]
            while len(self._cache) > _CACHE_MAX:
                self._cache.popitem(last=False)
        return self._active(m["id"])

    def cache_size(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        self.aux.close()
