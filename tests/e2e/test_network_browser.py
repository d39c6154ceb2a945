"""The network page in a real headless Chromium (Debian ``chromium``), with the internet shut off.

Why a browser: the page's promise is "opens anywhere, even without internet" — only a browser shows
that vis-network (inlined from the pyvis package) really loads and paints the graph. Chromium gets
no DNS for any host but 127.0.0.1 (``--host-resolver-rules``), the page is served by a local
http.server that records every request, and the page sets ``data-network-drawn`` and
``data-painted-pixels`` on <body> once the canvas is drawn. A screenshot is kept in test-artifacts/.
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

from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.network import views as netview

pytestmark = pytest.mark.browser


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian の chromium が必要です: `make system-deps`（apt-get install -y chromium）")
    return exe


class _Recorder(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args) -> None:
        self.requested.append(self.path)


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory):
    """府中市's page written by the library and served from 127.0.0.1; yields (base url, data, requests)."""
    out = tmp_path_factory.mktemp("netpage")
    store = SQLiteStore(seeded_db)
    try:
        data, _ = netview.write_network(ReadModel(store, follow=False).graph, "府中市", out)
    finally:
        store.close()
    requested: list[str] = []
    handler = functools.partial(type("H", (_Recorder,), {"requested": requested}), directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/network.html", data, requested
    finally:
        server.shutdown()
        server.server_close()


def _run(url: str, profile: Path, *extra: str) -> str:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no internet: only loopback resolves
           "--virtual-time-budget=20000", "--window-size=1400,900", "--hide-scrollbars", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _body(dom: str) -> dict[str, str]:
    tag = re.search(r"<body([^>]*)>", dom)
    assert tag, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


def test_page_draws_the_network_without_internet(site, tmp_path):
    url, data, requested = site
    requested.clear()
    dom = _run(url, tmp_path / "profile", "--dump-dom")
    body = _body(dom)
    assert "data-network-error" not in body
    assert body.get("data-network-drawn") == "1", "vis-network did not finish drawing"
    assert int(body["data-visible-nodes"]) == len(data["nodes"])
    assert int(body["data-painted-pixels"]) > 2000  # nodes, edges and labels are on the canvas
    assert re.search(r'<div class="vis-network"[^>]*>\s*<canvas', dom)
    assert {p for p in requested} <= {"/network.html", "/favicon.ico"} and "/network.html" in requested


def test_area_filter_from_the_address(site, tmp_path):
    url, data, _ = site
    area = data["areas"][0]["id"]
    dom = _run(f"{url}#area={area}&citywide=0", tmp_path / "profile", "--dump-dom")
    body = _body(dom)
    expected = sum(1 for n in data["nodes"] if area in n["areas"])
    assert 0 < expected < len(data["nodes"])
    assert body.get("data-network-drawn") == "1"
    assert int(body["data-visible-nodes"]) == expected


def test_screenshot_is_kept_and_shows_a_graph(site, tmp_path, artifacts_dir):
    from PIL import Image

    url, _, _ = site
    shot = artifacts_dir / "network_fuchu.png"
    shot.unlink(missing_ok=True)
    _run(url, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.exists()
    img = Image.open(shot).convert("RGB")
    assert img.size == (1400, 900)
    canvas = img.crop((0, 80, 980, 900))  # the network pane, left of the findings
    colours = canvas.getcolors(maxcolors=1 << 20) or []
    non_white = sum(n for n, c in colours if sum(c) < 720)
    assert len(colours) > 50 and non_white > 0.01 * canvas.width * canvas.height
