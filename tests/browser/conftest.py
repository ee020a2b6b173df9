"""Shared browser fixtures: a live app server, headless Chromium, axe checks, screenshots.

The live server runs ``create_app`` on this test's database (SQLite copy or the
PostgreSQL test database) in a thread on 127.0.0.1 with a free port. Chromium is the
Debian package at /usr/bin/chromium driven by Playwright (``playwright install`` has no
download host here). Without the browser the tests skip with a reason, except under
CI (env ``CI`` set), where a missing browser fails them.

Every page is opened in a context that refuses any request leaving 127.0.0.1 and
records it in ``page.external_requests`` (a list), so a test can assert the pages make
no third-party requests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("HYS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


def _missing(reason: str) -> None:
    """Skip outside CI, fail under CI: a CI run must never pass by not testing."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure; run scripts/setup_test_tools.sh)")
    pytest.skip(f"{reason}; run scripts/setup_test_tools.sh")


@dataclasses.dataclass
class LiveServer:
    """A running app: its base ``url``, the Flask ``app`` and its storage ``db``."""

    url: str
    app: Any

    @property
    def db(self):  # noqa: ANN201 - storage.db.Database
        return self.app.extensions["db"]

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + path


@pytest.fixture
def live_app(config, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The app the live server runs (plain http, so the session cookie is not Secure-only)."""
    from web import create_app

    monkeypatch.setenv("HAVEYOURSAY_INSTANCE", str(tmp_path / "live-instance"))
    application = create_app(dataclasses.replace(config, PUBLIC_BASE_URL="http://127.0.0.1"))
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def live_server(live_app) -> Iterator[LiveServer]:  # noqa: ANN001
    """Serve ``live_app`` on 127.0.0.1 (a free port) in a thread for the test's duration."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Links the app builds (letters, deep links) point at this server.
    live_app.config["PUBLIC_BASE_URL"] = url
    live_app.config["HYS"].PUBLIC_BASE_URL = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=live_app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _without_faketime_env() -> dict[str, str]:
    """This process's environment without libfaketime (for the browser and its driver)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


@contextlib.contextmanager
def _without_faketime() -> Iterator[None]:
    """Start child processes without libfaketime while this block runs (Playwright's driver).

    Only LD_PRELOAD goes: libfaketime rereads FAKETIME in this process, so removing that
    would move this process's clock back to the real time for a moment.
    """
    saved = {k: v for k, v in os.environ.items() if k == "LD_PRELOAD"}
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(saved)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test session."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a test dependency in pyproject.toml
        _missing("the playwright package is not installed")
    # Under faketime (scripts/test_at.sh) the server's clock is faked, not the browser's:
    # Chromium and Playwright's driver hang or time out with libfaketime preloaded.
    # Only the driver's start goes without libfaketime: the servers and commands the tests
    # start afterwards must keep the faked clock.
    with _without_faketime():
        playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                              env=_without_faketime_env())
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


def _new_page(browser, viewport: dict[str, int]):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport=viewport, locale="en-GB", service_workers="block")
    external: list[str] = []

    def guard(route) -> None:  # noqa: ANN001
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "about:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.external_requests = external  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def phone_page(browser) -> Iterator[Any]:  # noqa: ANN001
    """A fresh page (own cookies) 320 px wide, like a small phone."""
    context, page = _new_page(browser, PHONE)
    yield page
    context.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:  # noqa: ANN001
    """A fresh page (own cookies) at desktop width."""
    context, desktop = _new_page(browser, DESKTOP)
    yield desktop
    context.close()


@pytest.fixture
def new_page(browser) -> Iterator[Any]:  # noqa: ANN001
    """Open more fresh pages (each its own context): ``new_page(phone=True)``."""
    contexts = []

    def make(phone: bool = True):  # noqa: ANN202
        context, fresh = _new_page(browser, PHONE if phone else DESKTOP)
        contexts.append(context)
        return fresh

    yield make
    for context in contexts:
        context.close()


def axe_check(page, name: str | None = None) -> list[dict[str, Any]]:  # noqa: ANN001
    """Run axe-core on the page at WCAG 2.2 AA and assert there are no violations.

    The violations (id, impact, help, first targets) are in the assertion message.
    Returns the (empty) list so callers can log it.
    """
    if not AXE_JS.exists():
        _missing(f"axe-core is not installed ({AXE_JS.relative_to(ROOT)} missing)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an
        # injected <script>, and the check must not need that CSP relaxed.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))",
        AXE_TAGS,
    )
    label = name or page.url
    assert result == [], f"axe violations on {label}:\n{json.dumps(result, indent=2)}"
    return result


def screenshot(page, name: str, full_page: bool = True) -> Path:  # noqa: ANN001
    """Save a PNG of the page to test-artifacts/<name>.png (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login(page, server: LiveServer, email: str, password: str) -> None:  # noqa: ANN001
    """Log a staff member in through the real login form."""
    page.goto(server("/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
