"""A page on another site cannot act with a signed-in person's session (real Chromium, loopback only).

The attacker's page auto-submits forms to the app: a report on a resource, a fix, and a sign-out. It is
served from another *site* (``localhost``: the cookie is ``SameSite=Strict`` and is not even sent) and from
the same site on another port (``127.0.0.1:other``: the cookie is sent, the ``Origin`` check and the missing
CSRF token refuse it). Either way nothing changes and the person stays signed in.
"""
from __future__ import annotations

import functools
import sqlite3
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import offline

pytestmark = pytest.mark.browser

NODE = "fuchu.hub.bunka-chuo"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _counts(db) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        return (con.execute("SELECT count(*) FROM corrections").fetchone()[0],
                con.execute("SELECT count(*) FROM web_sessions").fetchone()[0])
    finally:
        con.close()


def test_a_cross_site_post_cannot_act(site, browser, tmp_path):
    target = site.url
    forms = "".join(
        f'<form method="post" action="{target}{path}" target="f{i}">'
        + "".join(f'<input name="{k}" value="{v}">' for k, v in fields.items()) + "</form>"
        f'<iframe name="f{i}"></iframe>'
        for i, (path, fields) in enumerate([
            (f"/pages/resource/{NODE}/report", {"field": "phone", "message": "攻撃者の報告"}),
            (f"/pages/resource/{NODE}/edit", {"version": "1", "name": "乗っ取られた名前"}),
            ("/logout", {}),
        ]))
    (tmp_path / "attack.html").write_text(
        f"<!doctype html><meta charset=utf-8><body>{forms}"
        "<script>document.querySelectorAll('form').forEach(f => f.submit());</script>", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    context = browser.new_context()
    offline(context)
    try:
        page = context.new_page()
        site.sign_in(page, "editor")
        before = _counts(site.db)
        for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):  # another site; the same site
            attack = context.new_page()
            with attack.expect_response(lambda r: r.url.endswith("/logout")):
                attack.goto(f"{origin}/attack.html")
            attack.wait_for_timeout(500)
            attack.close()
            assert _counts(site.db) == before, f"a post from {origin} changed something"
            page.goto(f"{site.url}/pages/resource/{NODE}")
            assert "乗っ取られた名前" not in page.content()
            assert page.get_by_role("button", name="サインアウト").count() == 1, "the person was signed out"
    finally:
        context.close()
        server.shutdown()
        server.server_close()
