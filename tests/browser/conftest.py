"""Browser tests: the app served by uvicorn on loopback, driven by Debian's Chromium.

- ``live_server``: the app on a copy of the demo database (SQLite) made for each test
  module, so modules that write do not disturb each other; served on a free loopback port.
- ``browser``: one headless Chromium for the whole session, launched from
  ``/usr/bin/chromium`` (or ``GRANTS_TEST_CHROMIUM``); never a downloaded build. Without it
  the tests are skipped with a reason, which fails the run under ``CI=true``.
- ``page``: a fresh context and page per test, desktop sized; ``phone_page`` is 360 px wide.
  Both fail the test if the page logged a Content-Security-Policy violation.
- ``sign_in(page, server, email)`` signs in through the form as a demo account;
  ``check_accessibility(page)`` runs axe-core and fails on serious or critical violations;
  ``screenshot(page, name)`` saves ``docs/screenshots/<name>.png``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grants import db
from grants.app import create_app
from grants.config import Settings
from grants.demo import DEMO_PASSWORD, load_demo
from tests.helpers import serving

playwright_api = pytest.importorskip("playwright.sync_api")

TODAY = dt.date(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
CHROMIUM = os.environ.get("GRANTS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
PASSWORD = DEMO_PASSWORD

# The demo accounts (README.md, "The demo").
ADMIN = "admin@example.org"
MANAGER = "manager@example.org"
DONOR = "donor@example.org"
EDITOR = "editor.tn-sfax@example.org"  # partner editor of TN-SFAX, lead of ACMALS
EDITOR_ZARQA = "editor.jo-zarqa@example.org"  # partner editor of JO-ZARQA, lead of ZRQ-WOMEN
VIEWER = "viewer.tn-sfax@example.org"


@dataclass(frozen=True)
class Server:
    """The app as served to the browser, and the database behind it."""

    url: str
    database_url: str

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def browser_data_dir(attachment_folder: Path) -> Path:
    """The session's folder of evidence files (``tests/conftest.py`` points GRANTS_DATA_DIR
    there for every test), so every copy of the demo finds its files, whichever tests
    loaded it."""
    return attachment_folder


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory, browser_data_dir: Path) -> Path:
    """The demo, loaded once into a SQLite file that each module copies."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url, _settings(browser_data_dir))
    try:
        load_demo(engine, TODAY)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


def _settings(data_dir: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        today=TODAY,
        login_max_failures_per_client=1000,
    )


@pytest.fixture(scope="module")
def live_server(
    demo_file: Path, browser_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app on this module's own copy of the demo, served on a free loopback port."""
    path = tmp_path_factory.mktemp("browser-db") / "demo.db"
    shutil.copy(demo_file, path)
    settings = _settings(browser_data_dir)
    engine = db.make_engine(f"sqlite:///{path}", settings)
    app = create_app(settings, engine)
    try:
        with serving(app) as url:
            yield Server(url, f"sqlite:///{path}")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def _page(browser: Any, server: Server, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(10_000)
    # axe-core is served from the app's own origin, so the pages' CSP need not be relaxed.
    context.route(server.path(AXE_PATH), lambda route: route.fulfill(path=str(AXE)))
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


@pytest.fixture
def page(browser: Any, live_server: Server) -> Iterator[Any]:
    """A fresh desktop-sized page (its own cookies) for each test."""
    yield from _page(browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(browser: Any, live_server: Server) -> Iterator[Any]:
    """A fresh page the width of a small phone (360 px)."""
    yield from _page(browser, live_server, PHONE)


def sign_in(page: Any, server: Server, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form as ``email`` and wait for the page it leads to."""
    page.goto(server.path("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/login" not in page.url, f"could not sign in as {email}"


SERIOUS = {"serious", "critical"}


def check_accessibility(page: Any) -> None:
    """Run axe-core on the page; fail on any serious or critical violation, listed readably."""
    server = page.url.split("/", 3)
    page.add_script_tag(url=f"{server[0]}//{server[2]}{AXE_PATH}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in result["violations"] if v.get("impact") in SERIOUS]
    lines = []
    for violation in found:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {' '.join(node['target'])}" for node in violation["nodes"][:5])
    assert not found, f"accessibility problems on {page.url}:\n" + "\n".join(lines)


def has_horizontal_scroll(page: Any) -> bool:
    """Return whether the page is wider than the window (it would scroll sideways)."""
    return bool(page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"))


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as docs/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
