"""No stored string can break a page or run a script: every HTML output, in a real headless Chromium.

Why a browser: an HTML parser decides what ends a ``<script>`` element or opens a comment
(``<!--<script>`` once kept the map and the network view from ever becoming ready), and only a
browser shows whether a payload ran. The catalogue of 武蔵村山市 gets arbitrary text — a corpus of
known XSS and HTML-comment payloads, and hypothesis text — in every field a page shows (names of
every kind of node, roles, the area level, sources), written straight into the store: stored data is
input too, even what today's validation would refuse. Then every output is opened in Debian's
Chromium (Playwright, ``/usr/bin/chromium``, no network): the CLI's files (``gaps`` map and report,
``network``) and every served page of a live server, signed in as an administrator (start page, map,
report, network, the search form, its results and the 支援会議 sheet, a resource's page with its
neighbourhood and fix form, the administrator's page with the audit log, the API docs). Each must
reach its ready state, show the stored text as text, and never set the ``window.__xss`` sentinel
nor open a dialog. The served pages run under their Content-Security-Policy, as a visitor's would.
"""
from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resourcemap.cli import main
from resourcemap.gaps import analyse
from resourcemap.gaps.mapview import render_map
from resourcemap.gaps.report import render_report
from resourcemap.geo import chome_units
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.base import NodeQuery
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.network.views import gap_report_section, network_data, network_html
from tests.api.conftest import stop_server
from tests.e2e.conftest import live_site

pytestmark = pytest.mark.browser

CITY = "13223"  # 武蔵村山市: every kind of node, small enough for many examples
SENTINEL = "window.__xss=1"
#: Known payloads: script and comment breakers, attribute breakouts, event handlers, JS string breakers.
CORPUS = [
    "<!--<script>", "</script><script>window.__xss=1</script>", "<img src=x onerror=window.__xss=1>",
    "\"><svg onload=window.__xss=1>", "'><img src=x onerror=window.__xss=1>", "<script>window.__xss=1</script>",
    "\u2028\u2029改行", "</style><script>window.__xss=1</script>", "<iframe srcdoc='<script>parent.__xss=1</script>'>",
    "javascript:window.__xss=1", "' onmouseover='window.__xss=1", "\" autofocus onfocus=\"window.__xss=1",
    "</textarea><script>alert(1)</script>", "<!--", "-->", "<![CDATA[", "]]>", "{{7*7}}${window.__xss=1}",
    "\\u003c/script\\u003e", "&lt;script&gt;", "<b>太字</b>", "<details open ontoggle=window.__xss=1>",
    "';window.__xss=1;'", "\";window.__xss=1;\"", "</title><script>window.__xss=1</script>",
    "<a href=\"javascript:window.__xss=1\">リンク</a>", "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
]
_READY = {"map": "body[data-gapmap=ready]", "network": "body[data-visible-nodes]",
          "match": "body[data-search=ready]"}


@dataclass
class Site:
    url: str
    context: object  # a browser context signed in as an administrator
    store: object
    readmodel: object
    town: str


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory, browser):
    """A live server over a private catalogue; a browser context signed in as its administrator."""
    live = live_site(seeded_db, tmp_path_factory.mktemp("xss"))
    store = SQLiteStore(live.db)
    context = browser.new_context()
    context.route(re.compile(r"^(https?|wss?|ftp)://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()
    live.sign_in(page, "admin")
    page.close()
    try:
        yield Site(url=live.url, context=context, store=store, readmodel=ReadModel(store), town=chome_units(CITY)[0].town)
    finally:
        context.close()
        store.close()
        stop_server(live.server)


def poison(site: Site, texts: list[str]) -> dict[str, list[str]]:
    """Every shown text field of the city's nodes takes the next of *texts*; returns what went where."""
    store = site.store
    given = itertools.cycle(texts)
    level = next(given)
    shown: dict[str, list[str]] = {"area": [], "actor": [], "municipality": []}
    for node in store.query_nodes(NodeQuery(city=CITY)):
        update = {"name": next(given), "source": "import:" + next(given)}
        if node.kind == "coordinator":
            update["role"] = next(given)
        if node.kind in ("agency", "hub", "place", "subsidy_group"):  # contacts: in popups, reports, match pages
            update.update(address=next(given), phone=next(given), url=next(given))
        if node.kind == "area":
            update["level"] = level
        if node.kind == "municipality":
            update["primary_area_level"] = level
        # the store trusts what it is given: this is data as an older version (or a bug) might have left it
        store.update_node(node.model_copy(update=update), actor="xss-test")
        shown["area" if node.kind == "area" else "municipality" if node.kind == "municipality" else "actor"].append(
            update["name"])
    return shown


def _as_text(value: str, *, attribute: bool = False) -> str:
    """What an HTML parser makes of *value* as element text (CR normalised, NUL dropped) or attribute value."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\x00", "\ufffd" if attribute else "")


_VISIT = """() => {
    // what a visitor does: hover and focus what is shown, open the map's popups (at most 40, markers first)
    for (const el of document.querySelectorAll('td, th, li, h2, h3, a, input'))
        for (const t of ['mouseover', 'focus']) el.dispatchEvent(new Event(t, {bubbles: true}));
    const paths = [...document.querySelectorAll('path.resource-marker, path.candidate-marker, path.leaflet-interactive')];
    for (const p of paths.slice(0, 20)) p.dispatchEvent(new MouseEvent('click', {bubbles: true}));
}"""
_RESULT = """() => ({
    xss: window.__xss === undefined ? null : window.__xss,
    text: document.body ? document.body.textContent : '',
    status: (document.getElementById('status') || {}).textContent || '',
    inputs: Object.fromEntries([...document.querySelectorAll('input[name]')].map(i => [i.name, i.value])),
    data: Object.fromEntries([...document.querySelectorAll('script[type="application/json"]')]
                             .map(s => [s.id, JSON.parse(s.textContent)])),
})"""


def open_page(browser, html: str | None = None, *, url: str | None = None, ready: str | None = None,
              context=None, act=None) -> dict:
    """Load a page in a fresh tab with the network shut (in *context*: a served, signed-in page); let *act*
    do what the page is for (fill a form, press its button); wait for its ready state; do what a visitor does."""
    page = (context or browser).new_page()
    if context is None:
        page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())  # no network
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        if url is not None:
            page.goto(url, wait_until="load")
        else:
            page.set_content(html, wait_until="load")
        if act is not None:
            act(page)
        if ready:
            page.wait_for_selector(ready, state="attached", timeout=10_000)
        page.evaluate(_VISIT)
        result = page.evaluate(_RESULT)
    finally:
        page.close()
    return {**result, "dialogs": dialogs}


def safe_page(browser, html: str | None = None, *, url: str | None = None, ready: str | None = None,
              context=None, act=None) -> dict:
    """:func:`open_page`, asserting that nothing set the sentinel or opened a dialog."""
    result = open_page(browser, html, url=url, ready=ready, context=context, act=act)
    assert result["xss"] is None and result["dialogs"] == [], f"a stored string ran as script: {result['dialogs']}"
    return result


def check_every_output(browser, site: Site, texts: list[str], *, every_served_page: bool = True) -> None:
    """Poison the catalogue with *texts* and open every output. The served map and network pages come from
    the same renderers as the files (checked first), so *every_served_page* may leave them out."""
    shown = poison(site, texts)
    rm = site.readmodel
    rm.refresh()
    area = shown["area"][0]
    # the renderers the CLI writes to files (map.html, report.html, network.html)
    result = analyse(rm, CITY)
    gap_map = safe_page(browser, render_map(result), ready=_READY["map"])
    assert {f["properties"]["area"] for f in gap_map["data"]["gapmap-data"]["units"]["features"]} == {area}
    report = safe_page(browser, render_report(result, extra_sections=[gap_report_section(rm.graph)]))
    assert _as_text(area) in report["text"] and "多機関協働ネットワーク" in report["text"]
    page = safe_page(browser, network_html(network_data(rm.graph, CITY)), ready=_READY["network"])
    assert page["status"].startswith("表示中")
    labels = {n["label"] for n in page["data"]["network-nodes"]}
    assert labels and labels <= set(shown["actor"])
    # the served pages, as a signed-in administrator sees them (every one of them when *every_served_page*)
    served = lambda path, ready=None, act=None: safe_page(browser, url=f"{site.url}{path}", ready=ready,  # noqa: E731
                                                          context=site.context, act=act)
    index = served("/")
    assert _as_text(shown["municipality"][0]) in index["text"]
    pages = (("map", _READY["map"]), ("report", None), ("network", _READY["network"]), ("match", _READY["match"]))
    for path, ready in pages if every_served_page else pages[-1:]:
        served(f"/pages/{CITY}/{path}", ready)

    typed: list[str] = []

    def search(address: str, needs: str, submit: str = "さがす"):
        def act(page):
            page.locator("#address").fill(address)
            typed.append(page.locator("#address").input_value())  # as the browser keeps it (line breaks dropped …)
            page.locator("#age0").fill("70")
            page.locator("#needs0").fill(needs)
            page.locator("details.more > summary").click()
            page.locator("#max_distance_m").fill("20000")
            page.locator("#search button[type=submit]").click()
            page.wait_for_load_state()
            if submit != "さがす":
                page.get_by_role("button", name=submit).click()
                page.wait_for_load_state()
        return act

    found = served(f"/pages/{CITY}/match", _READY["match"], search(site.town, "相談、居場所"))
    assert "支援チーム" in found["text"]
    if every_served_page:
        sheet = served(f"/pages/{CITY}/match", None, search(site.town, "相談、居場所", "支援会議シート（A4・印刷用）"))
        assert "支援チーム" in sheet["text"]
    reflected = served(f"/pages/{CITY}/match", _READY["match"], search(texts[0][:60], texts[-1][:300]))
    assert reflected["inputs"]["address"] == typed[-1]  # given back as the same text, never as markup
    actor = next(n for n in rm.nodes(city=CITY) if n.kind == "agency")
    detail = served(f"/pages/resource/{actor.id}")
    assert _as_text(actor.name) in detail["text"]
    if every_served_page:
        admin = served("/pages/admin")
        assert _as_text(actor.name) in admin["text"]  # the audit log shows the poisoned names as text
        served("/docs", "#swagger-ui .information-container")


def test_known_payloads_break_no_output_including_the_cli_files(browser, site, tmp_path):
    check_every_output(browser, site, CORPUS)
    # the CLI's own files, opened from disk as a user would
    db = site.store.path
    assert main(["--db", db, "gaps", "--city", CITY, "--category", "consult", "--out", str(tmp_path / "gaps")]) == 0
    assert main(["--db", db, "network", "--city", CITY, "--out", str(tmp_path / "net")]) == 0
    gap_map = safe_page(browser, url=(tmp_path / "gaps" / "map.html").as_uri(), ready=_READY["map"])
    assert gap_map["data"]["gapmap-data"]["units"]["features"]
    safe_page(browser, url=(tmp_path / "gaps" / "report.html").as_uri())
    net = safe_page(browser, url=(tmp_path / "net" / "network.html").as_uri(), ready=_READY["network"])
    names = json.loads((tmp_path / "net" / "network.json").read_text(encoding="utf-8"))["nodes"]
    assert {n["label"] for n in net["data"]["network-nodes"]} == {n["name"] for n in names}


def test_the_harness_sees_a_script_that_runs(browser):
    """Without this, "no script ran" could be a sentinel nobody reads."""
    assert open_page(browser, "<p>x</p><img src=x onerror=window.__xss=1>")["xss"] == 1
    assert open_page(browser, "<script>alert('x')</script>")["dialogs"] == ["x"]
    assert open_page(browser, "<p>ok</p>")["xss"] is None


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
_payload = st.one_of(st.sampled_from(CORPUS), _text, st.builds(lambda a, b: a + b, st.sampled_from(CORPUS), _text))


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(_payload, min_size=6, max_size=12))
def test_arbitrary_stored_text_breaks_no_page(browser, site, texts):
    check_every_output(browser, site, texts, every_served_page=False)
