"""Browser end-to-end tests: the real platform (``python -m infra.local.dev``) and Debian's Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KORRIGO_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "Korrigo-demo-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def platform_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole local platform with its demo data, on free ports, stopped at the end."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The SPA is not built: run `make e2e` (it builds frontend/dist first).")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("AWS_ENDPOINT_URL", "KORRIGO_RESOURCE_PREFIX")
    }
    env.update(
        PORT=str(port),
        KORRIGO_API_PORT=str(free_port()),
        KORRIGO_EMULATOR_PORT=str(free_port()),
        KORRIGO_STATE_DIR=str(tmp_path_factory.mktemp("platform")),
    )
    runner = subprocess.Popen(
        [sys.executable, "-m", "infra.local.dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = runner.stdout.readline() if runner.stdout else ""
            if not line and runner.poll() is not None:
                pytest.fail("make dev stopped:\n" + "".join(output))
            output.append(line)
            if "Korrigo is running at" in line:
                break
        else:
            pytest.fail("make dev did not start in 120 s:\n" + "".join(output))
        yield f"http://127.0.0.1:{port}"
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGTERM)
            try:
                runner.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(runner.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page per test."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
