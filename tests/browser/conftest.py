"""Browser tests: the app served by waitress on a free 127.0.0.1 port, driven by Playwright in Debian's Chromium.

The server has its own fresh SQLite database, built by ``db upgrade`` and filled by ``gentou demo`` (the app's
own CLI), with DingTalk disabled, and runs jobs in-process (no Redis). Chromium is the system's (``apt install
chromium``, by ``./dev.sh setup``) on a fresh profile: Playwright never downloads a browser here (never run
``playwright install``). Every page a journey visits is checked (``Browser.check_page``): no console error, no
failed request, no request leaving 127.0.0.1, a title and a main heading in Chinese; ``Browser.check_english``
visits them again with ``?lang=en``. A failing journey leaves each of its tabs' screenshot in ``test-artifacts/``.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core import demo

CHROMIUM = os.environ.get("GENTOU_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking switches Chromium reaches out on its own (updates, sync, safe browsing).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--no-default-browser-check"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Every stage that has landed; ``gentou demo`` enables them all for the demo group, as the admin would.
PLUGINS = ["plugins.subscription", "plugins.agreements", "plugins.distribution", "plugins.dingtalk",
           "plugins.disclosure", "plugins.exit", "plugins.minority", "plugins.adjustment", "plugins.mandatory",
           "plugins.crm", "plugins.ekuaibao", "plugins.mingdao", "plugins.reports"]
CJK = re.compile(r"[\u4e00-\u9fff]")
TIMEOUT_MS = 15_000


# Names of the data (projects, companies, the group, people) that a title or heading may show in either language.
DATA_WORDS = {name for _code, name, *_ in demo.PROJECTS} | {name for name, *_ in demo.COMPANIES} | \
    {name for _user, name, *_ in demo.USERS} | {demo.GROUP[2]}


def ui_text(text: str) -> str:
    """``text`` without the app's name suffix and the names of data: what the UI itself says."""
    text = text.removesuffix(" · Gentou")
    for word in sorted(DATA_WORDS, key=len, reverse=True):
        text = text.replace(word, "")
    return text


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def live_server():
    """(base URL, app): the app on a fresh SQLite database with the demo, served by waitress in a thread."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: ./dev.sh setup installs Debian's chromium")
    from waitress.server import create_server

    from core import create_app
    folder = tempfile.mkdtemp(prefix="gentou-browser-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/browser.db", "REDIS_URL": None,
                      "SECRET_KEY": "browser-test-secret", "SERVER_NAME": None,
                      "ATTACHMENT_DIR": f"{folder}/attachments"}, plugins=PLUGINS)
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["gentou", "demo"], ["gentou", "modules", "disable", "dingtalk",
                                                           "--company", "JINYI"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", app
    server.close()
    thread.join(timeout=5)
    shutil.rmtree(folder, ignore_errors=True)


# Package scope: Playwright keeps an event loop running in this thread until it stops, and the later tests
# that seal agreements (pyHanko's asyncio.run()) refuse to run beside one.
@pytest.fixture(scope="package")
def chromium():
    """Debian's Chromium, launched by Playwright on a fresh temporary profile (its user-data-dir, new per launch)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Browser:
    """One person's tab, with the checks of every page it visits."""

    def __init__(self, browser, base: str, name: str):
        self.base, self.name = base, name
        self.context = browser.new_context(locale="zh-CN", accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.problems: list[str] = []
        self.visited: list[str] = []
        host = urlsplit(base).netloc
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error on {self.page.url}: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"script error on {self.page.url}: {e}"))
        self.downloads: set[str] = set()  # a download ends its navigation request as net::ERR_ABORTED
        self.page.on("download", lambda d: self.downloads.add(d.url))
        self.page.on("requestfailed", lambda r: self.problems.append(
            f"failed request {r.method} {r.url}: {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"{r.status} for {r.request.method} {r.url}"))

        def guard(route):
            if urlsplit(route.request.url).netloc == host or route.request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.problems.append(f"request leaving 127.0.0.1: {route.request.url}")
                route.abort()
        self.page.route("**/*", guard)
        self.page.on("load", lambda p: self.visited.append(p.url))

    def goto(self, path: str):
        self.page.goto(self.base + path)
        self.check_page()

    def click(self, locator):
        """Click what leads to another page, wait for it, check it."""
        with self.page.expect_navigation():
            locator.click()
        self.check_page()

    def click_refused(self, locator):
        """Submit a form the app refuses: it answers 400 with the form again and its messages (the app's way), which
        is what is expected here and so not one of the page's problems; the rest of the page is checked."""
        with self.page.expect_navigation() as navigation:
            locator.click()
        response = navigation.value
        assert response is not None and response.status == 400, f"not refused: {response and response.status}"
        self.page.wait_for_load_state("load")
        url = response.url
        self.problems = [p for p in self.problems if p != f"400 for {response.request.method} {url}" and not (
            p.startswith(f"console error on {url}: ") and "status of 400" in p)]
        self.check_page()

    def check_page(self, lang: str = "zh"):
        page = self.page
        page.wait_for_load_state("load")
        title = page.title()
        headings = page.locator("main").locator("h1, h2, h3")
        assert headings.count(), f"no heading on {page.url}"
        heading = headings.first.inner_text().strip()
        if lang == "zh":
            assert CJK.search(ui_text(title)), f"title without Chinese on {page.url}: {title!r}"
            assert CJK.search(heading), f"heading without Chinese on {page.url}: {heading!r}"
        else:
            assert re.search(r"[A-Za-z]{3}", ui_text(title)), f"title not in English on {page.url}: {title!r}"
            for text in (title, heading):
                assert not CJK.search(ui_text(text)), f"Chinese left in English on {page.url}: {text!r}"
        self.assert_clean()
        return title, heading

    def assert_clean(self):
        problems = [p for p in self.problems
                    if not any(p == f"failed request GET {url}: net::ERR_ABORTED" for url in self.downloads)]
        self.problems.clear()
        assert not problems, "\n".join(problems)

    def check_english(self):
        """Each page visited since the last call, again with ?lang=en: title and main heading in English; then
        the tab is back in Chinese."""
        seen = []
        for url in self.visited:
            parts = urlsplit(url)
            query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("lang="))
            path = f"{parts.path}?{query}" if query else parts.path
            if url.startswith(self.base) and not path.startswith("/login") and path not in seen:
                seen.append(path)
        for path in seen:
            self.page.goto(f"{self.base}{path}{'&' if '?' in path else '?'}lang=en")
            self.check_page(lang="en")
        self.page.goto(f"{self.base}/?lang=zh")
        self.visited.clear()

    def sign_in(self, username: str, password: str = demo.PASSWORD):
        self.goto("/login")
        self.page.get_by_label("账号", exact=True).fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=re.compile("登录")).click()
        self.check_page()


@pytest.fixture
def person(request, live_server, chromium):
    """``person(name)`` opens a signed-out tab in a browser context of its own (cookies, downloads); a failed test
    leaves each tab's screenshot in test-artifacts/."""
    base, _ = live_server
    tabs: list[Browser] = []

    def open_tab(name: str = "user") -> Browser:
        tab = Browser(chromium, base, name)
        tabs.append(tab)
        return tab
    yield open_tab
    failed = getattr(request.node, "rep_call", None)
    for tab in tabs:
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            tab.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{tab.name}.png"), full_page=True)
        tab.context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
