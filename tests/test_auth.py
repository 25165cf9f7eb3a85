"""data_access/auth.py: password hashing, sign-in with lockout, user management, how roles combine,
and the ``users`` command line."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from data_access.__main__ import main as cli
from data_access.auth import (
    DEMO_ACCOUNTS,
    Access,
    AuthError,
    LoginRefusedError,
    Role,
    access_for,
    add_user,
    authenticate,
    demo_passwords_in_use,
    disable_user,
    ensure_demo_users,
    hash_password,
    reset_password,
    verify_password,
)
from data_access.db import init_db, make_engine
from data_access.models import User
from tests.builders import add_township

NOW = datetime(2026, 11, 29, 9, 0)


def sign_in(conn, username: str, password: str, *, now: datetime = NOW) -> Access:
    return authenticate(
        conn=conn,
        username=username,
        password=password,
        now=now,
        max_failures=3,
        lockout_minutes=15,
    )


def _add_wang(engine) -> None:
    with engine.begin() as conn:
        add_user(
            conn=conn,
            username="wang",
            display_name="王局长",
            password="correct-horse",
            roles=[Role.ADMIN],
            by="test",
            now=NOW,
        )


@pytest.fixture
def engine_with_admin(fresh_engine):
    _add_wang(fresh_engine)
    return fresh_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def file_engine_with_admin(request, tmp_path):
    """The admin in a database several connections share: a SQLite file, or PostgreSQL."""
    if request.param == "postgresql":
        engine = request.getfixturevalue("fresh_postgres")
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'auth.db'}")
        init_db(engine)
    _add_wang(engine)
    return engine


def test_the_same_password_hashes_differently_with_each_salt():
    first, second = hash_password("correct-horse"), hash_password("correct-horse")
    assert first != second
    assert first.startswith("$argon2id$")
    assert "correct-horse" not in first


def test_a_hash_verifies_its_password_and_nothing_else():
    stored = hash_password("correct-horse")
    assert verify_password("correct-horse", stored)
    assert not verify_password("correct-horsE", stored)
    assert not verify_password("", stored)


@pytest.mark.parametrize(
    "stored", ["", "plain", "bcrypt$x$y$z$a$b", "scrypt$1$2$3$!!$!!", "$argon2id$v=19$garbage"]
)
def test_a_malformed_stored_hash_never_verifies(stored):
    assert not verify_password("anything", stored)


def test_the_right_password_signs_in(engine_with_admin):
    with engine_with_admin.begin() as conn:
        access = sign_in(conn, "wang", "correct-horse")
    assert access.username == "wang"
    assert access.roles == {Role.ADMIN}


@pytest.mark.parametrize(
    ("username", "password"), [("wang", "wrong-password"), ("nobody", "correct-horse")]
)
def test_a_wrong_name_or_password_gets_the_same_refusal(engine_with_admin, username, password):
    with (
        engine_with_admin.begin() as conn,
        pytest.raises(LoginRefusedError, match="用户名或密码错误"),
    ):
        sign_in(conn, username, password)


def _refusal(engine, username: str, password: str, *, now: datetime = NOW) -> str:
    with engine.begin() as conn, pytest.raises(LoginRefusedError) as refused:
        sign_in(conn, username, password, now=now)
    return str(refused.value)


def _locked_until(engine, username: str) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(User.locked_until).where(User.username == username)).scalar_one()


def test_repeated_failures_lock_the_account_even_against_the_right_password(engine_with_admin):
    unknown = _refusal(engine_with_admin, "nobody", "wrong-password")
    for _ in range(3):
        assert _refusal(engine_with_admin, "wang", "wrong-password") == unknown
    assert _locked_until(engine_with_admin, "wang") == NOW + timedelta(minutes=15)
    later = NOW + timedelta(minutes=10)
    # Locked, the right password gets the answer an unknown name gets: nothing tells which
    # accounts exist.
    assert _refusal(engine_with_admin, "wang", "correct-horse", now=later) == unknown
    assert "锁定 15 分钟" in unknown
    after_lockout = NOW + timedelta(minutes=16)
    with engine_with_admin.begin() as conn:
        assert sign_in(conn, "wang", "correct-horse", now=after_lockout).username == "wang"


def test_parallel_wrong_passwords_never_check_more_than_the_limit(
    file_engine_with_admin, monkeypatch
):
    """24 sign-ins at once with wrong passwords: each is counted before its password is checked,
    so no more than the limit (3) are checked at all."""
    import threading

    import data_access.auth as auth

    checked, real = [], auth.verify_password
    lock = threading.Lock()

    def counting(password: str, stored: str) -> bool:
        if stored != auth._DUMMY_HASH:
            with lock:
                checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    start = threading.Barrier(24)

    def attempt(number: int) -> None:
        start.wait()
        # As the sign-in form does: the refusal is caught inside the transaction, which commits.
        with file_engine_with_admin.begin() as conn, contextlib.suppress(LoginRefusedError):
            sign_in(conn, "wang", f"wrong-{number}")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == 3
    assert _locked_until(file_engine_with_admin, "wang") is not None


def test_a_legacy_scrypt_hash_signs_in_and_is_replaced_by_argon2(engine_with_admin):
    legacy = (
        "scrypt$16384$8$1$"
        + base64.b64encode(b"0123456789abcdef").decode()
        + "$"
        + base64.b64encode(
            hashlib.scrypt(b"correct-horse", salt=b"0123456789abcdef", n=2**14, r=8, p=1, dklen=32)
        ).decode()
    )
    with engine_with_admin.begin() as conn:
        conn.execute(User.__table__.update().values(password_hash=legacy))
        assert sign_in(conn, "wang", "correct-horse").username == "wang"
        stored = conn.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert verify_password("correct-horse", stored)


@pytest.mark.parametrize(
    "password", ["demo-admin-2026", "DEMO-LEADER-2026", "12345678", "password"]
)
def test_published_demo_and_common_passwords_are_refused_by_value(engine_with_admin, password):
    with engine_with_admin.begin() as conn, pytest.raises(AuthError, match="弱密码"):
        reset_password(conn=conn, username="wang", password=password, by="test", now=NOW)


def test_production_refuses_a_sign_in_with_a_demo_password_set_before_the_check(engine_with_admin):
    with engine_with_admin.begin() as conn:
        conn.execute(User.__table__.update().values(password_hash=hash_password("demo-admin-2026")))
    with engine_with_admin.begin() as conn:
        assert sign_in(conn, "wang", "demo-admin-2026").username == "wang"  # the demo allows it
        with pytest.raises(LoginRefusedError, match="演示密码"):
            authenticate(
                conn=conn,
                username="wang",
                password="demo-admin-2026",
                now=NOW,
                max_failures=3,
                lockout_minutes=15,
                refuse_weak=True,
            )


def test_a_successful_sign_in_resets_the_failure_count(engine_with_admin):
    for password in ["wrong-1", "wrong-2", "correct-horse", "wrong-3", "wrong-4"]:
        with engine_with_admin.begin() as conn, contextlib.suppress(LoginRefusedError):
            sign_in(conn, "wang", password)
    with engine_with_admin.begin() as conn:
        assert sign_in(conn, "wang", "correct-horse").username == "wang"


def test_a_disabled_user_can_no_longer_sign_in_and_has_no_access(engine_with_admin):
    with engine_with_admin.begin() as conn:
        disable_user(conn=conn, username="wang", by="test", now=NOW)
    with engine_with_admin.begin() as conn:
        assert access_for(conn=conn, username="wang") is None
        with pytest.raises(LoginRefusedError):
            sign_in(conn, "wang", "correct-horse")


def test_a_password_reset_unlocks_and_clears_the_demo_flag(engine_with_admin):
    with engine_with_admin.begin() as conn:
        conn.execute(
            User.__table__.update().values(
                is_demo_password=True, locked_until=NOW + timedelta(hours=1)
            )
        )
        assert demo_passwords_in_use(conn=conn) == 1
        reset_password(conn=conn, username="wang", password="battery-staple", by="test", now=NOW)
        assert demo_passwords_in_use(conn=conn) == 0
        assert sign_in(conn, "wang", "battery-staple").username == "wang"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "wang"}, "已存在"),
        ({"password": "short"}, "至少 8 位"),
        ({"roles": ["村长"]}, "角色无效"),
        ({"roles": []}, "角色无效"),
        ({"roles": [Role.TOWNSHIP]}, "必须指定所属乡镇"),
        ({"roles": [Role.TOWNSHIP], "township_id": 999}, "乡镇不存在"),
        ({"username": ""}, "用户名不能为空"),
    ],
)
def test_bad_new_users_are_refused_with_the_reason(engine_with_admin, changes, message):
    values = {
        "username": "li",
        "display_name": "李",
        "password": "long-enough",
        "roles": [Role.LEADER],
    }
    with engine_with_admin.begin() as conn, pytest.raises(AuthError, match=message):
        add_user(conn=conn, by="test", now=NOW, **(values | changes))


def _access(*roles: Role, township_id: int | None = 1) -> Access:
    return Access("u", "u", frozenset(roles), township_id)


@pytest.mark.parametrize(
    ("roles", "personal_data", "township_bound"),
    [
        ((Role.LEADER,), False, False),
        ((Role.SUPERVISOR,), True, False),
        ((Role.ADMIN,), True, False),
        ((Role.DISPLAY,), False, False),
        ((Role.TOWNSHIP,), False, True),
        ((Role.LEADER, Role.ADMIN), True, False),
        ((Role.SUPERVISOR, Role.TOWNSHIP), False, True),
        ((Role.ADMIN, Role.TOWNSHIP), False, True),
    ],
)
def test_roles_combine_to_the_most_restrictive_scope(roles, personal_data, township_bound):
    access = _access(*roles)
    assert access.personal_data is personal_data
    assert access.township_bound is township_bound


def test_pages_are_the_union_of_the_roles_but_a_township_role_vetoes_confidential_ones():
    both = _access(Role.DISPLAY, Role.LEADER)
    assert both.may_open([Role.LEADER])
    assert both.may_open([Role.DISPLAY])
    supervisor = _access(Role.SUPERVISOR)
    assert supervisor.may_open([Role.SUPERVISOR], confidential=True)
    mixed = _access(Role.SUPERVISOR, Role.TOWNSHIP)
    assert not mixed.may_open([Role.SUPERVISOR], confidential=True)


def test_a_township_user_is_scoped_to_their_township_only(fresh_engine):
    with fresh_engine.begin() as conn:
        mine = add_township(conn, 1)
        add_township(conn, 2)
        scope = _access(Role.TOWNSHIP, township_id=mine).scope(conn)
        unbound = _access(Role.TOWNSHIP, township_id=None).scope(conn)
        county = _access(Role.LEADER).scope(conn)
    assert scope.township_ids == {mine}
    assert unbound.township_ids == frozenset()
    assert len(county.township_ids) == 2


def test_demo_users_are_one_per_role_and_are_created_once(demo_sqlite):
    with demo_sqlite.begin() as conn:
        lines = ensure_demo_users(conn=conn, now=NOW)
        rows = conn.execute(select(User.username, User.roles, User.is_demo_password)).all()
    assert all("已存在" in line for line in lines)
    by_name = {name: roles for name, roles, _ in rows}
    assert {Role(by_name[a.username]) for a in DEMO_ACCOUNTS} == set(Role)
    assert all(demo for name, _, demo in rows if name in by_name)


def test_the_users_command_adds_disables_and_resets(monkeypatch, fresh_engine, capsys):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(fresh_engine.url))
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
    args = ["users", "add", "zhao", "--role", "乡镇用户", "--township", "测试1镇"]
    assert cli([*args, "--password", "township-pw"]) == 0
    assert cli(["users", "add", "zhao", "--role", "县领导", "--password", "another-pw"]) == 1
    assert "已存在" in capsys.readouterr().err
    assert cli(["users", "reset-password", "zhao", "--password", "new-password"]) == 0
    assert cli(["users", "disable", "zhao"]) == 0
    assert cli(["users", "disable", "nobody"]) == 1
    with fresh_engine.begin() as conn:
        assert access_for(conn=conn, username="zhao") is None
        user = conn.execute(select(User).where(User.username == "zhao")).one()
    assert user.roles == "乡镇用户"
    assert verify_password("new-password", user.password_hash)


def test_the_demo_users_step_prints_each_demo_password_once(monkeypatch, fresh_engine, capsys):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(fresh_engine.url))
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
    assert cli(["demo-users"]) == 0
    first = capsys.readouterr().out
    assert all(account.password in first for account in DEMO_ACCOUNTS)
    assert cli(["demo-users"]) == 0
    again = capsys.readouterr().out
    assert not any(account.password in again for account in DEMO_ACCOUNTS)
    with fresh_engine.connect() as conn:
        township = access_for(conn=conn, username="township")
    assert township is not None
    assert township.township_id == 1


@pytest.mark.parametrize(("username", "display_name"), [("<b>x</b>", "王"), ("li", "<img src=x>")])
def test_a_user_name_with_markup_characters_is_refused(fresh_engine, username, display_name):
    with fresh_engine.begin() as conn, pytest.raises(AuthError, match="尖括号"):
        add_user(
            conn=conn,
            username=username,
            display_name=display_name,
            password="correct-horse",
            roles=[Role.LEADER],
            by="test",
            now=NOW,
        )
