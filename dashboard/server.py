"""The dashboard's server: the Streamlit app (dashboard/app.py) with one route of its own, where a
signed-in page's browser exchanges its one-time ticket for the HttpOnly session cookie
(data_access.sessions), and one guard: a generated file (every export is served from Streamlit's
/media/ address) goes only to a browser whose cookie names a session that still holds, so a
file's address is worthless after sign-out, a disabled account or an expired session.

Run with ``streamlit run dashboard/server.py`` (the Makefile and the systemd unit do). Why this
way: Streamlit's script cannot set a cookie, and a cookie a page's script sets can be read by
any script on the page. A response of the server can set it HttpOnly (no script can read it),
SameSite=Strict (no other site's page sends it) and, behind HTTPS, Secure; the token never
appears in a URL, a page or a log, and only its SHA-256 is stored.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from config import load_settings
from dashboard.auth import SESSION_COOKIE, SESSION_ROUTE, cookie_session
from dashboard.data import engine_for
from data_access import sessions
from data_access.commands import change

APP = Path(__file__).with_name("app.py")
# A ticket is a short text; anything longer is refused unread.
_MAX_BODY = 200


def _base_path() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


async def redeem_ticket(request: Request) -> Response:
    """POST: the ticket in the body; 204 with the session cookie, or 403."""
    body = await request.body()
    if len(body) > _MAX_BODY:
        return Response(status_code=413)
    settings = load_settings()
    now = settings.clock.now()
    with change(engine_for(settings.database_url), by="", at=now) as write:
        redeemed = sessions.redeem(write.conn, ticket=body.decode("ascii", "replace"), now=now)
    if redeemed is None:
        return Response(status_code=403)
    token, expires_at = redeemed
    secure = request.url.scheme == "https" or (
        request.headers.get("x-forwarded-proto", "").lower() == "https"
    )
    response = Response(status_code=204)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int((expires_at - now).total_seconds())),
        path=_base_path(),
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _session_holds(token: str | None) -> bool:
    return cookie_session(load_settings(), token) is not None


class FilesNeedSession:
    """Refuses (403) a request under ``/media/`` whose session cookie names no session that
    still holds. Streamlit keeps a generated file at its address until it prunes it, two runs
    later, and does not know whose it is; the cookie does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{_base_path()}media/"):
            token = Request(scope).cookies.get(SESSION_COOKIE)
            if not await run_in_threadpool(_session_holds, token):
                refusal = PlainTextResponse(
                    "请先登录：文件只提供给已登录的会话。",
                    status_code=403,
                    headers={"Cache-Control": "no-store"},
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


app = st.App(
    str(APP),
    routes=[Route(f"{_base_path()}{SESSION_ROUTE}", redeem_ticket, methods=["POST"])],
    middleware=[Middleware(FilesNeedSession)],
)
