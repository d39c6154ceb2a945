"""A coordinator's day, clicked through in a real headless Chromium (network: loopback only), at 1366×768 and
at 390×844: sign in; search the 府中市 household (白糸台三丁目: 52 ひきこもり・居場所; 80 介護予防・認知症;
34 子育て) with the category picker; open a result's page; report an error; an editor fixes it and the audit
log names the person; record one unmet need once and see the count move by one (admin's raw view, and the
suppressed view of a viewer); print the 支援会議 sheet to PDF and check it is one A4 page.

Screenshots of every step are kept in ``test-artifacts/web/`` (look at them: they are how the pages look).
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import VIEWPORTS, Site, live_site, offline

pytestmark = pytest.mark.browser

HOUSEHOLD = [("52", "ひきこもり、居場所"), ("80", "介護予防、認知症"), ("34", "子育て")]


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def run(request, directory_db, tmp_path_factory, browser, artifacts_dir):
    """A fresh site per viewport (the unmet counts start from zero) over the plans and their shipped open data,
    and a function making signed-in pages."""
    from tests.api.conftest import stop_server

    name = request.param
    site = live_site(directory_db, tmp_path_factory.mktemp(f"flow-{name}"))  # what `make run` serves: plans + open data
    folder = artifacts_dir / "web"
    folder.mkdir(parents=True, exist_ok=True)
    contexts = []
    errors: list[str] = []

    def open_as(role: str):
        context = browser.new_context(viewport=VIEWPORTS[name], locale="ja-JP", timezone_id="Asia/Tokyo")
        refused = offline(context)
        contexts.append((context, refused))
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc.stack}"))
        site.sign_in(page, role)
        return page

    def shot(page, step: str) -> None:
        page.screenshot(path=str(folder / f"{name}-{step}.png"), full_page=True)

    try:
        yield name, site, open_as, shot
    finally:
        for context, refused in contexts:
            context.close()
            assert refused == [], f"a page asked for something outside loopback: {refused[:3]}"
        stop_server(site.server)
    assert errors == [], f"a page's script failed: {errors[:3]}"


def _search(page, site: Site, *, use_picker: bool = True) -> None:
    page.goto(f"{site.url}/pages/13206/match")
    # the page's script hides the spare member rows: wait for it before asking what is hidden
    page.wait_for_selector("body[data-search=ready]", state="attached", timeout=90_000)
    page.get_by_label("町丁目（番地は入れないでください）").fill("白糸台三丁目")
    for i, (age, needs) in enumerate(HOUSEHOLD):
        if page.locator(f"#age{i}").is_hidden():
            page.get_by_role("button", name="世帯員を追加").click()
        page.locator(f"#age{i}").fill(age)
        if use_picker and i == 0:  # the picker: a word people use → the category, pressed
            page.locator("#needs0").press_sequentially("8050")
            page.locator("#sugg0 button", has_text="ひきこもり支援").click()
            page.locator("#needs0").press_sequentially("居場所")
        else:
            page.locator(f"#needs{i}").fill(needs)
    # the form posts and the results are a new document: wait for it, not for the old page's marker
    with page.expect_navigation(wait_until="domcontentloaded", timeout=90_000):
        page.get_by_role("button", name="さがす").click()
    page.wait_for_selector("body[data-search=ready]", state="attached", timeout=90_000)  # a shared, busy machine


def _unmet_count(page, site: Site, category_label: str) -> str:
    """The count the meeting report shows for *category_label* at 白糸台三丁目 ("" when no row)."""
    page.goto(f"{site.url}/pages/13206/report")
    rows = page.locator("section", has=page.get_by_role("heading", name="マッチングの未充足ニーズ")).locator("tbody tr")
    for k in range(rows.count()):
        cells = rows.nth(k).locator("td").all_inner_texts()
        if cells[0] == category_label and cells[1] == "白糸台三丁目":
            return cells[2]
    return ""


def test_search_act_print(run, artifacts_dir):
    name, site, open_as, shot = run
    editor = open_as("editor")
    shot(editor, "1-start")
    assert editor.get_by_role("heading", name="府中市").count() == 1

    # search, with the picker
    _search(editor, site)
    shot(editor, "2-results")
    assert editor.locator("#needs0").input_value().startswith("ひきこもり支援")
    cards = editor.locator("li.card")
    assert cards.count() >= 1
    first = cards.first
    assert re.search(r"\d+ m・徒歩 \d+ 分", first.inner_text())
    assert first.locator("ul.why li").count() >= 1  # why it matched
    assert editor.locator("#result-map .household-marker").count() == 1  # the 町丁目 point
    assert editor.locator("#result-map .result-pin").count() >= 1
    for code in ("hikikomori", "kosodate", "chome", "fuchu.", "hub"):
        assert code not in editor.locator("main").inner_text(), f"an internal code on the page: {code}"
    shot(editor, "2-results")

    # a result's page; report an error
    resource_name = first.locator("h4 a").inner_text()
    first.locator("h4 a").click()
    editor.wait_for_load_state()
    assert editor.get_by_role("heading", name=resource_name, level=1).count() == 1
    assert editor.get_by_role("heading", name="つながり").count() == 1
    editor.get_by_label("何が違っていますか（個人の情報は書かないでください）").fill("電話番号が変わったと利用者から聞きました")
    editor.get_by_role("button", name="報告する").click()
    editor.wait_for_load_state()
    assert "報告を受け付けました" in editor.locator("main").inner_text()
    assert "電話番号が変わった" in editor.locator("#reports ~ ul").first.inner_text()  # the editor sees it
    shot(editor, "3-resource")

    # the editor fixes it; the audit log names the person
    editor.locator("#fix-phone").fill("042-333-0000")
    editor.get_by_label("今日、内容を確認した").check()
    editor.get_by_role("button", name="修正を保存").click()
    editor.wait_for_load_state()
    assert "修正しました" in editor.locator("main").inner_text()
    assert editor.locator("a[href='tel:0423330000']").count() == 1
    editor.get_by_role("button", name="解決済みにする").click()
    editor.wait_for_load_state()
    assert "未対応の報告はありません" in editor.locator("main").inner_text()
    admin = open_as("admin")
    admin.goto(f"{site.url}/pages/admin")
    row = admin.locator("#audit tbody tr").first
    assert site.people["editor"] in row.inner_text() and resource_name in row.inner_text()
    assert "電話" in row.inner_text() and re.search(r"\d{4}年\d+月\d+日 \d\d:\d\d", row.inner_text())  # JST, Japanese
    shot(admin, "4-audit")

    # record one unmet need, once; the count moves by one (admin: raw counts)
    before = _unmet_count(admin, site, "認知症支援")
    _search(editor, site, use_picker=False)
    form = editor.locator("#unmet-form")
    boxes = form.locator("input[type=checkbox]")
    assert boxes.count() >= 1
    for k in range(boxes.count()):
        if "認知症支援" not in boxes.nth(k).locator("xpath=..").inner_text():
            boxes.nth(k).uncheck()
    shot(editor, "5-unmet")
    form.get_by_role("button", name="未充足として記録").click()
    editor.wait_for_load_state()
    assert "1 件" in editor.locator("main").inner_text()
    after = _unmet_count(admin, site, "認知症支援")
    assert int(after or 0) == int(before or 0) + 1
    _search(editor, site, use_picker=False)  # a retried search counts nothing
    assert _unmet_count(admin, site, "認知症支援") == after
    viewer = open_as("viewer")  # below admin a count under 3 is suppressed
    assert _unmet_count(viewer, site, "認知症支援") == "3未満"
    shot(viewer, "6-report-viewer")

    # the 支援会議 sheet: one A4 page
    _search(editor, site, use_picker=False)
    editor.get_by_role("button", name="支援会議シート（A4・印刷用）").click()
    editor.wait_for_load_state()
    text = editor.locator("main").inner_text()
    assert "白糸台三丁目" in text and "50代" in text and "80代" in text and "30代" in text
    assert re.search(r"作成 \d{4}年\d+月\d+日 \d\d:\d\d（日本時間）", text)
    # no ages, no free text (the sheet's contacts and time may hold the digits 52, the household never does)
    household = editor.locator("table.household").inner_text()
    assert not re.search(r"\b(52|80|34)\b", household) and "52歳" not in text and "8050" not in text
    shot(editor, "7-sheet")
    pdf = editor.pdf(format="A4", print_background=True)
    (artifacts_dir / "web" / f"{name}-sheet.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the sheet must print on one A4 page"
