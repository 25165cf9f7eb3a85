"""What the teams found: findings of a draw, recording them (the village's last-inspected date
moves on), and turning one into a 整改台账 item."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, func, insert, literal, select, update

from data_access.audit import AuditAction
from data_access.commands import Change
from data_access.inspection.draw import draw_row
from data_access.inspection.errors import (
    AlreadyConvertedError,
    FindingNotFoundError,
    InvalidFindingError,
    NotInDrawError,
)
from data_access.masking import name_column
from data_access.models import (
    DataSource,
    Household,
    InspectionFinding,
    ProblemSource,
    RectificationItem,
    Township,
    Village,
)
from data_access.rectification import add_item
from data_access.scope import Scope


def findings_of_draw(*, conn: Connection, scope: Scope, draw_id: int) -> pd.DataFrame:
    """What the teams recorded for a draw, oldest first.

    Columns: finding_id, village, household (masked head name and 户编号, "" for the village
    itself), inspected_on, description, item_code ("" when not turned into an item),
    recorded_by.
    """
    head = name_column(Household.head_name, personal_data=scope.personal_data)
    query = (
        select(
            InspectionFinding.id,
            Township.name + Village.name,
            func.coalesce(head + literal("（") + Household.code + literal("）"), literal("")),
            InspectionFinding.inspected_on,
            InspectionFinding.description,
            func.coalesce(RectificationItem.code, literal("")),
            InspectionFinding.recorded_by,
        )
        .join(Village, Village.id == InspectionFinding.village_id)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(Household, Household.id == InspectionFinding.household_id)
        .outerjoin(
            RectificationItem, RectificationItem.id == InspectionFinding.rectification_item_id
        )
        .where(InspectionFinding.draw_id == draw_id)
        .order_by(InspectionFinding.id)
    )
    columns = [
        "finding_id",
        "village",
        "household",
        "inspected_on",
        "description",
        "item_code",
        "recorded_by",
    ]
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def _mark_inspected(conn: Connection, village_id: int, inspected_on: date) -> None:
    """last_inspected_on moves forward only: a late entry of an old visit does not reset it."""
    conn.execute(
        update(Village)
        .where(
            Village.id == village_id,
            (Village.last_inspected_on.is_(None)) | (Village.last_inspected_on < inspected_on),
        )
        .values(last_inspected_on=inspected_on)
    )


def _check_visit(
    conn: Connection,
    *,
    draw_id: int,
    village_id: int,
    household_id: int | None,
    inspected_on: date,
    today: date,
) -> None:
    row = draw_row(conn, draw_id)
    result = row.result or {}
    if village_id not in [int(v) for v in result.get("village_ids", [])]:
        raise NotInDrawError(f"该村不在抽签 #{draw_id} 的名单中")
    if household_id is not None:
        drawn = (result.get("households") or {}).get(str(village_id))
        if drawn is None:
            drawn = result.get("household_ids", [])
        if household_id not in [int(h) for h in drawn]:
            raise NotInDrawError(f"该户不是抽签 #{draw_id} 在该村抽中的农户")
    drawn_on = row.drawn_at.date() if isinstance(row.drawn_at, datetime) else row.drawn_at
    if inspected_on > today:
        raise InvalidFindingError(f"检查日期 {inspected_on:%Y-%m-%d} 晚于今天")
    if drawn_on is not None and inspected_on < drawn_on:
        raise InvalidFindingError(
            f"检查日期 {inspected_on:%Y-%m-%d} 早于抽签日期 {drawn_on:%Y-%m-%d}"
        )


def record_finding(
    write: Change,
    *,
    draw_id: int,
    village_id: int,
    household_id: int | None,
    inspected_on: date,
    description: str,
) -> int:
    """Record what a team found at a drawn village (household_id None) or household, recorded by
    ``write.author``; moves the village's last-inspected date forward. Returns the finding id.

    Raises DrawNotFoundError, NotInDrawError, InvalidFindingError.
    """
    conn = write.conn
    description = description.strip()
    if not description:
        raise InvalidFindingError("请填写发现的问题")
    _check_visit(
        conn,
        draw_id=draw_id,
        village_id=village_id,
        household_id=household_id,
        inspected_on=inspected_on,
        today=write.at.date(),
    )
    finding_id = conn.execute(
        insert(InspectionFinding)
        .values(
            draw_id=draw_id,
            village_id=village_id,
            household_id=household_id,
            inspected_on=inspected_on,
            description=description,
            recorded_by=write.author,
        )
        .returning(InspectionFinding.id)
    ).scalar_one()
    _mark_inspected(conn, village_id, inspected_on)
    write.touch(DataSource.INSPECTIONS)
    write.audit(
        AuditAction.FINDING,
        target=f"抽签 #{draw_id} 发现 #{finding_id}",
        rows=1,
        detail={"检查日期": inspected_on.isoformat(), "抽查农户": household_id is not None},
    )
    return int(finding_id)


def record_village_inspected(
    write: Change, *, draw_id: int, village_id: int, inspected_on: date
) -> None:
    """Record that a team inspected a drawn village (with or without findings): moves its
    last-inspected date forward.

    Raises DrawNotFoundError, NotInDrawError, InvalidFindingError.
    """
    _check_visit(
        write.conn,
        draw_id=draw_id,
        village_id=village_id,
        household_id=None,
        inspected_on=inspected_on,
        today=write.at.date(),
    )
    _mark_inspected(write.conn, village_id, inspected_on)
    write.touch(DataSource.INSPECTIONS)
    write.audit(
        AuditAction.INSPECTED,
        target=f"抽签 #{draw_id} 村 #{village_id}",
        detail={"检查日期": inspected_on.isoformat()},
    )


def rectification_categories(*, conn: Connection) -> list[str]:
    """Categories in use in the 整改台账, most used first (to file a finding under)."""
    query = (
        select(RectificationItem.category)
        .group_by(RectificationItem.category)
        .order_by(func.count().desc(), RectificationItem.category)
    )
    return list(conn.execute(query).scalars())


def finding_to_rectification(
    write: Change, *, finding_id: int, category: str, deadline_days: int
) -> str:
    """Turn a finding into a 整改台账 item (source 督查暗访, 限期整改, status 未整改, deadline
    ``deadline_days`` after the finding), with its first status-history row by
    ``write.author``, and link it on the finding. Returns the item code.

    Raises FindingNotFoundError, AlreadyConvertedError, InvalidFindingError (empty category).
    """
    conn = write.conn
    category = category.strip()
    if not category:
        raise InvalidFindingError("请选择问题类别")
    finding = conn.execute(
        select(
            InspectionFinding.village_id,
            InspectionFinding.household_id,
            InspectionFinding.inspected_on,
            InspectionFinding.description,
            InspectionFinding.rectification_item_id,
            Village.township_id,
            Village.name,
            Township.name.label("township"),
        )
        .join(Village, Village.id == InspectionFinding.village_id)
        .join(Township, Township.id == Village.township_id)
        .where(InspectionFinding.id == finding_id)
    ).one_or_none()
    if finding is None:
        raise FindingNotFoundError(f"暗访发现 #{finding_id} 不存在")
    if finding.rectification_item_id is not None:
        raise AlreadyConvertedError("该发现已转为整改问题，不能重复转办")
    found_on = finding.inspected_on
    where = "暗访抽查农户发现：" if finding.household_id is not None else "暗访发现："
    item_id, code = add_item(
        write,
        source=ProblemSource.UNANNOUNCED,
        category=category,
        description=f"{finding.township}{finding.name}{where}{finding.description}",
        township_id=finding.township_id,
        village_id=finding.village_id,
        found_on=found_on,
        deadline=found_on + timedelta(days=deadline_days),
        measure="",
        note=f"{ProblemSource.UNANNOUNCED.value}发现问题，录入整改台账（暗访发现 #{finding_id}）",
    )
    conn.execute(
        update(InspectionFinding)
        .where(InspectionFinding.id == finding_id)
        .values(rectification_item_id=item_id)
    )
    write.touch(DataSource.INSPECTIONS, DataSource.RECTIFICATION)
    write.audit(AuditAction.FINDING_TO_ITEM, target=f"发现 #{finding_id} → {code}", rows=1)
    return code
