"""Users, passwords and what a user may see.

Passwords are hashed with Argon2id (argon2-cffi, at OWASP's recommended parameters); hashes of
older schemes (scrypt) still verify and are replaced at the next successful sign-in.
``authenticate`` counts an attempt in the database before it checks the password, so parallel
attempts cannot outrun the lockout, and answers a locked account as it answers an unknown one.
Published demo passwords and a short list of common ones are refused by value. ``Access`` turns
a user's roles into the pages they may open and the data scope every query receives.

How several roles combine (a user may hold more than one):
- pages: the union of what each role may open, except that a page marked confidential (暗访选点)
  stays closed to anyone holding 乡镇用户, whatever else they hold: a township must never see the
  inspection plan;
- townships: the most restrictive role applies: any 乡镇用户 role limits every query to the user's
  own township (no township bound → nothing);
- personal data: visible only when a role grants it (督查组, 管理员) and no 乡镇用户 role
  restricts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, or_, select, update

from data_access import sessions
from data_access.audit import AuditAction, record
from data_access.models import Township, User
from data_access.scope import Scope, county_scope

# Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 30 ms per hash.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD_LENGTH = 8


class Role(StrEnum):
    LEADER = "县领导"
    SUPERVISOR = "督查组"
    TOWNSHIP = "乡镇用户"
    DISPLAY = "大屏"
    ADMIN = "管理员"


PERSONAL_DATA_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class AuthError(ValueError):
    """A user could not be created or changed; the message says why, in Chinese."""


class LoginRefusedError(Exception):
    """Sign-in refused: wrong name or password, disabled or locked account."""


# --- passwords -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An Argon2id hash (PHC string) with a fresh random salt."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash: Argon2id, or a legacy scrypt hash
    ('scrypt$n$r$p$salt$key', compared in constant time)."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that verified should be replaced: an older scheme or weaker parameters."""
    if stored.startswith("scrypt$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, key = stored.split("$")
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def is_refused_password(password: str) -> bool:
    """A published demo password or a common one: never accepted for a real account."""
    return password.strip().casefold() in _REFUSED_PASSWORDS


# The demo accounts' passwords (published in the README) and passwords that lists of leaked
# passwords put first, as people type them here.
_COMMON_PASSWORDS = (
    "12345678",
    "123456789",
    "1234567890",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "87654321",
    "password",
    "password1",
    "password123",
    "passw0rd",
    "admin123",
    "admin1234",
    "admin@123",
    "administrator",
    "qwerty123",
    "qwertyui",
    "1qaz2wsx",
    "abc12345",
    "abcd1234",
    "a1234567",
    "a123456789",
    "aa123456",
    "woaini1314",
    "iloveyou",
    "12345qwert",
    "qwe12345",
    "zxcvbnm1",
)


# --- access --------------------------------------------------------------------------------------


def parse_roles(text: str) -> frozenset[Role]:
    """The known roles in a comma-separated list (unknown words are ignored: they grant nothing)."""
    words = {word.strip() for word in text.replace("，", ",").split(",")}
    return frozenset(role for role in Role if role.value in words)


@dataclass(frozen=True)
class Access:
    """What one signed-in user may open and read; computed from the user record on every run."""

    username: str
    display_name: str
    roles: frozenset[Role]
    township_id: int | None

    @property
    def township_bound(self) -> bool:
        return Role.TOWNSHIP in self.roles

    @property
    def personal_data(self) -> bool:
        return bool(self.roles & PERSONAL_DATA_ROLES) and not self.township_bound

    def may_open(self, page_roles: Iterable[str], *, confidential: bool = False) -> bool:
        """Whether any of the user's roles is among ``page_roles`` (confidential: no township)."""
        if confidential and self.township_bound:
            return False
        return bool(self.roles & parse_roles(",".join(page_roles)))

    def scope(self, conn: Connection) -> Scope:
        """The townships and personal-data right every query of this user receives."""
        if self.township_bound:
            townships = frozenset() if self.township_id is None else frozenset({self.township_id})
            return Scope(townships, personal_data=self.personal_data)
        return county_scope(conn, personal_data=self.personal_data)

    def published_scope(self, conn: Connection) -> Scope:
        """All townships, no personal data: for the figures the county publishes (rankings)."""
        return county_scope(conn, personal_data=False)


def _access_of(row) -> Access:
    return Access(
        username=row.username,
        display_name=row.display_name,
        roles=parse_roles(row.roles),
        township_id=row.township_id,
    )


def access_for(*, conn: Connection, username: str) -> Access | None:
    """The access of an active user, or None when the user is unknown or disabled."""
    row = conn.execute(select(User).where(User.username == username, User.active.is_(True))).first()
    return None if row is None else _access_of(row)


def authenticate(
    *,
    conn: Connection,
    username: str,
    password: str,
    now: datetime,
    max_failures: int,
    lockout_minutes: int,
    refuse_weak: bool = False,
) -> Access:
    """The user's access when the password is right; raises LoginRefusedError otherwise.

    Every outcome is audited. After ``max_failures`` wrong passwords in a row the account is locked
    for ``lockout_minutes``; while locked even the right password is refused. A refusal writes
    the failure count and audit entry into ``conn``'s transaction: the caller must commit it even
    when this raises (catch the error inside the ``begin()`` block). With ``refuse_weak``
    (production) the right password is refused too when it is a demo or common one.
    """
    username = username.strip()
    refused = f"用户名或密码错误（连续输错 {max_failures} 次，账号将锁定 {lockout_minutes} 分钟）"
    row = conn.execute(select(User).where(User.username == username)).first()
    if row is None or not row.active:
        verify_password(password, _DUMMY_HASH)  # same work as a real check: no user enumeration
        record(
            conn=conn,
            username=username or "（空）",
            action=AuditAction.LOGIN_FAILED,
            at=now,
            detail={"reason": "unknown_or_disabled"},
        )
        raise LoginRefusedError(refused)
    # Counted before the password is checked, in one statement that locks the row until this
    # transaction ends: parallel attempts queue here and each sees the others' count and lock.
    counted = conn.execute(
        update(User)
        .where(User.id == row.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=User.failed_logins + 1)
    )
    attempts = conn.execute(select(User.failed_logins).where(User.id == row.id)).scalar_one()
    # Beyond the limit (attempts racing the one that locks): refused unchecked.
    if not counted.rowcount or attempts > max_failures:
        verify_password(password, _DUMMY_HASH)  # a locked account answers as an unknown one
        record(
            conn=conn,
            username=username,
            action=AuditAction.LOGIN_FAILED,
            at=now,
            detail={"reason": "locked"},
        )
        raise LoginRefusedError(refused)
    if not verify_password(password, row.password_hash):
        lock = attempts >= max_failures
        conn.execute(
            update(User)
            .where(User.id == row.id)
            .values(
                failed_logins=0 if lock else attempts,
                locked_until=now + timedelta(minutes=lockout_minutes) if lock else None,
            )
        )
        record(
            conn=conn,
            username=username,
            action=AuditAction.LOGIN_FAILED,
            at=now,
            detail={"reason": "locked_now" if lock else "wrong_password"},
        )
        raise LoginRefusedError(refused)
    if refuse_weak and is_refused_password(password):
        conn.execute(update(User).where(User.id == row.id).values(failed_logins=0))
        record(
            conn=conn,
            username=username,
            action=AuditAction.LOGIN_FAILED,
            at=now,
            detail={"reason": "weak_password"},
        )
        raise LoginRefusedError(
            "该账号的密码是公开的演示密码或常见弱密码，生产环境不能用它登录："
            "请管理员用 `python -m data_access users reset-password` 重设"
        )
    signed_in = {"failed_logins": 0, "locked_until": None}
    if needs_rehash(row.password_hash):
        signed_in["password_hash"] = hash_password(password)
    conn.execute(update(User).where(User.id == row.id).values(**signed_in))
    record(conn=conn, username=username, action=AuditAction.LOGIN, at=now)
    return _access_of(row)


_DUMMY_HASH = hash_password(secrets.token_hex(8))


# --- user management -----------------------------------------------------------------------------


def _check_password(password: str, *, demo: bool = False) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if not demo and is_refused_password(password):
        raise AuthError("不能使用演示密码或常见弱密码，请换一个")


def _check_roles(roles: Iterable[str], township_id: int | None, conn: Connection) -> str:
    wanted = [role.strip() for role in roles if role.strip()]
    unknown = [role for role in wanted if role not in {r.value for r in Role}]
    if unknown or not wanted:
        choices = "、".join(role.value for role in Role)
        raise AuthError(f"角色无效：{'、'.join(unknown) or '（未选择）'}，可选 {choices}")
    if Role.TOWNSHIP in wanted:
        if township_id is None:
            raise AuthError("乡镇用户必须指定所属乡镇")
        if conn.execute(select(Township.id).where(Township.id == township_id)).first() is None:
            raise AuthError(f"乡镇不存在：{township_id}")
    return ",".join(dict.fromkeys(wanted))


def add_user(
    *,
    conn: Connection,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    township_id: int | None = None,
    by: str,
    demo_password: bool = False,
    now: datetime,
) -> None:
    """Create a user (audited as done ``by``); raises AuthError on a taken name or bad values."""
    username, display_name = username.strip(), display_name.strip() or username.strip()
    if not username or len(username) > 40:
        raise AuthError("用户名不能为空，且不超过 40 个字符")
    if any(ch in "<>" or unicodedata.category(ch) == "Cc" for ch in username + display_name):
        raise AuthError("用户名和姓名中不能有尖括号（< >）或控制字符")
    _check_password(password, demo=demo_password)
    role_text = _check_roles(roles, township_id, conn)
    if conn.execute(select(User.id).where(User.username == username)).first() is not None:
        raise AuthError(f"用户名已存在：{username}")
    conn.execute(
        insert(User).values(
            username=username,
            display_name=display_name[:40],
            password_hash=hash_password(password),
            roles=role_text,
            township_id=township_id if Role.TOWNSHIP in role_text else None,
            active=True,
            failed_logins=0,
            is_demo_password=demo_password,
            created_at=now,
        )
    )
    record(
        conn=conn,
        username=by,
        action=AuditAction.USER_ADDED,
        target=username,
        at=now,
        detail={"roles": role_text, "township_id": township_id},
    )


def _existing(conn: Connection, username: str) -> int:
    user_id = conn.execute(select(User.id).where(User.username == username)).scalar()
    if user_id is None:
        raise AuthError(f"用户不存在：{username}")
    return user_id


def disable_user(*, conn: Connection, username: str, by: str, now: datetime) -> None:
    """Disable a user (they can no longer sign in; a live session ends on its next run)."""
    user_id = _existing(conn, username)
    conn.execute(update(User).where(User.id == user_id).values(active=False))
    sessions.revoke_user(conn, username=username, now=now, reason=sessions.Ended.DISABLED)
    record(conn=conn, username=by, action=AuditAction.USER_DISABLED, target=username, at=now)


def reset_password(
    *, conn: Connection, username: str, password: str, by: str, now: datetime
) -> None:
    """Set a new (non-demo) password, re-enable and unlock the user."""
    _check_password(password)
    user_id = _existing(conn, username)
    conn.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            password_hash=hash_password(password),
            is_demo_password=False,
            active=True,
            failed_logins=0,
            locked_until=None,
        )
    )
    sessions.revoke_user(conn, username=username, now=now, reason=sessions.Ended.PASSWORD_RESET)
    record(conn=conn, username=by, action=AuditAction.PASSWORD_RESET, target=username, at=now)


USER_COLUMNS = {
    "username": "用户名",
    "display_name": "姓名",
    "roles": "角色",
    "township": "所属乡镇",
    "active": "启用",
    "locked_until": "锁定至",
    "is_demo_password": "演示密码",
    "created_at": "创建时间",
}


def user_table(*, conn: Connection) -> pd.DataFrame:
    """Every user without password hashes; columns: USER_COLUMNS' keys (township and
    locked_until as text, "" when there is none)."""
    query = (
        select(
            User.username,
            User.display_name,
            User.roles,
            func.coalesce(Township.name, "").label("township"),
            User.active,
            User.locked_until,
            User.is_demo_password,
            User.created_at,
        )
        .outerjoin(Township, User.township_id == Township.id)
        .order_by(User.username)
    )
    rows = [
        {**row._asdict(), "locked_until": f"{row.locked_until:%Y-%m-%d %H:%M}"}
        if row.locked_until
        else {**row._asdict(), "locked_until": ""}
        for row in conn.execute(query)
    ]
    return pd.DataFrame(rows, columns=list(USER_COLUMNS))


def demo_passwords_in_use(*, conn: Connection) -> int:
    """Active users still signing in with a published demo password."""
    return conn.execute(
        select(func.count())
        .select_from(User)
        .where(User.is_demo_password.is_(True), User.active.is_(True))
    ).scalar_one()


def user_count(*, conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(User)).scalar_one()


# --- demo accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    password: str


# Published in the README: for the demo database only (production refuses to start with them).
DEMO_ACCOUNTS = (
    DemoAccount("admin", "演示管理员", Role.ADMIN, "demo-admin-2026"),
    DemoAccount("leader", "演示县领导", Role.LEADER, "demo-leader-2026"),
    DemoAccount("inspector", "演示督查组", Role.SUPERVISOR, "demo-inspector-2026"),
    DemoAccount("township", "演示乡镇用户", Role.TOWNSHIP, "demo-township-2026"),
    DemoAccount("display", "会议室大屏", Role.DISPLAY, "demo-display-2026"),
)


_REFUSED_PASSWORDS = frozenset(
    password.casefold()
    for password in (*(account.password for account in DEMO_ACCOUNTS), *_COMMON_PASSWORDS)
)


def ensure_demo_users(*, conn: Connection, now: datetime) -> list[str]:
    """Create the demo accounts that are missing (the township one in the first township by code);
    existing accounts are left as they are. Returns one line per account for the report."""
    first_township = conn.execute(select(Township.id).order_by(Township.code).limit(1)).scalar()
    lines = []
    for account in DEMO_ACCOUNTS:
        exists = conn.execute(select(User.id).where(User.username == account.username)).first()
        if exists is None:
            add_user(
                conn=conn,
                username=account.username,
                display_name=account.display_name,
                password=account.password,
                roles=[account.role],
                township_id=first_township if account.role is Role.TOWNSHIP else None,
                by="seed-demo",
                demo_password=True,
                now=now,
            )
        state = "已存在，未改动" if exists else f"密码 {account.password}"
        lines.append(f"  演示账号 {account.username}（{account.role}）：{state}")
    return lines
