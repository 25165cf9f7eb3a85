"""End-to-end fixtures: a small demo county, a real Streamlit server, Debian's Chromium.

The server and the browser are started once per session; every test gets a fresh browser context
(1920×1080, zh-CN, the meeting-room screen) whose requests are recorded, so a test can prove the
page stayed offline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.clock import AS_OF, write_test_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WALL_SECONDS = 6

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as root on a machine with no route out: without the background-networking
# flags it keeps trying (and failing) to reach Google's hosts at every start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1920, "height": 1080}

DEMO_SCALE = "0.05"
DEMO_SEED = "7"
SERVER_START_TIMEOUT_S = 60.0


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    # Session-scoped and autouse, so the skip happens before the demo county is built.
    if CHROMIUM.exists():
        return
    reason = (
        f"{CHROMIUM} not found: install Debian's chromium and fonts-noto-cjk "
        "(`apt-get install chromium fonts-noto-cjk`; .ci/run does this)"
    )
    # .ci/run installs Chromium, so in CI a missing browser is a broken setup, not a skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the server: a seeded SQLite demo county and settings with the clock
    frozen (tests/clock.py)."""
    workdir = tmp_path_factory.mktemp("browser")
    config = write_test_config(workdir / "settings.toml")
    config.write_text(_with_fast_meeting_wall(config.read_text("utf-8")), "utf-8")
    env = {
        **os.environ,
        "DASHBOARD_DB_URL": f"sqlite:///{workdir / 'browser.db'}",
        "DASHBOARD_CONFIG": str(config),
    }
    seed_command = [sys.executable, "-m", "data_access", "seed-demo", "--scale", DEMO_SCALE]
    seed_command += ["--seed", DEMO_SEED, "--as-of", AS_OF.isoformat()]
    seed = subprocess.run(
        seed_command,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if seed.returncode != 0:
        pytest.fail(f"seed-demo failed ({seed.returncode}):\n{seed.stdout}\n{seed.stderr}")
    return env


def _with_fast_meeting_wall(text: str) -> str:
    """The meeting wall turns every WALL_SECONDS, so a test can watch it rotate twice."""
    return re.sub(r"(?m)^seconds_per_panel = \d+$", f"seconds_per_panel = {WALL_SECONDS}", text)


@pytest.fixture(scope="session")
def server_url(demo_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (no trailing slash) of the dashboard's server: dashboard/server.py, as `make run`
    starts it."""
    with running_server(demo_env, tmp_path_factory.mktemp("server")) as base_url:
        yield base_url


@contextmanager
def running_server(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """A dashboard server on a free port with ``env`` (its database and settings), until the
    block ends; yields its base URL."""
    port = _free_port()
    log_path = log_dir / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/server.py"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--server.headless", "true"]
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(server, base_url, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(server: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"streamlit exited with {server.returncode}:\n{log_path.read_text('utf-8')}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:  # refused while starting, 503 until ready, timeouts
            pass
        time.sleep(0.25)
    log = log_path.read_text("utf-8")
    pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT_S:.0f} s:\n{log}")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Debian Chromium for the session (Playwright gives every launch a fresh empty profile)."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def request_log() -> list[str]:
    """Every URL the page fixture's browser context requested, in order (websockets included)."""
    return []


@pytest.fixture
def page(browser: Browser, request_log: list[str]) -> Iterator[Page]:
    """A fresh 1920×1080 zh-CN page that records every request into ``request_log``."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.on("request", lambda request: request_log.append(request.url))
    tab = context.new_page()
    tab.on("websocket", lambda websocket: request_log.append(websocket.url))
    yield tab
    context.close()
