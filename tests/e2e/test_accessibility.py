"""Every page passes axe-core (npm ``axe-core``, vendored for the tests in ``tests/e2e/vendor/`` with its
licence) with no serious or critical violation, at 1366×768 and at 390×844 — and the touch targets of the
pages' own controls are at least 44 px high on a phone.

axe is injected into each page by the test (the context bypasses the pages' CSP only to let the test's own
script in; the pages themselves load no inline script).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import VIEWPORTS, offline

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""
_SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main button, main input:not([type=hidden]):not([type=checkbox]), main select, header.site a, header.site button')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
  .map(e => e.outerHTML.slice(0, 80))"""


def _search(page, url: str) -> None:
    page.goto(f"{url}/pages/13206/match")
    page.locator("#address").fill("白糸台三丁目")
    page.locator("#age0").fill("52")
    page.locator("#needs0").fill("ひきこもり、居場所")
    page.locator("#age1").fill("80")
    page.locator("#needs1").fill("介護予防、認知症")
    # the form posts and the results are a new document: wait for it, not for the old page's marker
    with page.expect_navigation(wait_until="domcontentloaded", timeout=90_000):
        page.get_by_role("button", name="さがす").click()
    page.wait_for_selector("body[data-search=ready]", state="attached", timeout=90_000)  # a shared, busy machine


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_serious_violations_on_any_page(site, browser, viewport, artifacts_dir):
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    offline(context)
    page = context.new_page()
    found: dict[str, list] = {}
    small: dict[str, list] = {}

    folder = artifacts_dir / "web"
    folder.mkdir(parents=True, exist_ok=True)

    def check(name: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "page"
        page.screenshot(path=str(folder / f"pages-{viewport}-{slug}.png"), full_page=name not in (
            "/pages/13206/map", "/pages/13206/network"))
        page.add_script_tag(content=AXE)
        found[name] = page.evaluate(_RUN)
        if viewport == "phone":
            small[name] = page.evaluate(_SMALL_TARGETS)

    try:
        page.goto(f"{site.url}/")
        check("sign-in")
        site.sign_in(page, "admin")
        check("start")
        for path, ready in (("/pages/13206/match", "body[data-search=ready]"), ("/pages/13206/map", "body[data-gapmap=ready]"),
                            ("/pages/13206/report", None), ("/pages/13206/network", "body[data-visible-nodes]"),
                            ("/pages/resource/fuchu.hub.bunka-shiraitodai", None), ("/pages/admin", None),
                            ("/docs", "#swagger-ui .information-container"), ("/pages/13206/unmet/recorded?n=1", None),
                            ("/pages/大阪市/match", None)):
            page.goto(f"{site.url}{path}")
            if ready:
                page.wait_for_selector(ready, state="attached")
            check(path)
        _search(page, site.url)
        check("results")
        page.get_by_role("button", name="支援会議シート（A4・印刷用）").click()
        page.wait_for_load_state()
        check("sheet")
    finally:
        context.close()
    bad = {k: v for k, v in found.items() if v}
    assert not bad, f"serious or critical accessibility violations ({viewport}): {bad}"
    tiny = {k: v for k, v in small.items() if v and k not in ("/docs", "/pages/13206/map", "/pages/13206/network")}
    assert not tiny, f"touch targets under 44 px on a phone: {tiny}"
