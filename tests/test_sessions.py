"""Sign-ins kept on the server (data_access/sessions.py) on SQLite and PostgreSQL, and the route
that sets the session cookie (dashboard/server.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from data_access import sessions
from data_access.auth import Role, add_user, disable_user, reset_password
from data_access.models import WebSession

NOW = datetime(2026, 11, 29, 9, 0)
LIFETIME = sessions.Lifetime(idle=timedelta(minutes=30), absolute=timedelta(days=7))


def _add_leader(conn, username: str, now: datetime) -> None:
    add_user(
        conn=conn,
        username=username,
        display_name=username,
        password="correct-horse",
        roles=[Role.LEADER],
        by="test",
        now=now,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    name = "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    engine = request.getfixturevalue(name)
    with engine.begin() as conn:
        _add_leader(conn, "wang", NOW)
    return engine


def _signed_in(engine, *, now: datetime = NOW) -> tuple[int, str]:
    """A session started and its ticket redeemed: its id and the cookie's token."""
    with engine.begin() as conn:
        session_id, ticket = sessions.start(conn, username="wang", now=now, lifetime=LIFETIME)
    with engine.begin() as conn:
        token, expires_at = sessions.redeem(conn, ticket=ticket, now=now + timedelta(seconds=5))
    assert expires_at == now + LIFETIME.absolute
    return session_id, token


def _resume(engine, token: str | None, now: datetime):
    with engine.begin() as conn:
        return sessions.resume(conn, token=token, now=now, lifetime_of=lambda _: LIFETIME)


def test_a_redeemed_ticket_gives_a_token_that_resumes_the_session(engine):
    session_id, token = _signed_in(engine)
    resumed = _resume(engine, token, NOW + timedelta(minutes=10))
    assert resumed == sessions.Resumed(session_id, "wang")
    with engine.connect() as conn:
        stored = conn.execute(select(WebSession.token_hash, WebSession.ticket_hash)).one()
    assert token not in stored, "only digests are stored"
    assert stored.ticket_hash is None


def test_a_ticket_is_spent_by_its_first_use_and_expires_unused(engine):
    with engine.begin() as conn:
        _, ticket = sessions.start(conn, username="wang", now=NOW, lifetime=LIFETIME)
        _, late = sessions.start(conn, username="wang", now=NOW, lifetime=LIFETIME)
    with engine.begin() as conn:
        assert sessions.redeem(conn, ticket=ticket, now=NOW) is not None
        assert sessions.redeem(conn, ticket=ticket, now=NOW) is None
        too_late = NOW + timedelta(seconds=sessions.TICKET_SECONDS + 1)
        assert sessions.redeem(conn, ticket=late, now=too_late) is None
        assert sessions.redeem(conn, ticket="guessed", now=NOW) is None
        assert sessions.redeem(conn, ticket="", now=NOW) is None


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 500])
def test_an_unknown_token_resumes_nothing(engine, token):
    _signed_in(engine)
    assert _resume(engine, token, NOW) is None


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(engine):
    _, token = _signed_in(engine)
    # Active every 20 minutes: each run counts, so 30 minutes idle never pass...
    moment = NOW
    for _ in range(10):
        moment += timedelta(minutes=20)
        assert _resume(engine, token, moment) is not None
    # ...until 31 minutes without one.
    assert _resume(engine, token, moment + timedelta(minutes=31)) is None
    assert _resume(engine, token, moment + timedelta(minutes=32)) is None, "ended for good"
    _, other = _signed_in(engine)
    assert _resume(engine, other, NOW + LIFETIME.absolute) is None


@pytest.mark.parametrize(
    ("revoke", "reason"),
    [
        (lambda conn: disable_user(conn=conn, username="wang", by="admin", now=NOW), "disabled"),
        (
            lambda conn: reset_password(
                conn=conn, username="wang", password="battery-staple", by="admin", now=NOW
            ),
            "password_reset",
        ),
        (
            lambda conn: conn.execute(text("UPDATE users SET roles = '督查组'")),
            "roles_changed",
        ),
    ],
    ids=["disabled", "password-reset", "roles-changed"],
)
def test_a_session_is_revoked_at_once_when_its_user_changes(engine, revoke, reason):
    session_id, token = _signed_in(engine)
    with engine.begin() as conn:
        revoke(conn)
    with engine.begin() as conn:
        ended = sessions.check(conn, session_id=session_id, now=NOW, lifetime=LIFETIME)
    assert ended == reason
    assert _resume(engine, token, NOW) is None


def test_sign_out_ends_the_session_for_every_tab(engine):
    session_id, token = _signed_in(engine)
    with engine.begin() as conn:
        sessions.end(conn, session_id=session_id, now=NOW, reason=sessions.Ended.LOGOUT)
        assert sessions.check(conn, session_id=session_id, now=NOW, lifetime=LIFETIME) == "logout"
    assert _resume(engine, token, NOW) is None


def test_the_session_route_sets_an_http_only_strict_cookie_once(
    fresh_engine, monkeypatch, test_config_path
):
    """dashboard/server.py's route, called as the ASGI server calls it."""
    from starlette.requests import Request

    from dashboard import server

    monkeypatch.setenv("DASHBOARD_DB_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    from config import load_settings

    now = load_settings().clock.now()
    with fresh_engine.begin() as conn:
        _add_leader(conn, "li", now)
        _, ticket = sessions.start(conn, username="li", now=now, lifetime=LIFETIME)

    def post(body: bytes, scheme: str = "http"):
        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/_session", "headers": []}
        scope |= {"scheme": scheme, "query_string": b"", "server": ("127.0.0.1", 80)}
        return asyncio.run(server.redeem_ticket(Request(scope, receive)))

    answer = post(ticket.encode(), scheme="https")
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("dashboard_session=")
    for attribute in ("HttpOnly", "SameSite=strict", "Secure", "Path=/"):
        assert attribute in cookie
    assert ticket not in cookie
    assert post(ticket.encode()).status_code == 403, "a ticket is used once"
    assert post(b"x" * 500).status_code == 413
