"""``python -m bench.load``: many people using one dashboard server at once, in real browsers.

    python -m bench.load --url http://127.0.0.1:8501 --sessions 20 --seconds 60

One Debian Chromium, one browser context per session (its own cookies and WebSocket, like a
separate person). Each session signs in through the login form with a demo account and then clicks
through the sidebar menu, page after page, the way a user moves around (a page reload would be a
new Streamlit session and need a new sign-in). One session in every twenty is the meeting wall:
it signs in as 大屏, opens /meeting and leaves it turning.

A page counts as shown when the server has reported the script run the click started as finished
(Streamlit's ``script_finished`` message on the session's WebSocket) and the page's 数据截至 stamp
is on screen with the connection up; the latency is from the click to that moment. Charts finish
drawing in the browser after that, which on a real user's machine costs the server nothing. The
table also gives the median time until the run finished on the server (for the login page that
includes loading the app into the browser before its WebSocket opens): with the browsers on the
server's own CPU, the gap between the two is the browsers' drawing, not the server.
Errors are: a session that fails (time-out, sign-in refused), an exception or error message on a
page, a connection still down when a page is checked, an HTTP 5xx answer or a request that failed
outright. A WebSocket that closes and reconnects by itself is counted, not an error. After
``--seconds`` no session starts a new page; those under way finish. Prints a table (per page:
views, errors, p50, p95, max); ``--json`` also writes it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Request,
    Response,
    WebSocket,
    async_playwright,
)
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.report import format_table
from dashboard.navigation import PAGES
from data_access.auth import DEMO_ACCOUNTS

CHROMIUM = "/usr/bin/chromium"
# As in tests/browser/conftest.py: Debian's Chromium as root on a machine with no route out.
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
# An office laptop's screen.
VIEWPORT = {"width": 1366, "height": 768}
POLL_MS = 100
PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}
# Accounts the working sessions take in turn (each sees the menu its role allows).
WORKING_ACCOUNTS = ("leader", "inspector", "township", "admin")
WALL_ACCOUNT = "display"
WALL_PATH = "meeting"
SESSIONS_PER_WALL = 20
# Page keys besides the url_paths: the login form (loading the app), and the page shown on
# signing in (总览, or the wall for the 大屏 account).
LOGIN_PAGE = "登录页"
SIGN_IN = "登录后首页"
TITLES = {spec.url_path: spec.title for spec in PAGES}
DEFAULT_PATH = next(spec.url_path for spec in PAGES if spec.default)

# The page's main content is there (its 数据截至 stamp, the run over, the connection up) — or the
# page shows an error, which the caller then reports. Charts (plotly 4.7 MB, deck.gl 3 MB of
# JavaScript) finish drawing after this: with twenty browsers on the server's own CPU, timing
# their parsing would measure this machine's browsers, not the server.
SHOWN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const has = (id) => document.querySelector(`[data-testid="${id}"]`) !== null;
    if (has('stException') || has('stAlertContentError')) return true;
    return app.getAttribute('data-test-connection-state') === 'CONNECTED' && has('data-stamp');
}"""
# What the page looked like when it was not shown in time, for the error message.
STATE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return {
        script: app && app.getAttribute('data-test-script-state'),
        connection: app && app.getAttribute('data-test-connection-state'),
        stamp: document.querySelector('[data-testid="data-stamp"]') !== null,
        path: location.pathname,
    };
}"""
# Exceptions, error messages and a lost connection on the page, as the user sees them.
PROBLEMS_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const texts = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)]
        .map((element) => element.innerText.trim().slice(0, 160));
    const connection = app ? app.getAttribute('data-test-connection-state') : 'no stApp';
    return {
        exceptions: texts('stException'),
        errors: texts('stAlertContentError'),
        connection: connection === 'CONNECTED' ? null : `connection ${connection}`,
    };
}"""


class PageProblemError(RuntimeError):
    """A page showed an exception or error message, or lost its connection."""


@dataclass
class SessionResult:
    account: str
    pages: int = 0
    wall_turns: int = 0
    error: str | None = None
    # Seconds from the start of the run: the first page shown after signing in, and the end.
    signed_in_at: float | None = None
    ended_at: float | None = None


@dataclass
class LoadReport:
    url: str
    sessions: int
    seconds: float
    elapsed: float = 0.0
    # Page key (a url_path, LOGIN_PAGE or SIGN_IN) → seconds each view took to be shown.
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # Page key → seconds until the server reported the view's script run finished: the server's
    # share of the latency (the rest is the browser drawing the page).
    run_latencies: dict[str, list[float]] = field(default_factory=dict)
    # Page key → problems seen while showing it.
    page_errors: dict[str, list[str]] = field(default_factory=dict)
    http_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    # WebSockets closed under a session in use ("account page"); the page reconnected.
    reconnects: list[str] = field(default_factory=list)
    results: list[SessionResult] = field(default_factory=list)

    @property
    def pages_served(self) -> int:
        """Views shown, the first one after each sign-in included (the login form is not)."""
        return sum(len(values) for key, values in self.latencies.items() if key != LOGIN_PAGE)

    @property
    def errors(self) -> list[str]:
        """Every error of the run, one line each."""
        lines = [
            f"{title(key)}: {problem}"
            for key, found in self.page_errors.items()
            for problem in found
        ]
        lines += [
            f"会话 {result.account}: {result.error}" for result in self.results if result.error
        ]
        return lines + self.http_errors + self.failed_requests


def title(key: str) -> str:
    return TITLES.get(key, key)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0–1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def accounts_for(sessions: int) -> list[str]:
    """One meeting wall per SESSIONS_PER_WALL sessions (at least one from five up), and working
    accounts in turn for the rest. The walls start first, as in a meeting room, so they turn
    while the others sign in."""
    walls = 0 if sessions < 5 else max(1, sessions // SESSIONS_PER_WALL)
    working = [WORKING_ACCOUNTS[index % len(WORKING_ACCOUNTS)] for index in range(sessions - walls)]
    return [WALL_ACCOUNT] * walls + working


class Session:
    """One browser context signed in as one account, recording into the shared report.

    Runs are followed on the session's WebSocket: the server says when a script run has finished
    and sends any exception as an element, whatever the browser has managed to draw by then.
    """

    def __init__(
        self,
        *,
        browser: Browser,
        report: LoadReport,
        account: str,
        index: int,
        deadline: float,
        page_timeout_s: float,
        forwarded_for: bool,
    ) -> None:
        self.browser = browser
        self.report = report
        self.result = SessionResult(account=account)
        self.index = index
        self.deadline = deadline
        self.started = deadline - report.seconds
        self.timeout_s = page_timeout_s
        self.forwarded_for = forwarded_for
        self.key = LOGIN_PAGE
        self.finished_runs = 0
        self.fragment_runs = 0
        self.exceptions_sent = 0
        self.run_finished = asyncio.Event()
        self.closing = False

    async def run(self, start_delay: float) -> SessionResult:
        await asyncio.sleep(start_delay)
        headers = {"X-Forwarded-For": f"10.0.{self.index // 250}.{self.index % 250 + 1}"}
        context = await self.browser.new_context(
            viewport=VIEWPORT,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            extra_http_headers=headers if self.forwarded_for else None,
        )
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_request_failed)
        try:
            page = await context.new_page()
            page.set_default_timeout(self.timeout_s * 1000)
            page.on("websocket", self._on_websocket)
            if self.result.account == WALL_ACCOUNT:
                await self._watch_wall(page)
            else:
                await self._browse(page)
        except Exception as error:
            # Any failure of one session is reported with the others', never raised.
            self.result.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
        finally:
            self.closing = True
            await _close(context)
            self.result.ended_at = time.monotonic() - self.started
        return self.result

    async def _sign_in(self, page: Page, path: str, key: str) -> None:
        url = f"{self.report.url}/{'' if path == DEFAULT_PATH else path}"
        await self._timed(page, LOGIN_PAGE, page.goto(url), shown=page.get_by_label("用户名"))
        await page.get_by_label("用户名", exact=True).fill(self.result.account)
        await page.get_by_label("密码", exact=True).fill(PASSWORDS[self.result.account])
        await self._timed(page, key, page.get_by_role("button", name="登录").click())
        self.result.signed_in_at = time.monotonic() - self.started

    async def _browse(self, page: Page) -> None:
        await self._sign_in(page, DEFAULT_PATH, SIGN_IN)
        links = page.get_by_test_id("stPageLink-NavLink")
        await links.first.wait_for()
        hrefs = [
            await links.nth(index).get_attribute("href") or ""
            for index in range(await links.count())
        ]
        # The meeting wall hides the menu: a user there could only come back with the browser's
        # back button. The wall session covers that page.
        menu = [
            (index, href or DEFAULT_PATH) for index, href in enumerate(hrefs) if href != WALL_PATH
        ]
        if len(menu) < 2:
            raise PageProblemError(f"menu of {self.result.account} has {len(menu)} pages")
        # Every session starts its round at another page, so the pages are visited evenly.
        turn = self.index
        current = DEFAULT_PATH
        while time.monotonic() < self.deadline:
            index, path = menu[turn % len(menu)]
            turn += 1
            if path == current:
                continue
            await self._timed(page, path, links.nth(index).click())
            current = path

    async def _watch_wall(self, page: Page) -> None:
        await self._sign_in(page, WALL_PATH, WALL_PATH)
        turns_before = self.fragment_runs
        while time.monotonic() < self.deadline:
            await asyncio.sleep(min(2.0, max(0.0, self.deadline - time.monotonic())))
            await self._check(page, exceptions_before=0)
        self.result.wall_turns = self.fragment_runs - turns_before

    async def _timed(
        self, page: Page, key: str, action: Awaitable[object], *, shown: Locator | None = None
    ) -> None:
        """Do ``action``, wait until the run it started has finished and the page is shown
        (``shown`` visible, else SHOWN_JS), record the latency under ``key``."""
        self.key = key
        before = self.finished_runs
        exceptions_before = self.exceptions_sent
        started = time.monotonic()
        await action
        try:
            await self._run_finished_after(before, deadline=started + self.timeout_s)
            run_elapsed = time.monotonic() - started
            remaining_ms = max(1.0, started + self.timeout_s - time.monotonic()) * 1000
            if shown is not None:
                await shown.first.wait_for(timeout=remaining_ms)
            else:
                # Polled, not on every animation frame: twenty pages checking 60 times a second
                # would take the CPU the pages themselves need.
                await page.wait_for_function(SHOWN_JS, polling=POLL_MS, timeout=remaining_ms)
        except (TimeoutError, PlaywrightTimeoutError):
            state = await page.evaluate(STATE_JS)
            raise PageProblemError(
                f"{title(key)} not shown after {self.timeout_s:.0f} s "
                f"(runs finished {before} → {self.finished_runs}, page {state})"
            ) from None
        elapsed = time.monotonic() - started
        await self._check(page, exceptions_before=exceptions_before)
        self.report.latencies.setdefault(key, []).append(elapsed)
        self.report.run_latencies.setdefault(key, []).append(run_elapsed)
        self.result.pages += 1

    async def _run_finished_after(self, before: int, *, deadline: float) -> None:
        while self.finished_runs <= before:
            self.run_finished.clear()
            await asyncio.wait_for(self.run_finished.wait(), max(0.0, deadline - time.monotonic()))

    async def _check(self, page: Page, *, exceptions_before: int) -> None:
        """Raise PageProblemError when the page shows a problem or the server sent an exception
        since ``exceptions_before``; each problem is recorded once."""
        shown = await page.evaluate(PROBLEMS_JS)
        sent = self.exceptions_sent > exceptions_before
        # What the server sent is recorded already (_on_frame); its box on the page is not again.
        problems = [] if sent else [*shown["exceptions"], *shown["errors"]]
        problems += [shown["connection"]] if shown["connection"] else []
        self._problem(*problems)
        if sent or problems:
            raise PageProblemError("; ".join(problems) or "exception sent by the server")

    def _problem(self, *problems: str) -> None:
        if problems:
            self.report.page_errors.setdefault(self.key, []).extend(problems)

    def _on_websocket(self, websocket: WebSocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            websocket.on("framereceived", self._on_frame)
            websocket.on("close", self._on_websocket_closed)

    def _on_websocket_closed(self, _websocket: WebSocket) -> None:
        # Streamlit's page reconnects by itself and keeps the session; a connection that stays
        # down shows up as an error (PROBLEMS_JS, or the page never shown).
        if not self.closing:
            self.report.reconnects.append(f"{self.result.account} {title(self.key)}")

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg.FromString(payload)
        kind = message.WhichOneof("type")
        if kind == "script_finished":
            status = message.script_finished
            if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                self.finished_runs += 1
            elif status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self.fragment_runs += 1
            elif status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self._problem("script failed to compile")
            self.run_finished.set()
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "exception" and not element.exception.is_warning:
                self.exceptions_sent += 1
                self._problem(f"exception {element.exception.type}: {element.exception.message}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.report.http_errors.append(f"HTTP {response.status} {response.url}")

    def _on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # Requests the page itself abandoned (a chart replaced mid-load) are not server errors.
        if "ERR_ABORTED" not in failure:
            self.report.failed_requests.append(f"请求失败 {failure} {request.url}")


async def _close(context: BrowserContext) -> None:
    # The browser may already be gone; then there is nothing left to close.
    with contextlib.suppress(Exception):
        await context.close()


async def run_load(
    *,
    url: str,
    sessions: int,
    seconds: float,
    ramp_seconds: float,
    page_timeout_s: float,
    forwarded_for: bool = False,
) -> LoadReport:
    """Drive ``sessions`` browser sessions against ``url`` for ``seconds``; returns the report."""
    report = LoadReport(url=url.rstrip("/"), sessions=sessions, seconds=seconds)
    started = time.monotonic()
    deadline = started + seconds
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            runs = [
                Session(
                    browser=browser,
                    report=report,
                    account=account,
                    index=index,
                    deadline=deadline,
                    page_timeout_s=page_timeout_s,
                    forwarded_for=forwarded_for,
                ).run(start_delay=ramp_seconds * index / max(1, sessions))
                for index, account in enumerate(accounts_for(sessions))
            ]
            report.results = list(await asyncio.gather(*runs))
        finally:
            await browser.close()
    report.elapsed = time.monotonic() - started
    return report


def format_report(report: LoadReport) -> str:
    rows = []
    for key in [LOGIN_PAGE, SIGN_IN, *(spec.url_path for spec in PAGES)]:
        values = report.latencies.get(key, [])
        runs = report.run_latencies.get(key, [])
        errors = len(report.page_errors.get(key, []))
        if not values and not errors:
            continue
        timing = (
            [
                f"{statistics.median(runs):.2f}",
                f"{statistics.median(values):.2f}",
                f"{percentile(values, 0.95):.2f}",
                f"{max(values):.2f}",
            ]
            if values
            else ["-", "-", "-", "-"]
        )
        rows.append([title(key), f"{len(values)}", f"{errors}", *timing])
    headers = ["页面", "次数", "错误", "运行完成 p50 (s)", "显示 p50 (s)", "p95 (s)", "最大 (s)"]
    table = format_table(headers, rows)
    completed = sum(1 for result in report.results if result.pages > 0 and not result.error)
    turns = sum(result.wall_turns for result in report.results)
    signed_in = [r.signed_in_at for r in report.results if r.signed_in_at is not None]
    last_sign_in = f"，最后一个会话登录完成于 {max(signed_in):.1f} s" if signed_in else ""
    summary = [
        f"{report.url}：{report.sessions} 个会话，限时 {report.seconds:g} s，"
        f"实际 {report.elapsed:.1f} s{last_sign_in}",
        f"显示页面 {report.pages_served} 次（含登录后首页），"
        f"会议大屏轮播 {turns} 次，{completed}/{len(report.results)} 个会话无错完成",
        f"错误 {len(report.errors)} 个（HTTP 5xx {len(report.http_errors)}，"
        f"请求失败 {len(report.failed_requests)}），"
        f"WebSocket 断开后自动重连 {len(report.reconnects)} 次",
    ]
    errors = [f"  {line}" for line in report.errors[:20]]
    return "\n".join([*summary, "", table, *(["", *errors] if errors else [])])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Concurrent browser sessions against one dashboard server: errors and latency.",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="the server's base URL")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="no new page is opened after this long"
    )
    parser.add_argument(
        "--ramp", type=float, default=10.0, help="seconds over which the sessions start"
    )
    parser.add_argument(
        "--page-timeout", type=float, default=120.0, help="seconds a page may take to show"
    )
    parser.add_argument(
        "--forwarded-for",
        action="store_true",
        help="send each session from its own X-Forwarded-For address (10.0.x.y): behind an nginx "
        "that trusts the header from loopback, one machine then plays many office PCs",
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0:
        print("--sessions and --seconds must be positive", file=sys.stderr)
        return 2
    report = asyncio.run(
        run_load(
            url=args.url,
            sessions=args.sessions,
            seconds=args.seconds,
            ramp_seconds=args.ramp,
            page_timeout_s=args.page_timeout,
            forwarded_for=args.forwarded_for,
        )
    )
    print(format_report(report))
    if args.json:
        payload = {**asdict(report), "errors": report.errors, "pages_served": report.pages_served}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
