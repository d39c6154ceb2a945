"""Where imports and link proposals are remembered: two auxiliary tables beside the catalogue.

Why auxiliary tables (:mod:`resourcemap.auxdb`) and not the graph: an import that changes nothing
must still be recorded (the file was seen, dated and counted), and a graph write would add a
revision and a change-log entry for nothing; a link proposal is workflow state, like the
corrections queue, not a fact about a resource. With the embedded store the tables live in the
catalogue file itself, so they are copied, backed up and moved with it; with a Bolt server they
live in the local auxiliary file, as API keys do. What must never drift is read from the graph
itself: ``resourcemap sources`` counts the sites that carry each dataset's ids in the catalogue,
and the change log keeps every import's writes under the actor ``import:<dataset>@<date>``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from ..auxdb import AuxDB
from ..errors import InputError, NotFound
from ..model import now_utc

__all__ = ["Registry", "LINK_STATUSES", "LINK_KINDS"]

LINK_STATUSES = ("proposed", "accepted", "rejected")
#: same_site: an imported site is the plan's node; delivers: a site delivers a programme (implements).
LINK_KINDS = ("same_site", "delivers")

MIGRATIONS = [
    """
    CREATE TABLE opendata_imports(
        id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, scope TEXT NOT NULL, cities TEXT NOT NULL,
        as_of TEXT, date_basis TEXT NOT NULL, file TEXT, sha256 TEXT, rows_read INTEGER NOT NULL,
        rows_in_scope INTEGER NOT NULL, counts TEXT NOT NULL, imported_at TEXT NOT NULL, actor TEXT,
        revision INTEGER);
    CREATE INDEX opendata_imports_dataset ON opendata_imports(dataset, id);
    CREATE TABLE opendata_links(
        id INTEGER PRIMARY KEY, city TEXT NOT NULL, kind TEXT NOT NULL, subject_id TEXT NOT NULL,
        site_id TEXT NOT NULL, score REAL NOT NULL, evidence TEXT NOT NULL, status TEXT NOT NULL,
        dataset TEXT, created_at TEXT NOT NULL, decided_at TEXT, decided_by TEXT, note TEXT,
        UNIQUE(kind, subject_id, site_id));
    CREATE INDEX opendata_links_city ON opendata_links(city, status, id)
    """,
]


@dataclass(frozen=True)
class Proposal:
    city: str
    kind: str
    subject_id: str   # the plan node (same_site) or the programme (delivers)
    site_id: str      # the imported site
    score: float
    evidence: str
    dataset: str | None = None


class Registry:
    """The import log and the link review queue of one catalogue."""

    def __init__(self, aux: AuxDB) -> None:
        self.aux = aux
        aux.ensure("opendata", MIGRATIONS)

    def clear(self) -> None:
        """Forget every import and proposal (``init --force`` replaces the catalogue they were about)."""
        with self.aux.transaction() as conn:
            conn.execute("DELETE FROM opendata_imports")
            conn.execute("DELETE FROM opendata_links")

    # -- imports ----------------------------------------------------------------------------
    def record_import(self, *, dataset: str, scope: str, cities: Iterable[str], as_of: str | None, date_basis: str,
                      file: str | None, sha256: str | None, rows_read: int, rows_in_scope: int,
                      counts: dict[str, int], actor: str | None, revision: int | None) -> None:
        with self.aux.transaction() as conn:
            conn.execute(
                "INSERT INTO opendata_imports(dataset, scope, cities, as_of, date_basis, file, sha256, rows_read,"
                " rows_in_scope, counts, imported_at, actor, revision) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (dataset, scope, json.dumps(sorted(set(cities))), as_of, date_basis, file, sha256, rows_read,
                 rows_in_scope, json.dumps(counts), now_utc().isoformat(), actor, revision))

    def imports(self, dataset: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM opendata_imports", []
        if dataset is not None:
            sql, args = sql + " WHERE dataset = ?", [dataset]
        rows = self.aux.connection().execute(sql + " ORDER BY id", args).fetchall()
        return [{**dict(r), "cities": json.loads(r["cities"]), "counts": json.loads(r["counts"])} for r in rows]

    def latest_as_of(self) -> dict[str, str]:
        """Each dataset's latest recorded ``as_of`` (ISO date; datasets whose imports recorded none left out), in
        one grouped query: it is read on every match, export and directory request."""
        rows = self.aux.connection().execute(
            "SELECT dataset, max(as_of) FROM opendata_imports WHERE as_of IS NOT NULL AND as_of != ''"
            " GROUP BY dataset").fetchall()
        return {r[0]: r[1] for r in rows}

    # -- link queue -------------------------------------------------------------------------
    def propose(self, items: Iterable[Proposal], *, status: str = "proposed", decided_by: str | None = None) -> int:
        """Add proposals (an existing pair keeps its status and decision); returns how many were new."""
        now = now_utc().isoformat()
        n = 0
        with self.aux.transaction() as conn:
            for p in items:
                cur = conn.execute(
                    "INSERT INTO opendata_links(city, kind, subject_id, site_id, score, evidence, status, dataset,"
                    " created_at, decided_at, decided_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(kind, subject_id, site_id) DO NOTHING",
                    (p.city, p.kind, p.subject_id, p.site_id, round(p.score, 3), p.evidence, status, p.dataset, now,
                     now if status != "proposed" else None, decided_by))
                n += cur.rowcount
        return n

    def known_pairs(self, city: str) -> set[tuple[str, str, str]]:
        rows = self.aux.connection().execute(
            "SELECT kind, subject_id, site_id FROM opendata_links WHERE city = ?", (city,)).fetchall()
        return {(r[0], r[1], r[2]) for r in rows}

    def links(self, *, city: str | None = None, status: str | None = None, after: int = 0,
              limit: int | None = None) -> list[dict[str, Any]]:
        if status is not None and status not in LINK_STATUSES:
            raise InputError(f"status は {' / '.join(LINK_STATUSES)} のいずれかを指定してください。")
        where: list[str] = ["id > ?"]
        args: list[Any] = [after]
        for col, val in (("city", city), ("status", status)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = f"SELECT * FROM opendata_links WHERE {' AND '.join(where)} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [dict(r) for r in self.aux.connection().execute(sql, args).fetchall()]

    def link(self, link_id: int) -> dict[str, Any]:
        row = self.aux.connection().execute("SELECT * FROM opendata_links WHERE id = ?", (link_id,)).fetchone()
        if row is None:
            raise NotFound(f"リンク提案 {link_id} はありません（resourcemap links で一覧を確認してください）。")
        return dict(row)

    def decide(self, link_id: int, status: str, *, by: str, note: str | None = None) -> dict[str, Any]:
        with self.aux.transaction() as conn:
            conn.execute("UPDATE opendata_links SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ?",
                         (status, now_utc().isoformat(), by, note, link_id))
        return self.link(link_id)

    def counts(self, city: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) FROM opendata_links" + (" WHERE city = ?" if city else "") + " GROUP BY status"
        rows = self.aux.connection().execute(sql, (city,) if city else ()).fetchall()
        return dict.fromkeys(LINK_STATUSES, 0) | {r[0]: r[1] for r in rows}
