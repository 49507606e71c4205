"""Browser-test fixtures: headless Debian Chromium through Playwright, and real servers.

Browsers cannot be downloaded here, so Playwright drives the system's `/usr/bin/chromium`
(`.ci/run` installs it with apt). Without it the browser tests skip, unless `CI` is set:
then a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ADMIN_KEY = "browser-test-admin"
# The publisher's pages live on names under .test (a site's domain needs a dot), which the
# browser resolves to this machine: another origin than the ad server at 127.0.0.1.
PAGE_HOST = "news.test"
HOST_RULES = "--host-resolver-rules=MAP *.test 127.0.0.1"


def require_chromium() -> None:
    """Skip without Chromium, unless CI is set: then it is a failure."""
    if CHROMIUM.exists():
        return
    if "CI" in os.environ:
        pytest.fail(f"{CHROMIUM} is missing and CI is set (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} missing: install Debian's chromium to run the browser tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real `promovolve serve` process on a free port, with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_key = ADMIN_KEY
        self.env = env or {}
        self.args: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> LiveServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROMOVOLVE_")}
        env |= {"PROMOVOLVE_ADMIN_KEY": self.admin_key, "PROMOVOLVE_SNAPSHOT_INTERVAL": "0.3"}
        env |= self.env
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115
        command = [sys.executable, "-m", "promovolve.cli.main", "serve"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        command += ["--log-level", "warning", *self.args]
        self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.proc.poll() is None, self.log
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start:\n" + self.log)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def call(
        self, method: str, path: str, key: str | None = None, json: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        return httpx.request(method, self.url + path, json=json, headers=headers, timeout=10)

    def ok(self, method: str, path: str, key: str | None = None, json: Any = None) -> Any:
        """The JSON answer of a call that must succeed."""
        r = self.call(method, path, key, json)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


class PageServer:
    """Static pages from another origin than the ad server (the publisher's site).

    Pages are registered by path; every request is recorded, so a test can tell what the
    browser fetched.
    """

    def __init__(self, host: str = PAGE_HOST) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        pages, requests = self.pages, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                found = pages.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
        self.pages[path] = (content_type, body.encode())
        return self.origin + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# Module scope: the sync API runs an event loop in this thread while open, which the async
# tests of other modules (pytest-asyncio) cannot share; it closes after each browser module.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    launched = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", HOST_RULES]
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no shared cookies or cache) and its page."""
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with extra environment or flags; all are stopped after the test."""
    started: list[LiveServer] = []

    def make(env: dict[str, str] | None = None, args: list[str] | None = None) -> LiveServer:
        server = LiveServer(tmp_path / f"server-{len(started)}", env)
        server.args = args or []
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    return server_factory()


@pytest.fixture
def pages() -> Iterator[PageServer]:
    """The publisher's web server, at http://news.test:PORT (another origin)."""
    site = PageServer()
    try:
        yield site
    finally:
        site.close()
