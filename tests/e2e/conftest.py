"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, with the network cut to loopback,
and a live server (``resourcemap serve``) over a private seeded catalogue with one person per role."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.conftest import PASSWORD, LiveServer, make_keys, make_people, start_server, stop_server
from tests.conftest import copy_catalogue

CHROMIUM = "/usr/bin/chromium"
LAUNCH = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync"]
#: Anything but loopback is refused: the pages must work offline.
OUTSIDE = re.compile(r"^(https?|wss?|ftp)://(?!(127\.0\.0\.1|localhost)[:/])")
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Debian の chromium が必要です: `make system-deps`（apt-get install -y chromium）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        yield b
        b.close()


def offline(context) -> list[str]:
    """Cut *context* off from everything but loopback; returns the list the refused URLs are collected in."""
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()
    context.route(OUTSIDE, refuse)
    return refused


@dataclass
class Site:
    server: LiveServer
    db: Path
    people: dict[str, str]   # role → name
    keys: dict[str, str]     # role → API key

    @property
    def url(self) -> str:
        return self.server.url

    def sign_in(self, page, role: str) -> None:
        """Sign in on the page as a person does: the form, the button."""
        page.goto(f"{self.url}/")
        page.get_by_label("名前").fill(self.people[role])
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.wait_for_url(f"{self.url}/")


def live_site(seeded_db: Path, folder: Path, env: dict[str, str] | None = None, **kwargs) -> Site:
    db = copy_catalogue(seeded_db, folder / "catalogue.db")
    people, keys = make_people(db), make_keys(db)
    return Site(server=start_server(db, env=env, **kwargs), db=db, people=people, keys=keys)


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory):
    s = live_site(seeded_db, tmp_path_factory.mktemp("web"))
    try:
        yield s
    finally:
        stop_server(s.server)
