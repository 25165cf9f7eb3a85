"""The append-only audit trail: who signed in, saw household-level data, exported, changed users.

``record`` is the only way in, and this module offers no update or delete: an entry, once written,
stays. Writes of data append theirs through data_access.commands (``Change.audit``), in the
transaction of the write.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from data_access.models import AuditEntry

AUDIT_COLUMNS = {
    "at": "时间",
    "username": "用户",
    "action": "操作",
    "target": "对象",
    "rows": "行数",
    "detail": "详情",
}


class AuditAction(StrEnum):
    LOGIN = "登录成功"
    LOGIN_FAILED = "登录失败"
    LOGOUT = "退出登录"
    VIEW = "查看户级数据"
    EXPORT = "导出"
    REFUSED = "拒绝访问"
    USER_ADDED = "新增用户"
    USER_DISABLED = "停用用户"
    PASSWORD_RESET = "重置密码"
    IMPORT = "导入台账"
    INSPECTION_DRAW = "暗访抽取"
    BOUNDARY_IMPORT = "导入边界"
    STATUS_CHANGE = "整改状态变更"
    FINDING = "记录暗访发现"
    INSPECTED = "登记已暗访"
    FINDING_TO_ITEM = "暗访发现转整改"
    WARNINGS_CHECKED = "预警比对"
    WARNING_VERIFIED = "核实预警"


def record(
    *,
    conn: Connection,
    username: str,
    action: AuditAction | str,
    target: str = "",
    rows: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime,
) -> None:
    """Append one entry (in the caller's transaction), stamped ``at`` (the clock's now)."""
    conn.execute(
        insert(AuditEntry).values(
            at=at,
            username=username[:40],
            action=str(action)[:40],
            target=target[:200],
            rows=rows,
            detail=detail,
        )
    )


def audit_entries(
    *,
    conn: Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    username: str | None = None,
    actions: list[str] | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Entries newest first, filtered; ``until`` is exclusive. Columns: AUDIT_COLUMNS' keys."""
    query = select(
        AuditEntry.at,
        AuditEntry.username,
        AuditEntry.action,
        AuditEntry.target,
        AuditEntry.rows,
        AuditEntry.detail,
    )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if username:
        query = query.where(AuditEntry.username == username)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return pd.DataFrame(conn.execute(query).all(), columns=list(AUDIT_COLUMNS))
