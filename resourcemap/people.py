"""People who sign in to the pages: staff accounts, their password hashes, and server-side sessions.

Why apart from API keys (:mod:`resourcemap.keys`): a key is for a program and is pasted once into
its configuration; a person types a password on a shared office PC or a phone, and the pages must
name that person in the audit log. So a person has a name, a role (viewer < editor < admin, the
same roles as keys) and a password stored only as an **argon2id** hash (memory-hard: 46 MiB and
one pass per check, RFC 9106 / OWASP; ``argon2-cffi``). Checks run on two dedicated threads, so a
flood of sign-in attempts cannot grow the server's memory, and an unknown name is hashed against a
dummy hash at the same cost — timing does not tell which names exist.

A signed-in browser holds only a **session id** (256 random bits) in its cookie; the server keeps
``sha256(id)`` with the person, a CSRF token and the expiry, so a copy of the database opens no
session, signing out deletes the row (the cookie is then worth nothing), and disabling a person
ends their sessions at once in every process. Sessions end after ``Settings.session_hours``.

The deployment's secret (:meth:`People.secret`, 32 random bytes made on first use and kept in the
auxiliary file, so every worker process agrees) signs the sign-in form's CSRF token before any
session exists. Everything lives in the auxiliary tables (component ``people``). Nothing here logs
a password, a session id or a token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from .auxdb import AuxDB
from .errors import InputError, NotFound
from .keys import ROLES
from .model import now_utc

__all__ = ["Person", "Session", "People", "MIN_PASSWORD", "normalise_name"]

MIGRATIONS = [
    """
    CREATE TABLE people(
        name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_at TEXT NOT NULL,
        disabled_at TEXT);
    CREATE TABLE web_sessions(
        id_hash BLOB PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL, expires REAL NOT NULL);
    CREATE INDEX web_sessions_name ON web_sessions(name);
    CREATE TABLE web_secret(one INTEGER PRIMARY KEY CHECK (one = 1), secret BLOB NOT NULL)
    """,
]

#: The shortest password accepted (NIST SP 800-63B: at least 8; we ask for more on shared PCs).
MIN_PASSWORD = 10
_MAX_PASSWORD = 200
# argon2id, OWASP's first choice: m = 46 MiB, t = 1, p = 1 (~60 ms here); at most two at once.
_HASHER = PasswordHasher(time_cost=1, memory_cost=46 * 1024, parallelism=1, type=Type.ID)
_SLOTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))  # an unknown name is checked against this, at the same cost


def normalise_name(name: str) -> str:
    """A person's name as stored and compared: NFKC, spaces trimmed; 1–64 characters, no control characters.

    >>> normalise_name(" 山田　花子 ")
    '山田 花子'
    """
    out = unicodedata.normalize("NFKC", name).strip()
    if not out or len(out) > 64 or any(unicodedata.category(c).startswith("C") for c in out):
        raise InputError("名前は 1〜64 文字（改行・制御文字なし）にしてください。")
    return out


def _check_password(password: str) -> None:
    if not (MIN_PASSWORD <= len(password) <= _MAX_PASSWORD):
        raise InputError(f"パスワードは {MIN_PASSWORD}〜{_MAX_PASSWORD} 文字にしてください（長い文やフレーズが安全です）。")


def _hash(password: str) -> str:
    return _SLOTS.submit(_HASHER.hash, password).result()


def _matches(stored: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return _SLOTS.submit(check).result()


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).digest()


@dataclass(frozen=True)
class Person:
    """What may be shown about a person (never the hash)."""

    name: str
    role: str
    created_at: str
    disabled_at: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def as_dict(self) -> dict:
        return {**asdict(self), "active": self.active}


@dataclass(frozen=True)
class Session:
    """A live session: who, their role, and the token every form of theirs must carry."""

    name: str
    role: str
    csrf: str


class People:
    """Accounts and sessions in an :class:`AuxDB`."""

    def __init__(self, aux: AuxDB, *, session_hours: float = 8.0) -> None:
        self.aux = aux
        self.session_s = session_hours * 3600
        aux.ensure("people", MIGRATIONS)

    # -- accounts -----------------------------------------------------------------------------
    def create(self, name: str, role: str, password: str) -> Person:
        """Add a person (``role`` viewer / editor / admin) with *password* (hashed with argon2id)."""
        name = normalise_name(name)
        if role not in ROLES:
            raise InputError(f"role {role!r} はありません。viewer / editor / admin のいずれかです。")
        _check_password(password)
        person = Person(name=name, role=role, created_at=now_utc().isoformat())
        digest = _hash(password)
        try:
            with self.aux.transaction() as conn:
                conn.execute("INSERT INTO people(name, role, hash, created_at) VALUES (?,?,?,?)",
                             (name, role, digest, person.created_at))
        except sqlite3.IntegrityError:
            raise InputError(f"「{name}」という利用者は既にいます（無効にした人も含む）。別の名前にしてください。") from None
        return person

    def list(self) -> list[Person]:
        rows = self.aux.connection().execute(
            "SELECT name, role, created_at, disabled_at FROM people ORDER BY created_at, name").fetchall()
        return [Person(**dict(r)) for r in rows]

    def get(self, name: str) -> Person:
        row = self.aux.connection().execute(
            "SELECT name, role, created_at, disabled_at FROM people WHERE name = ?", (normalise_name(name),)).fetchone()
        if row is None:
            raise NotFound(f"利用者「{name}」はいません。`resourcemap users list` で確認してください。")
        return Person(**dict(row))

    def disable(self, name: str) -> Person:
        """Disable a person (idempotent): they cannot sign in, and their sessions end at once."""
        person = self.get(name)
        with self.aux.transaction() as conn:
            conn.execute("UPDATE people SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL",
                         (now_utc().isoformat(), person.name))
            conn.execute("DELETE FROM web_sessions WHERE name = ?", (person.name,))
        return self.get(person.name)

    def check(self, name: str, password: str) -> Person | None:
        """The active person when *password* is theirs, else None — one argon2id check either way."""
        try:
            key = normalise_name(name)
        except InputError:
            key = ""
        row = self.aux.connection().execute(
            "SELECT name, role, hash, created_at, disabled_at FROM people WHERE name = ?", (key,)).fetchone()
        ok = _matches(row["hash"] if row is not None else _DUMMY_HASH, password[:_MAX_PASSWORD])
        if not ok or row is None or row["disabled_at"] is not None:
            return None
        return Person(name=row["name"], role=row["role"], created_at=row["created_at"])

    # -- sessions -----------------------------------------------------------------------------
    def open_session(self, person: Person) -> str:
        """A new session for *person*; returns its id (for the cookie — the server keeps only its hash)."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self.aux.transaction() as conn:
            conn.execute("DELETE FROM web_sessions WHERE expires < ?", (now,))
            conn.execute("INSERT INTO web_sessions(id_hash, name, csrf, expires) VALUES (?,?,?,?)",
                         (_digest(session_id), person.name, secrets.token_urlsafe(32), now + self.session_s))
        return session_id

    def session(self, session_id: str | None) -> Session | None:
        """The live session behind a cookie's id (None when unknown, expired, or its person is disabled)."""
        if not session_id or len(session_id) > 100:
            return None
        row = self.aux.connection().execute(
            "SELECT s.name, p.role, s.csrf FROM web_sessions s JOIN people p ON p.name = s.name "
            "WHERE s.id_hash = ? AND s.expires >= ? AND p.disabled_at IS NULL",
            (_digest(session_id), time.time())).fetchone()
        return Session(name=row["name"], role=row["role"], csrf=row["csrf"]) if row is not None else None

    def close_session(self, session_id: str | None) -> None:
        """End a session on the server (sign-out)."""
        if session_id:
            with self.aux.transaction() as conn:
                conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_digest(session_id),))

    def session_count(self, name: str) -> int:
        return int(self.aux.connection().execute(
            "SELECT count(*) FROM web_sessions WHERE name = ? AND expires >= ?", (normalise_name(name), time.time())
        ).fetchone()[0])

    # -- the deployment's secret (signs the sign-in form's token) ---------------------------------
    def secret(self) -> bytes:
        conn = self.aux.connection()
        row = conn.execute("SELECT secret FROM web_secret WHERE one = 1").fetchone()
        if row is None:
            with self.aux.transaction() as tx:
                tx.execute("INSERT OR IGNORE INTO web_secret(one, secret) VALUES (1, ?)", (secrets.token_bytes(32),))
            row = conn.execute("SELECT secret FROM web_secret WHERE one = 1").fetchone()
        return bytes(row["secret"])

    def sign(self, value: str) -> str:
        """An HMAC of *value* under the deployment's secret (hex)."""
        return hmac.new(self.secret(), value.encode("utf-8"), hashlib.sha256).hexdigest()
