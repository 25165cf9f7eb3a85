"""Sign-ins kept on the server (web_sessions), so that a reload, a deep link or a new tab stays
signed in, and ends everywhere when it must.

How a browser gets its session, without the token ever being in a URL or readable by a script:

1. the sign-in form checks the password and calls ``start``: a session row and a one-time
   ticket (random, stored hashed, valid TICKET_SECONDS);
2. the signed-in page hands the ticket to its browser, which POSTs it to the server's session
   route (dashboard/server.py); ``redeem`` exchanges it, once, for the session's token, which the
   route sets as an HttpOnly, SameSite=Strict cookie;
3. a new Streamlit session (reload, tab, reboot of the wall's PC) reads that cookie from its
   websocket's handshake and ``resume``s.

A session ends at sign-out, after ``idle`` without a run, at its absolute lifetime; it is revoked
at once when its user is disabled, their password reset or their roles changed (``revoke_user``,
called by data_access.auth in the same transaction). Every run of a signed-in page ``check``s it.
Only SHA-256 digests of tokens and tickets are stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from data_access.models import User, WebSession

TICKET_SECONDS = 120
# last_seen_at is written at most this often by one session's runs.
TOUCH_SECONDS = 30
_USER_AGENT_LENGTH = 200


class Ended:
    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    DISABLED = "disabled"
    PASSWORD_RESET = "password_reset"
    ROLES_CHANGED = "roles_changed"


@dataclass(frozen=True)
class Lifetime:
    """How long a session lasts: ``idle`` without a run, ``absolute`` from sign-in."""

    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Resumed:
    session_id: int
    username: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def user_stamp(conn: Connection, username: str) -> str | None:
    """What a session remembers of its user (roles and township), or None when the user is
    unknown or disabled. (A password reset ends the user's sessions itself: revoke_user.)"""
    row = conn.execute(
        select(User.roles, User.township_id).where(User.username == username, User.active.is_(True))
    ).one_or_none()
    return None if row is None else _digest(f"{row.roles}|{row.township_id}")


def start(
    conn: Connection, *, username: str, now: datetime, lifetime: Lifetime, user_agent: str = ""
) -> tuple[int, str]:
    """A new session of ``username`` (just signed in): its id and the one-time ticket for the
    browser."""
    ticket = secrets.token_urlsafe(32)
    session_id = conn.execute(
        insert(WebSession)
        .values(
            username=username,
            user_stamp=user_stamp(conn, username) or "",
            ticket_hash=_digest(ticket),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime.absolute,
            user_agent=user_agent[:_USER_AGENT_LENGTH],
        )
        .returning(WebSession.id)
    ).scalar_one()
    return session_id, ticket


def redeem(conn: Connection, *, ticket: str, now: datetime) -> tuple[str, datetime] | None:
    """The session token (and its expiry) for a ticket given out less than TICKET_SECONDS ago
    and not redeemed yet; None otherwise. The ticket is spent either way."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 100:
        return None
    row = conn.execute(
        select(WebSession.id, WebSession.created_at, WebSession.expires_at).where(
            WebSession.ticket_hash == _digest(ticket), WebSession.ended_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return None
    token = secrets.token_urlsafe(32)
    fresh = now - row.created_at <= timedelta(seconds=TICKET_SECONDS)
    spent = conn.execute(
        update(WebSession)
        .where(WebSession.id == row.id, WebSession.ticket_hash.is_not(None))
        .values(ticket_hash=None, token_hash=_digest(token) if fresh else None)
    )
    if not spent.rowcount or not fresh:
        return None
    return token, row.expires_at


def _ended_reason(row, *, now: datetime, lifetime: Lifetime) -> str | None:
    if row.ended_reason is not None:
        return row.ended_reason
    if now >= row.expires_at:
        return Ended.EXPIRED
    if now - row.last_seen_at > lifetime.idle:
        return Ended.IDLE
    return None


def check(conn: Connection, *, session_id: int, now: datetime, lifetime: Lifetime) -> str | None:
    """None while the session holds (its last run is recorded, at most every TOUCH_SECONDS);
    otherwise why it ended (and it is ended, if it had not been)."""
    row = conn.execute(
        select(
            WebSession.username,
            WebSession.user_stamp,
            WebSession.ended_reason,
            WebSession.expires_at,
            WebSession.last_seen_at,
        ).where(WebSession.id == session_id)
    ).one_or_none()
    if row is None:
        return Ended.LOGOUT
    reason = _ended_reason(row, now=now, lifetime=lifetime)
    if reason is None:
        stamp = user_stamp(conn, row.username)
        if stamp is None:
            reason = Ended.DISABLED
        elif stamp != row.user_stamp:
            reason = Ended.ROLES_CHANGED
    if reason is not None:
        if row.ended_reason is None:
            end(conn, session_id=session_id, now=now, reason=reason)
        return reason
    if now - row.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
        conn.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))
    return None


def resume(conn: Connection, *, token: str | None, now: datetime, lifetime_of) -> Resumed | None:
    """The session the cookie's ``token`` names, when it still holds and its user is active;
    ``lifetime_of(username)`` gives the user's Lifetime (the wall's idle limit is longer)."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    row = conn.execute(
        select(
            WebSession.id,
            WebSession.username,
            WebSession.ended_reason,
            WebSession.expires_at,
            WebSession.last_seen_at,
        )
        .join(User, User.username == WebSession.username)
        .where(WebSession.token_hash == _digest(token), User.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    if check(conn, session_id=row.id, now=now, lifetime=lifetime_of(row.username)) is not None:
        return None
    return Resumed(row.id, row.username)


def end(conn: Connection, *, session_id: int, now: datetime, reason: str) -> None:
    conn.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason, token_hash=None, ticket_hash=None)
    )


def revoke_user(conn: Connection, *, username: str, now: datetime, reason: str) -> int:
    """End every open session of ``username``; returns how many."""
    ended = conn.execute(
        update(WebSession)
        .where(WebSession.username == username, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason, token_hash=None, ticket_hash=None)
    )
    return ended.rowcount
