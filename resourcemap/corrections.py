"""The corrections queue: "report a problem" with a catalogue entry, for an editor to resolve.

Why a queue and not a direct edit: anyone holding a viewer key (a 相談支援 worker who finds
a closed 居場所 or a changed phone number) can say so in one step; an editor checks and
fixes the node (which records who changed what in the audit log) and closes the report.
Reports are about resources, never about people: the message is short free text, shown
only to editors, never logged.
"""
from __future__ import annotations

from typing import Any

from .auxdb import AuxDB
from .errors import InputError, NotFound
from .model import now_utc

__all__ = ["Corrections", "STATUSES"]

STATUSES = ("open", "resolved", "rejected")
MIGRATIONS = [
    """
    CREATE TABLE corrections(
        id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, field TEXT, message TEXT NOT NULL, reporter TEXT,
        created_at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', resolved_by TEXT, resolved_at TEXT,
        note TEXT);
    CREATE INDEX corrections_status ON corrections(status, id);
    CREATE INDEX corrections_node ON corrections(node_id)
    """,
]


class Corrections:
    def __init__(self, aux: AuxDB) -> None:
        self.aux = aux
        aux.ensure("corrections", MIGRATIONS)

    def report(self, node_id: str, message: str, *, field: str | None = None, reporter: str | None = None) -> dict[str, Any]:
        message = message.strip()
        if not message:
            raise InputError("message に何が違っているかを書いてください。")
        with self.aux.transaction() as conn:
            cur = conn.execute("INSERT INTO corrections(node_id, field, message, reporter, created_at) VALUES (?,?,?,?,?)",
                               (node_id, field, message[:1000], reporter, now_utc().isoformat()))
            correction_id = cur.lastrowid
        return self.get(int(correction_id))  # type: ignore[arg-type]

    def get(self, correction_id: int) -> dict[str, Any]:
        row = self.aux.connection().execute("SELECT * FROM corrections WHERE id = ?", (correction_id,)).fetchone()
        if row is None:
            raise NotFound(f"報告 {correction_id} はありません。")
        return dict(row)

    def list(self, *, status: str | None = "open", node_id: str | None = None, after: int = 0,
             limit: int = 100) -> list[dict[str, Any]]:
        if status is not None and status not in STATUSES:
            raise InputError(f"status は {', '.join(STATUSES)} のいずれかです。")
        where: list[str] = ["id > ?"]
        args: list[object] = [after]
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if node_id is not None:
            where.append("node_id = ?")
            args.append(node_id)
        sql = f"SELECT * FROM corrections WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        return [dict(r) for r in self.aux.connection().execute(sql, [*args, limit]).fetchall()]

    def resolve(self, correction_id: int, status: str, *, by: str, note: str | None = None) -> dict[str, Any]:
        if status not in ("resolved", "rejected"):
            raise InputError("status は resolved か rejected です。")
        with self.aux.transaction() as conn:
            row = conn.execute("SELECT status FROM corrections WHERE id = ?", (correction_id,)).fetchone()
            if row is None:
                raise NotFound(f"報告 {correction_id} はありません。")
            conn.execute("UPDATE corrections SET status = ?, resolved_by = ?, resolved_at = ?, note = ? WHERE id = ?",
                         (status, by, now_utc().isoformat(), note, correction_id))
        return self.get(correction_id)
