"""Signing in through the real login form in AppTest, as one of the demo accounts."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from data_access.auth import DEMO_ACCOUNTS

DEMO_PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}


def logged_in(app: AppTest, username: str = "admin", password: str | None = None) -> AppTest:
    """Run ``app`` (showing the login form), sign in and return it on the page it was opened at."""
    app.run()
    app.text_input(key="login_username").input(username)
    app.text_input(key="login_password").input(password or DEMO_PASSWORDS[username])
    return app.button(key="login_submit").click().run()
