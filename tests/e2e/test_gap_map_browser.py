"""The offline gap map in a real browser: Debian's headless Chromium opens map.html from a local
server on 127.0.0.1, with every other host unreachable, and the gap layer must be drawn.

Checks the DOM after the page's JavaScript ran (``--dump-dom`` with a virtual time budget):
Leaflet's SVG paths carry the status class (``gap-unit`` …) and fill colour, one per unit of
the initially shown category, and a screenshot is kept in ``test-artifacts/``.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from resourcemap.gaps import GapOptions, analyse
from resourcemap.gaps.export import status_of
from resourcemap.gaps.mapview import STATUS_STYLE, write_map
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from tests.conftest import copy_catalogue

pytestmark = pytest.mark.browser


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian chromium is not installed: run `make system-deps` (apt-get install chromium)")
    return exe


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def served_map(seeded_db, tmp_path_factory):
    work = tmp_path_factory.mktemp("gapmap")
    store = SQLiteStore(copy_catalogue(seeded_db, work / "catalogue.db"))
    result = analyse(ReadModel(store, follow=False), "府中市", GapOptions())
    store.close()
    site = work / "site"
    site.mkdir()
    write_map(result, site / "map.html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield result, f"http://127.0.0.1:{server.server_address[1]}/map.html", work
    server.shutdown()
    server.server_close()


def _run(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
           # every host but loopback is unreachable: the page must not need the internet
           "--proxy-server=http://127.0.0.1:9", "--window-size=1200,900", "--virtual-time-budget=8000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_gap_layer_is_rendered_offline(served_map, artifacts_dir):
    result, url, work = served_map
    exe = _chromium()
    dom = _run(exe, work / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-gapmap="ready"' in html, "the map script did not finish"
    # the initially shown category is the first with gaps; count its units by status
    n = len(result.units)
    first = next(k for k, c in enumerate(result.categories) if result.table.iloc[k * n:(k + 1) * n]["gap"].any())
    statuses = [status_of(r) for r in result.table.iloc[first * n:(first + 1) * n].to_dict("records")]
    paths = re.findall(r"<path [^>]*>", html)
    for status, (cls, fill, _) in STATUS_STYLE.items():
        drawn = [p for p in paths if f'class="{cls} leaflet-interactive"' in p]
        assert len(drawn) == statuses.count(status), status
        assert all(f'fill="{fill}"' in p for p in drawn)
    assert statuses.count("gap") + statuses.count("gap_unlocated") > 0
    assert "leaflet-control-layers" in html and result.categories[first].label in html
    shot = artifacts_dir / "gap_map_fuchu.png"
    shot.unlink(missing_ok=True)
    cap = _run(exe, work / "profile-shot", f"--screenshot={shot}", url)
    assert cap.returncode == 0, cap.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
