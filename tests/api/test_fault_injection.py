"""Crash safety: a large import killed with SIGKILL mid-write leaves the catalogue exactly as before.

The import runs in a child process (``resourcemap import --progress``) which reports each
batch of writes on stderr *inside* its one transaction; the test waits for a random point
of the write phase, sends SIGKILL, and then checks the file: ``PRAGMA integrity_check`` is
ok and every table of the catalogue holds exactly what it held before. 20 kills in all,
on two catalogue files (two children at a time on the two cores).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import copy_catalogue

ROWS = 3000
KILLS = 20
TABLES = ("nodes", "node_categories", "edges", "changes")


def _big_csv(path: Path) -> None:
    """ROWS new 居場所 at real 町丁目 points of 府中市 (Japanese headers, as a municipality writes them)."""
    from resourcemap.geo import load_chome

    chome = load_chome("13206")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["ID", "種別", "名称", "市区町村", "緯度", "経度", "位置精度", "分類", "対象分野", "出典"])
    for i in range(ROWS):
        c = chome[i % len(chome)]
        w.writerow([f"fault.place.{i:05d}", "居場所", f"地域の居場所 {i}", "府中市", c.lat, c.lng, "chome",
                    "居場所", "高齢、子ども", "public"])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _content(db: Path) -> tuple[str, str]:
    """(integrity_check, sha256 of every catalogue row in key order)."""
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        h = hashlib.sha256()
        for table in TABLES:
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                h.update(repr(row).encode())
        return check, h.hexdigest()
    finally:
        conn.close()


def _kill_mid_import(db: Path, csv_path: Path, stop_at: int) -> tuple[int, int]:
    """Run the import, SIGKILL it once it has written ``stop_at`` rows; returns (rows seen, exit code)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RESOURCEMAP_STORE", None)
    proc = subprocess.Popen([sys.executable, "-m", "resourcemap", "--db", str(db), "import", str(csv_path), "--progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    seen = 0
    for line in proc.stderr:  # type: ignore[union-attr]
        if line.startswith("writing "):
            seen = int(line.split()[1].split("/")[0])
            if seen >= stop_at:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait()
    proc.stderr.close()  # type: ignore[union-attr]
    return seen, proc.returncode


def test_sigkill_mid_import_leaves_catalogue_unchanged(seeded_db, tmp_path):
    csv_path = tmp_path / "big.csv"
    _big_csv(csv_path)
    dbs = []
    for i in range(2):
        dbs.append(copy_catalogue(seeded_db, tmp_path / f"catalogue{i}.db"))
    before = _content(dbs[0])
    assert before[0] == "ok" and _content(dbs[1]) == before
    rng = random.Random(20251122)
    stops = [rng.randrange(ROWS // 20, ROWS * 6 // 10, 100) for _ in range(KILLS)]

    def run(i: int) -> list[tuple[int, int, tuple[str, str]]]:
        db, out = dbs[i], []
        for stop in stops[i::2]:
            seen, code = _kill_mid_import(db, csv_path, stop)
            out.append((seen, code, _content(db)))
        return out

    with ThreadPoolExecutor(2) as pool:
        results = [r for part in pool.map(run, range(2)) for r in part]
    assert len(results) == KILLS
    for seen, code, after in results:
        assert code == -signal.SIGKILL, f"the import finished before the kill (exit {code})"
        assert 0 < seen < ROWS, "the kill must land inside the write phase"
        assert after[0] == "ok"
        assert after[1] == before[1], f"catalogue changed after a kill at row {seen}"

    # the file is still a working catalogue: the same import now runs to the end
    done = subprocess.run([sys.executable, "-m", "resourcemap", "--db", str(dbs[0]), "--json", "import", str(csv_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(dbs[0])
    assert conn.execute("SELECT COUNT(*) FROM nodes WHERE id LIKE 'fault.place.%'").fetchone()[0] == ROWS
    conn.close()
