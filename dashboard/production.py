"""What production mode refuses to start with: secrets copied from the examples or too short."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Streamlit signs its cookies with server.cookieSecret (STREAMLIT_SERVER_COOKIE_SECRET).
MIN_SECRET_BYTES = 32
# The placeholders of deploy/dashboard.env.example and the words such placeholders are made of.
_EXAMPLE_MARKS = ("replace-with", "change-this", "changeme", "your-")


def _looks_like_an_example(value: str) -> bool:
    folded = value.casefold()
    return any(mark in folded for mark in _EXAMPLE_MARKS)


def secret_problems(*, cookie_secret: str | None, database_url: str) -> list[str]:
    """Why these secrets must not run a production deployment, in Chinese; empty when none."""
    problems = []
    secret = cookie_secret or ""
    if _looks_like_an_example(secret):
        problems.append(
            "STREAMLIT_SERVER_COOKIE_SECRET 仍是 deploy/dashboard.env.example 中的示例值，"
            "请用 `openssl rand -hex 32` 生成一个"
        )
    elif len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        problems.append(
            f"STREAMLIT_SERVER_COOKIE_SECRET 太短（{len(secret.encode('utf-8'))} 字节，"
            f"至少 {MIN_SECRET_BYTES} 字节），请用 `openssl rand -hex 32` 生成一个"
        )
    try:
        password = make_url(database_url).password
    except ArgumentError:
        password = None
    if password is not None and _looks_like_an_example(str(password)):
        problems.append("DASHBOARD_DB_URL 中的数据库密码仍是示例值，请换成真正的密码")
    return problems
