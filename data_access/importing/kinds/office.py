"""整改台账, 通报, 暗访结果, 基准指标: the county office's own ledgers."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from data_access.importing import cells, refs
from data_access.importing import fields as f
from data_access.importing.base import (
    COUNTY_ONLY,
    Field,
    ImportContext,
    Kind,
    Plan,
    Record,
    RowRejectedError,
    keyed_plan,
)
from data_access.importing.cells import WrittenAsPercent
from data_access.models import (
    Benchmark,
    BenchmarkIndicator,
    Circular,
    CircularColor,
    CircularTarget,
    DataSource,
    InspectionDraw,
    InspectionFinding,
    ProblemSource,
    RectificationItem,
    RectificationKind,
    RectificationStatus,
    RectificationStatusChange,
    Village,
)
from data_access.periods import month_end


def _values(enum) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


TOWNSHIP = f.name(
    "township",
    "责任乡镇",
    max_length=40,
    required=True,
    note="必填；乡镇名称或代码",
    aliases=("乡镇", "乡镇名称", "所属乡镇"),
    width=12,
)
RECTIFICATION_LABELS = {
    "source": "问题来源",
    "category": "问题类别",
    "description": "问题描述",
    "township_id": "责任乡镇",
    "village_id": "责任村",
    "unit_id": "责任单位",
    "responsible_person": "责任人",
    "measure": "整改措施",
    "kind": "整改类型",
    "found_on": "发现日期",
    "deadline": "整改时限",
    "status": "整改状态",
    "closed_on": "销号日期",
    "evidence": "佐证材料",
    "lead_unit": "牵头单位",
    "responsible_unit": "责任单位",
}


# A published list's category when it has none.
UNSORTED = "未分类"
GENERATED_PREFIX = "QD"
# Source words in a list's title, the most specific first (a 省级交叉检查 is a 交叉检查).
_TITLE_SOURCES = (
    ("交叉检查", ProblemSource.CROSS_INSPECTION),
    ("暗访", ProblemSource.UNANNOUNCED),
    ("督查", ProblemSource.UNANNOUNCED),
    ("巡察", ProblemSource.PATROL),
    ("巡视", ProblemSource.PATROL),
    ("比对", ProblemSource.DATA_CHECK),
    ("国家", ProblemSource.NATIONAL_ASSESSMENT),
    ("省", ProblemSource.PROVINCIAL_ASSESSMENT),
)
_CLOSED_WORDS = ("已完成", "已整改", "已销号", "完成整改", "整改完成", "已解决", "已落实")
_OPEN_WORDS = ("未整改", "未完成", "尚未", "未启动", "未开展")
_PROGRESS_WORDS = ("整改中", "正在", "推进中", "持续推进", "长期坚持", "部分完成", "基本完成")
_SEPARATORS = re.compile(r"[、，,；;/\s]+")
_DATE_IN_TEXT = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")


def generated_code(record: Record) -> str:
    """A stable 问题编号 for a list without one: the same problem text and units, the same code."""
    identity = "|".join(
        cells.key_text(record.get(key, "")) for key in ("description", "lead_unit", "unit")
    )
    digest = hashlib.sha1(identity.encode("utf-8")).hexdigest()[:10].upper()
    return f"{GENERATED_PREFIX}-{digest}"


def source_from_title(title: str) -> str | None:
    """The problem source a list's title names, or None."""
    folded = cells.normalise(title)
    if not folded:
        return None
    for word, source in _TITLE_SOURCES:
        if word in folded and (source not in _ASSESSMENTS or "考核" in folded or "评估" in folded):
            return source.value
    return None


_ASSESSMENTS = (ProblemSource.NATIONAL_ASSESSMENT, ProblemSource.PROVINCIAL_ASSESSMENT)


def _responsible(
    record: Record, places: refs.Places, units: dict[str, int]
) -> tuple[int | None, int | None, str]:
    """(township, assisting unit, 责任单位 as written) of an item: 责任乡镇 when given; else a
    责任单位 that is one township or one assisting unit; else (a county department, several
    units, 各乡镇) a county-level item."""
    written = record.get("unit", "")
    township_id = None
    if record.get("township"):
        township_id = places.township(record.values["township"], "township")
    parts = [p for p in _SEPARATORS.split(cells.normalise(written)) if p]
    unit_id = units.get(cells.key_text(written)) if written else None
    if len(parts) == 1 and township_id is None:
        found = places.township_by_name.get(cells.key_text(written))
        if found is not None:
            return found, None, written
    if unit_id is not None and township_id is None and record.get("village"):
        raise RowRejectedError("填写责任村时须同时填写责任乡镇", "township")
    return township_id, unit_id, written


def deadline(value: Any) -> date | str:
    """整改时限: a date, a month ("2026年12月底前": its last day), or 立行立改 / 长期坚持."""
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    text = cells.normalise(cells.display(value)).replace(" ", "")
    for word in (RectificationKind.IMMEDIATE.value, RectificationKind.ONGOING.value):
        if word in text:
            return word
    if text in ("长期", "持续推进", "常态化推进"):
        return RectificationKind.ONGOING.value
    if match := _DATE_IN_TEXT.search(text):
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            if day is not None:
                return date(year, month, day)
            return month_end(date(year, month, 1))
        except ValueError:
            raise cells.CellError("不是有效的日期") from None
    if re.search(r"\d{1,2}\s*月", text) and not re.search(r"\d{4}", text):
        raise cells.CellError("整改时限没有年份，请写明（如 2026年12月底前）")
    return cells.day(value)


def _deadline(value: date | str, found_on: date, kind: str | None) -> tuple[date, str]:
    """The deadline date and the kind of rectification it implies."""
    if value == RectificationKind.IMMEDIATE:
        return found_on, kind or RectificationKind.IMMEDIATE.value
    if value == RectificationKind.ONGOING:
        # Ongoing work is reviewed at the year's end.
        return date(found_on.year, 12, 31), kind or RectificationKind.ONGOING.value
    return value, kind or RectificationKind.DEADLINE.value


def _status(record: Record, found_on: date, ctx: ImportContext) -> tuple[str, date | None]:
    """The item's status and 销号日期: from 整改状态, else from the words of 整改进展."""
    closed_on = record.get("closed_on")
    status = record.get("status")
    progress = record.get("progress")
    if status is None and progress:
        status = status_from_progress(progress)
        if status == RectificationStatus.CLOSED and closed_on is None:
            closed_on = _date_in(progress, ctx) or ctx.today
    if status is None:
        raise RowRejectedError("没有整改状态：请填写整改状态或整改进展", "status")
    if status == RectificationStatus.CLOSED:
        if closed_on is None:
            raise RowRejectedError("已销号的问题须填写销号日期", "closed_on")
        f.not_future(closed_on, ctx.today, "closed_on", "销号日期")
        if closed_on < found_on:
            raise RowRejectedError("销号日期早于发现日期", "closed_on")
    elif closed_on is not None:
        raise RowRejectedError(f"状态为“{status}”的问题不应有销号日期", "closed_on")
    return status, closed_on


def status_from_progress(progress: str) -> str:
    """The status the words of 整改进展 give; RowRejectedError when they give none clearly."""
    text = cells.normalise(progress).replace(" ", "")
    if any(word in text for word in _OPEN_WORDS):
        return RectificationStatus.OPEN.value
    if re.search(r"\d+(\.\d+)?%", text) or any(word in text for word in _PROGRESS_WORDS):
        return RectificationStatus.IN_PROGRESS.value
    if any(text.startswith(word) or word in text[:12] for word in _CLOSED_WORDS):
        return RectificationStatus.CLOSED.value
    raise RowRejectedError(
        f"整改进展“{progress[:30]}”看不出是否已完成：请以“已完成”“整改中”或“未整改”开头，"
        "或加“整改状态”列",
        "progress",
    )


def _date_in(text: str, ctx: ImportContext) -> date | None:
    """The completion date a progress text names ("已于2026年5月20日完成"), not after today."""
    match = _DATE_IN_TEXT.search(cells.normalise(text).replace(" ", ""))
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        found = date(year, month, day) if day else month_end(date(year, month, 1))
    except ValueError:
        return None
    return min(found, ctx.today)


class Rectification(Kind):
    key = "rectification"
    sources = frozenset({DataSource.RECTIFICATION})
    label = "整改台账"
    natural_key = "问题编号（清单没有编号时按问题内容生成）"
    summary = (
        "整改问题及其状态；状态变化写入状态变更记录（留痕）。"
        "也可直接导入按发布格式印发的整改清单（序号、反馈问题、牵头单位、责任单位、整改措施、整改时限、整改进展）"
    )
    # A published list words its status as progress (整改进展) instead.
    required_any = ("status", "progress")
    fields = (
        f.code(
            "code",
            "问题编号",
            max_length=24,
            digits_only=False,
            note="选填；如 ZG2026-00001，台账内唯一；清单没有编号时按问题内容生成",
            aliases=("编号", "问题序号"),
            width=16,
        ),
        f.choice(
            "source",
            "问题来源",
            _values(ProblemSource),
            note="选填；空白时按标题判断（如“省级考核评估反馈问题整改清单”），判断不了的拒绝",
            aliases=("来源",),
            width=16,
        ),
        f.text(
            "category",
            "问题类别",
            max_length=40,
            note=f"选填；空白为“{UNSORTED}”",
            aliases=("类别", "问题类型"),
            width=18,
        ),
        f.text(
            "description",
            "问题描述",
            max_length=2000,
            required=True,
            note="必填",
            aliases=("问题", "存在问题", "问题表现", "反馈问题", "具体问题", "问题清单"),
            width=40,
        ),
        f.name(
            "township",
            "责任乡镇",
            max_length=40,
            note="选填；乡镇名称或代码（空白时看责任单位）",
            aliases=("乡镇", "乡镇名称", "所属乡镇"),
            width=12,
        ),
        f.name(
            "village",
            "责任村",
            max_length=40,
            note="选填；村名称或村代码",
            aliases=("村", "所在村"),
            width=12,
        ),
        f.text(
            "lead_unit",
            "牵头单位",
            max_length=100,
            note="选填；如 县乡村振兴局",
            aliases=("牵头部门",),
            width=16,
        ),
        f.text(
            "unit",
            "责任单位",
            max_length=200,
            note="选填；乡镇、帮扶单位或县直部门；县直部门或多个单位的问题记为县级问题",
            aliases=("帮扶单位", "责任部门"),
            width=16,
        ),
        f.name("responsible_person", "责任人", note="选填", width=10),
        f.text("measure", "整改措施", max_length=2000, note="选填", aliases=("措施",), width=30),
        f.choice(
            "kind",
            "整改类型",
            _values(RectificationKind),
            note="选填；空白时按整改时限判断（立行立改、长期坚持，其余为限期整改）",
            aliases=("整改方式",),
            width=12,
        ),
        f.day(
            "found_on",
            "发现日期",
            note="选填；不能晚于今天；空白取导入当日、整改时限、销号日期中最早的",
            aliases=("反馈日期", "交办日期"),
        ),
        Field(
            "deadline",
            "整改时限",
            deadline,
            required=True,
            note="必填；日期，或“2026年12月底前”“立行立改”“长期坚持”",
            aliases=("完成时限", "整改期限", "整改时间"),
            width=16,
        ),
        f.choice(
            "status",
            "整改状态",
            _values(RectificationStatus),
            note="已销号的须填销号日期；空白时按整改进展判断",
            aliases=("状态", "整改进度"),
            width=10,
        ),
        f.text(
            "progress",
            "整改进展",
            max_length=2000,
            note="选填；如“已完成”“整改中”“未整改”“长期坚持”，写入整改措施之后的进展说明",
            aliases=("整改进展情况", "进展情况", "完成情况", "整改情况"),
            width=30,
        ),
        f.day("closed_on", "销号日期", note="已销号的必填；不能晚于今天", aliases=("完成日期",)),
        f.text("evidence", "佐证材料", max_length=2000, note="选填", aliases=("佐证",), width=20),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        places = refs.Places(conn)
        units = refs.units(conn)
        codes = {r.row: r.get("code") or generated_code(r) for r in records}
        before = dict(
            conn.execute(
                select(RectificationItem.code, RectificationItem.township_id).where(
                    RectificationItem.code.in_(set(codes.values()))
                )
            ).all()
        )
        source_of_title = source_from_title(ctx.title)

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            values = record.values
            code = codes[record.row]
            if code in before and not ctx.may_write(before[code]):
                raise RowRejectedError("该问题现属其他乡镇，不在您的数据范围内")
            source = record.get("source") or source_of_title
            if source is None:
                raise RowRejectedError(
                    "没有问题来源：请加“问题来源”列，或在标题中写明来源（如“省级考核评估反馈”）",
                    "source",
                )
            township_id, unit_id, written_unit = _responsible(record, places, units)
            village = record.get("village")
            if record.get("found_on") is not None:
                found_on = f.not_future(values["found_on"], ctx.today, "found_on", "发现日期")
                due, kind = _deadline(values["deadline"], found_on, record.get("kind"))
                if due < found_on:
                    raise RowRejectedError("整改时限早于发现日期", "deadline")
                status, closed_on = _status(record, found_on, ctx)
            else:
                # A published list says when a problem was due and done, not when it was
                # found: no later than any of those, nor than today.
                due, kind = _deadline(values["deadline"], ctx.today, record.get("kind"))
                status, closed_on = _status(record, date.min, ctx)
                found_on = min(d for d in (ctx.today, due, closed_on) if d is not None)
            row: dict[str, Any] = {
                "code": code,
                "source": source,
                "category": record.get("category") or UNSORTED,
                "description": values["description"],
                "township_id": township_id,
                "responsible_person": record.get("responsible_person", ""),
                "kind": kind,
                "found_on": found_on,
                "deadline": due,
                "status": status,
                "closed_on": closed_on,
                "lead_unit": record.get("lead_unit", ""),
                "responsible_unit": written_unit,
            }
            # Optional columns left blank keep what the item has.
            if village:
                if township_id is None:
                    raise RowRejectedError("县级问题（未落到乡镇）不能填写责任村", "village")
                row["village_id"] = places.village(village, "village", township_id).id
            if unit_id is not None:
                row["unit_id"] = unit_id
            measure = record.get("measure")
            progress = record.get("progress")
            if measure or progress:
                row["measure"] = "\n".join(
                    t for t in (measure, progress and f"整改进展：{progress}") if t
                )
            if record.get("evidence"):
                row["evidence"] = values["evidence"]
            return row, township_id

        def on_update(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
            # A new version makes an edit open on /rectification stale instead of overwriting.
            extra: dict[str, Any] = {"version": old["version"] + 1}
            if old["status"] != new["status"]:
                extra["status_changed_at"] = ctx.now
            return extra

        plan = keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=RectificationItem.__table__,
            key_columns=("code",),
            labels=RECTIFICATION_LABELS,
            to_row=to_row,
            key_text=lambda r: codes[r.row] + ("" if r.get("code") else "（按问题内容生成的编号）"),
            duplicate_label="同一问题",
            insert_defaults=lambda: {
                "village_id": None,
                "unit_id": None,
                "measure": "",
                "evidence": None,
                "version": 1,
                "status_changed_at": ctx.now,
            },
            on_update=on_update,
            extra_columns=("version", "status"),
        )
        write = plan.writes[-1]
        history = _history(write.inserts, write.updates, _before_status(conn, write.updates))
        plan.after.append(lambda conn: _record_history(conn, history, ctx))
        return plan


def _before_status(conn: Connection, updates: tuple[dict[str, Any], ...]) -> dict[int, str]:
    ids = [row["id"] for row in updates]
    found: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        query = select(RectificationItem.id, RectificationItem.status).where(
            RectificationItem.id.in_(ids[start : start + 1000])
        )
        found.update(conn.execute(query).all())
    return found


def _history(
    inserts: tuple[dict[str, Any], ...],
    updates: tuple[dict[str, Any], ...],
    status_before: dict[int, str],
) -> list[tuple[str, str | None, str, Any]]:
    """(code, from, to, completed_on) of every status an import sets: each new item's first
    status and every changed one."""
    changes = [(row["code"], None, row["status"], row["closed_on"]) for row in inserts]
    changes += [
        (row["code"], status_before[row["id"]], row["status"], row["closed_on"])
        for row in updates
        if status_before.get(row["id"]) != row["status"]
    ]
    return changes


def _record_history(
    conn: Connection, history: list[tuple[str, str | None, str, Any]], ctx: ImportContext
) -> None:
    if not history:
        return
    ids = dict(
        conn.execute(
            select(RectificationItem.code, RectificationItem.id).where(
                RectificationItem.code.in_({code for code, *_ in history})
            )
        ).all()
    )
    conn.execute(
        insert(RectificationStatusChange),
        [
            {
                "item_id": ids[code],
                "changed_at": ctx.now,
                "changed_by": ctx.username[:40],
                "from_status": before,
                "to_status": after,
                "note": f"Excel 导入（{ctx.file_name}）"[:2000],
                "completed_on": completed_on if after == RectificationStatus.CLOSED else None,
            }
            for code, before, after, completed_on in history
        ],
    )


class Circulars(Kind):
    key = "circulars"
    sources = frozenset({DataSource.CIRCULARS})
    label = "通报"
    natural_key = "文号 + 对象类型 + 通报对象"
    summary = "红榜、黑榜通报（计入红黑榜加减分和约谈提示）"
    fields = (
        f.key_text(
            "doc_no",
            "文号",
            max_length=40,
            required=True,
            note="必填；如 云衔督通〔2026〕3号",
            aliases=("通报文号", "文件编号"),
            width=22,
        ),
        f.day("issued_on", "通报日期", required=True, note="必填；不能晚于今天", aliases=("日期",)),
        f.choice(
            "color",
            "榜单",
            _values(CircularColor),
            required=True,
            note="必填；红榜 或 黑榜",
            aliases=("红黑榜", "类别"),
            width=8,
        ),
        f.choice(
            "target_kind",
            "对象类型",
            _values(CircularTarget),
            required=True,
            note="必填；乡镇 或 帮扶单位",
            width=10,
        ),
        f.name(
            "target",
            "通报对象",
            max_length=60,
            required=True,
            note="必填；乡镇名称（或代码）或帮扶单位名称",
            aliases=("对象", "被通报单位"),
            width=16,
        ),
        f.text(
            "reason",
            "事由",
            max_length=2000,
            required=True,
            note="必填",
            aliases=("通报事由", "原因", "通报原因"),
            width=40,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        places = refs.Places(conn)
        units = refs.units(conn)

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            values = record.values
            target = values["target"]
            township_id = unit_id = None
            if values["target_kind"] == CircularTarget.TOWNSHIP:
                township_id = places.township(target, "target")
            else:
                if not ctx.county_wide:
                    raise RowRejectedError(COUNTY_ONLY)
                unit_id = units.get(target)
                if unit_id is None:
                    raise RowRejectedError("帮扶单位不存在", "target")
            row = {
                "doc_no": values["doc_no"],
                "target_kind": values["target_kind"],
                "township_id": township_id,
                "unit_id": unit_id,
                "issued_on": f.not_future(values["issued_on"], ctx.today, "issued_on", "通报日期"),
                "color": values["color"],
                "reason": values["reason"],
            }
            return row, township_id

        return keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=Circular.__table__,
            key_columns=("doc_no", "target_kind", "township_id", "unit_id"),
            labels={"issued_on": "通报日期", "color": "榜单", "reason": "事由"},
            to_row=to_row,
            key_text=lambda r: f"{r.values['doc_no']} · {r.values['target']}",
            duplicate_label="同一文号对同一对象的通报",
        )


class Findings(Kind):
    key = "findings"
    sources = frozenset({DataSource.INSPECTIONS})
    label = "暗访结果"
    natural_key = "村 + 户编号（村级发现为空）+ 检查日期 + 发现问题"
    summary = "暗访发现的问题（推进该村的“最近暗访日期”；可关联抽签和整改问题）"
    fields = (
        f.integer(
            "draw_id",
            "抽签编号",
            minimum=1,
            maximum=10**9,
            note="选填；暗访选点页面的抽签编号，填写时核对村、户是否在该次抽签名单中",
            aliases=("抽签号",),
            width=10,
        ),
        f.day(
            "inspected_on",
            "检查日期",
            required=True,
            note="必填；不能晚于今天",
            aliases=("暗访日期", "日期"),
        ),
        f.name(
            "township",
            "乡镇",
            max_length=40,
            note="选填；按村名称查找时用于确定乡镇",
            aliases=("乡镇名称",),
            width=12,
        ),
        f.name(
            "village",
            "村",
            max_length=40,
            required=True,
            note="必填；村代码（或与乡镇一起填村名称）",
            aliases=("村名称", "村代码", "行政村"),
            width=14,
        ),
        f.code(
            "household_code",
            "户编号",
            max_length=24,
            note="选填；抽查农户发现的问题填写",
            aliases=("户编码",),
            width=20,
        ),
        f.text(
            "description",
            "发现问题",
            max_length=2000,
            required=True,
            note="必填",
            aliases=("问题描述", "存在问题"),
            width=40,
        ),
        f.text(
            "recorded_by",
            "检查组",
            max_length=40,
            required=True,
            note="必填；如 县委督查室暗访组",
            aliases=("记录人", "暗访组"),
            width=16,
        ),
        f.code(
            "item_code",
            "整改问题编号",
            max_length=24,
            digits_only=False,
            note="选填；已转为整改问题的，填整改台账中的问题编号",
            width=16,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        places = refs.Places(conn)
        found = refs.households(conn, (r.values.get("household_code") or "" for r in records))
        draws = {
            draw_id: (drawn_at, result or {})
            for draw_id, drawn_at, result in conn.execute(
                select(InspectionDraw.id, InspectionDraw.drawn_at, InspectionDraw.result)
            )
        }
        items = dict(
            conn.execute(
                select(RectificationItem.code, RectificationItem.id).where(
                    RectificationItem.code.in_({r.get("item_code") for r in records} - {None})
                )
            ).all()
        )

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            values = record.values
            township_id = (
                places.township(values["township"], "township") if record.get("township") else None
            )
            village = places.village(values["village"], "village", township_id)
            household_id = None
            if record.get("household_code"):
                household = refs.household(found, values["household_code"], "household_code")
                if household.village_id != village.id:
                    raise RowRejectedError("该户不在所填的村", "household_code")
                household_id = household.id
            inspected_on = f.not_future(
                values["inspected_on"], ctx.today, "inspected_on", "检查日期"
            )
            draw_id = record.get("draw_id")
            if draw_id is not None:
                _check_draw(draws, draw_id, village.id, household_id, inspected_on)
            item_id = None
            if record.get("item_code"):
                item_id = items.get(values["item_code"])
                if item_id is None:
                    raise RowRejectedError("整改台账中没有这个问题编号", "item_code")
            row: dict[str, Any] = {
                "village_id": village.id,
                "household_id": household_id,
                "inspected_on": inspected_on,
                "description": values["description"],
                "recorded_by": values["recorded_by"],
            }
            if draw_id is not None:
                row["draw_id"] = draw_id
            if item_id is not None:
                row["rectification_item_id"] = item_id
            return row, village.township_id

        plan = keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=InspectionFinding.__table__,
            key_columns=("village_id", "household_id", "inspected_on", "description"),
            labels={
                "recorded_by": "检查组",
                "draw_id": "抽签编号",
                "rectification_item_id": "整改问题",
            },
            to_row=to_row,
            key_text=lambda r: f"{r.values['village']} · {r.values['inspected_on']:%Y-%m-%d}",
            duplicate_label="同一村（户）同一天的同一问题",
            insert_defaults=lambda: {"draw_id": None, "rectification_item_id": None},
        )
        write = plan.writes[-1]
        latest: dict[int, Any] = defaultdict(lambda: None)
        for row in (*write.inserts, *write.updates):
            day = row["inspected_on"]
            if latest[row["village_id"]] is None or day > latest[row["village_id"]]:
                latest[row["village_id"]] = day
        plan.after.append(lambda conn: _mark_inspected(conn, dict(latest)))
        return plan


def _check_draw(
    draws: dict[int, tuple[datetime, dict[str, Any]]],
    draw_id: int,
    village_id: int,
    household_id: int | None,
    inspected_on: Any,
) -> None:
    """The same rules as recording a finding on /inspection: the village (and household) were
    drawn in that draw, and the inspection came after the draw."""
    if draw_id not in draws:
        raise RowRejectedError(f"抽签编号 {draw_id} 不存在", "draw_id")
    drawn_at, result = draws[draw_id]
    if village_id not in [int(v) for v in result.get("village_ids", [])]:
        raise RowRejectedError(f"该村不在抽签 #{draw_id} 的名单中", "village")
    if household_id is not None:
        drawn = (result.get("households") or {}).get(str(village_id))
        if drawn is None:
            drawn = result.get("household_ids", [])
        if household_id not in [int(h) for h in drawn]:
            raise RowRejectedError(f"该户不是抽签 #{draw_id} 在该村抽中的农户", "household_code")
    drawn_on = drawn_at.date() if isinstance(drawn_at, datetime) else drawn_at
    if drawn_on is not None and inspected_on < drawn_on:
        raise RowRejectedError(f"检查日期早于抽签日期 {drawn_on:%Y-%m-%d}", "inspected_on")


def _mark_inspected(conn: Connection, latest: dict[int, Any]) -> None:
    """A village's last-inspected date moves forward only (as on /inspection)."""
    if not latest:
        return
    table = Village.__table__
    conn.execute(
        update(table)
        .where(
            and_(
                table.c.id == bindparam("key_id"),
                or_(
                    table.c.last_inspected_on.is_(None),
                    table.c.last_inspected_on < bindparam("day"),
                ),
            )
        )
        .values(last_inspected_on=bindparam("day")),
        [{"key_id": village_id, "day": day} for village_id, day in latest.items()],
    )


BENCHMARK_RANGES = {
    BenchmarkIndicator.COUNTY_RURAL_INCOME.value: (0.0, 1_000_000.0),
}
GROWTH_RANGE = (-100.0, 100.0)


class Benchmarks(Kind):
    key = "benchmarks"
    sources = frozenset({DataSource.BENCHMARKS})
    label = "基准指标"
    natural_key = "年度 + 指标"
    summary = "“两个高于”比较所需的年度对比数据（县、省农村居民收入及增速，GDP 增速）"
    fields = (
        f.integer(
            "year",
            "年度",
            minimum=2000,
            maximum=2100,
            required=True,
            note="必填；如 2026",
            aliases=("年份",),
            width=8,
        ),
        f.choice(
            "indicator",
            "指标",
            _values(BenchmarkIndicator),
            required=True,
            note="必填",
            aliases=("指标名称",),
            width=28,
        ),
        f.percentage(
            "value",
            "数值",
            minimum=-100.0,
            maximum=1_000_000.0,
            required=True,
            note="必填；收入填元，增速填百分数（7.5 或 7.5% 都表示 7.5%）",
            aliases=("值", "指标值"),
        ),
        f.text("source", "来源", max_length=60, note="选填；如 县统计局", width=16),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            values = record.values
            if not ctx.county_wide:
                raise RowRejectedError(COUNTY_ONLY)
            if values["year"] > ctx.today.year:
                raise RowRejectedError(f"年度 {values['year']} 晚于今年", "year")
            low, high = BENCHMARK_RANGES.get(values["indicator"], GROWTH_RANGE)
            if values["indicator"] in BENCHMARK_RANGES and isinstance(
                values["value"], WrittenAsPercent
            ):
                raise RowRejectedError(f"{values['indicator']}以元为单位，不应是百分数", "value")
            if not low <= values["value"] <= high:
                raise RowRejectedError(
                    f"{values['indicator']}应在 {low:g} 到 {high:g} 之间", "value"
                )
            row = {
                "year": values["year"],
                "indicator": values["indicator"],
                "value": float(values["value"]),
            }
            if record.get("source"):
                row["source"] = record.values["source"]
            return row, None

        return keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=Benchmark.__table__,
            key_columns=("year", "indicator"),
            labels={"value": "数值", "source": "来源"},
            to_row=to_row,
            key_text=lambda r: f"{r.values['year']} · {r.values['indicator']}",
            duplicate_label="同一年度的同一指标",
            insert_defaults=lambda: {"source": ""},
            identity=("year", "indicator"),
        )
