"""整改进度: projections and day rules as pure functions, SQL aggregates against independent
counts on the demo county (SQLite and PostgreSQL), the status-change rules on fresh databases,
and the exported workbook against the query result."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, Engine, insert, select, text

from dashboard.exports.rectification import HEADER_ROW, SIGNATURE_LINE, ledger_workbook
from data_access import commands
from data_access.db import read_meta
from data_access.models import RectificationItem, RectificationStatus, RectificationStatusChange
from data_access.overview import upcoming_milestones
from data_access.rectification import (
    LEDGER_COLUMNS,
    AlreadyClosedError,
    Breakdown,
    CompletionBeforeFoundError,
    FutureCompletionDateError,
    ItemNotFoundError,
    LedgerFilter,
    MissingNoteError,
    StaleItemError,
    UnchangedStatusError,
    change_status,
    closing_pace_by_township,
    due_soon_items,
    is_overdue,
    ledger_items,
    ledger_size,
    open_items_history,
    overdue_items,
    pace_line,
    progress_by,
    project_completion,
    projection_sentence,
    running_open,
    status_history,
    target_line,
    township_projections,
)
from data_access.scope import Scope, county_scope
from tests.builders import add_township, add_village
from tests.clock import AS_OF

TODAY = AS_OF
NOW = datetime(2026, 11, 29, 15, 30)


# ----------------------------------------------------------------------------------------------
# Pure functions


def test_forty_items_at_two_a_day_with_fifteen_days_left_finish_five_days_late():
    projection = project_completion(
        open_items=40, pace=2.0, today=TODAY, deadline=TODAY + timedelta(days=15)
    )
    assert projection.finish_on == TODAY + timedelta(days=20)
    assert projection.days_late == 5
    assert projection.late


def test_a_partial_day_of_work_counts_as_a_whole_day():
    projection = project_completion(
        open_items=7, pace=2.0, today=TODAY, deadline=TODAY + timedelta(days=10)
    )
    assert projection.finish_on == TODAY + timedelta(days=4)
    assert projection.days_late == -6
    assert not projection.late


def test_nothing_closing_means_no_finish_date_and_cannot_make_the_deadline():
    projection = project_completion(
        open_items=3, pace=0.0, today=TODAY, deadline=TODAY + timedelta(days=15)
    )
    assert projection.finish_on is None
    assert projection.days_late is None
    assert projection.late
    assert "无法按期完成" in projection_sentence("马庄镇", projection)


def test_nothing_open_is_done_and_never_late():
    projection = project_completion(
        open_items=0, pace=0.0, today=TODAY, deadline=TODAY + timedelta(days=3)
    )
    assert not projection.late
    assert projection_sentence("马庄镇", projection) == "马庄镇节点前到期的整改问题已全部销号"


@pytest.mark.parametrize(
    ("open_items", "expected"),
    [
        (18, "按目前进度，马庄镇将于12月3日完成，比期限晚18天"),
        (10, "按目前进度，马庄镇将于11月25日完成，比期限晚10天"),
        (1, "按目前进度，马庄镇将于11月16日完成，比期限晚1天"),
    ],
)
def test_the_projection_reads_as_a_sentence(open_items, expected):
    today, deadline = date(2026, 11, 15), date(2026, 11, 15)
    projection = project_completion(open_items=open_items, pace=1.0, today=today, deadline=deadline)
    assert projection_sentence("马庄镇", projection) == expected


def test_early_and_next_year_finishes_say_so():
    early = project_completion(open_items=2, pace=1.0, today=TODAY, deadline=date(2026, 12, 11))
    assert projection_sentence("城关镇", early).endswith("12月1日完成，比期限早10天")
    late = project_completion(open_items=60, pace=1.0, today=TODAY, deadline=date(2026, 12, 11))
    assert "2027年1月28日" in projection_sentence("城关镇", late)


@pytest.mark.parametrize(
    ("deadline", "closed_on", "expected"),
    [
        (TODAY, None, False),  # due today: not overdue yet
        (TODAY - timedelta(days=1), None, True),  # due yesterday
        (TODAY - timedelta(days=1), TODAY, False),  # closed today
        (TODAY - timedelta(days=1), TODAY + timedelta(days=1), True),  # closed after today
        (TODAY + timedelta(days=1), None, False),
    ],
)
def test_overdue_at_the_day_boundaries(deadline, closed_on, expected):
    assert is_overdue(deadline=deadline, closed_on=closed_on, today=TODAY) is expected


def test_running_open_adds_found_and_subtracts_closed_each_day():
    start = date(2026, 11, 1)
    frame = running_open(
        baseline=10,
        found={start: 3, start + timedelta(days=2): 1},
        closed={start + timedelta(days=1): 5},
        since=start,
        until=start + timedelta(days=3),
    )
    assert frame["open"].tolist() == [13, 8, 9, 9]
    assert frame["day"].iloc[-1] == start + timedelta(days=3)


def test_target_line_leaves_open_only_what_is_due_after_each_milestone():
    milestones = [
        {"name": "省级交叉检查", "due_on": date(2026, 12, 11), "open_items": 30},
        {"name": "整改清零", "due_on": date(2026, 12, 19), "open_items": 45},
    ]
    import pandas as pd

    frame = target_line(today=TODAY, open_now=50, milestones=pd.DataFrame(milestones))
    assert frame["open"].tolist() == [50, 20, 5]
    assert frame["name"].tolist() == ["", "省级交叉检查", "整改清零"]


def test_pace_line_reaches_zero_at_the_projected_day_or_stops_at_the_end():
    line = pace_line(today=TODAY, open_now=10, pace=2.0, until=TODAY + timedelta(days=30))
    assert line["day"].tolist() == [TODAY, TODAY + timedelta(days=5)]
    assert line["open"].tolist() == [10, 0]
    cut = pace_line(today=TODAY, open_now=10, pace=1.0, until=TODAY + timedelta(days=4))
    assert cut["open"].tolist() == [10, 6]
    flat = pace_line(today=TODAY, open_now=10, pace=0.0, until=TODAY + timedelta(days=4))
    assert flat["open"].tolist() == [10, 10]


# ----------------------------------------------------------------------------------------------
# SQL aggregates on the demo county


def counts(engine: Engine, sql: str, **params) -> dict:
    with engine.connect() as conn:
        return {k: int(v) for k, v in conn.execute(text(sql), params).all()}


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


@pytest.fixture
def scope(demo_engine) -> Scope:
    with demo_engine.connect() as conn:
        return county_scope(conn=conn)


WORKLOAD = "found_on <= :today AND (found_on >= :year OR closed_on IS NULL OR closed_on >= :year)"


@pytest.mark.parametrize(
    ("breakdown", "group_sql"),
    [
        (Breakdown.SOURCE, "SELECT i.source AS name"),
        (Breakdown.CATEGORY, "SELECT i.category AS name"),
        (Breakdown.TOWNSHIP, "SELECT t.name AS name"),
        (Breakdown.UNIT, "SELECT u.name AS name"),
    ],
)
def test_progress_by_group_matches_an_independent_count(demo_engine, scope, breakdown, group_sql):
    with demo_engine.connect() as conn:
        frame = progress_by(conn=conn, scope=scope, today=TODAY, breakdown=breakdown)
    base = (
        f"{group_sql}, COUNT(*) FROM rectification_items i "
        "JOIN townships t ON t.id = i.township_id "
        "LEFT JOIN assisting_units u ON u.id = i.unit_id "
        f"WHERE {WORKLOAD.replace('found_on', 'i.found_on').replace('closed_on', 'i.closed_on')}"
        "{extra} AND (:unit = 0 OR i.unit_id IS NOT NULL) GROUP BY 1"
    )
    params = {"today": TODAY, "year": date(2026, 1, 1), "unit": int(breakdown is Breakdown.UNIT)}
    total = counts(demo_engine, base.format(extra=""), **params)
    closed = counts(demo_engine, base.format(extra=" AND i.closed_on <= :today"), **params)
    overdue = counts(
        demo_engine,
        base.format(
            extra=" AND (i.closed_on IS NULL OR i.closed_on > :today) AND i.deadline < :today"
        ),
        **params,
    )
    assert dict(zip(frame["name"], frame["total"], strict=True)) == total
    assert {k: v for k, v in zip(frame["name"], frame["closed"], strict=True) if v} == closed
    assert {k: v for k, v in zip(frame["name"], frame["overdue"], strict=True) if v} == overdue
    assert (frame["open"] == frame["total"] - frame["closed"]).all()
    assert frame["closed_share"].is_monotonic_increasing
    assert sum(overdue.values()) > 0


def test_overdue_items_are_the_open_items_past_deadline_longest_first(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = overdue_items(conn=conn, scope=scope, today=TODAY)
        expected = set(
            conn.execute(
                text(
                    "SELECT code FROM rectification_items WHERE found_on <= :t "
                    "AND (closed_on IS NULL OR closed_on > :t) AND deadline < :t"
                ),
                {"t": TODAY},
            ).scalars()
        )
    assert expected
    assert set(frame["code"]) == expected
    assert frame["days_overdue"].is_monotonic_decreasing
    assert (frame["days_overdue"] > 0).all()
    assert (frame["days_since_change"] >= 0).all()


def test_due_soon_items_are_open_and_due_within_the_window(demo_engine, scope):
    days = 30
    with demo_engine.connect() as conn:
        frame = due_soon_items(conn=conn, scope=scope, today=TODAY, days=days)
    expected = count(
        demo_engine,
        "SELECT COUNT(*) FROM rectification_items WHERE found_on <= :t "
        "AND (closed_on IS NULL OR closed_on > :t) AND deadline BETWEEN :t AND :end",
        t=TODAY,
        end=TODAY + timedelta(days=days),
    )
    assert len(frame) == expected
    assert frame["days_overdue"].between(-days, 0).all()


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        (LedgerFilter(), "1 = 1"),
        (LedgerFilter(sources=("交叉检查",)), "source = '交叉检查'"),
        (
            LedgerFilter(statuses=("整改中", "未整改"), kinds=("立行立改",)),
            "status IN ('整改中', '未整改') AND kind = '立行立改'",
        ),
        (
            LedgerFilter(overdue_only=True),
            "found_on <= :t AND (closed_on IS NULL OR closed_on > :t) AND deadline < :t",
        ),
        (LedgerFilter(township_ids=(1,)), "township_id = 1"),
        (LedgerFilter(unit_ids=(1, 2, 3)), "unit_id IN (1, 2, 3)"),
    ],
)
def test_ledger_filters_are_applied_in_sql(demo_engine, scope, filters, where):
    with demo_engine.connect() as conn:
        frame = ledger_items(conn=conn, scope=scope, today=TODAY, filters=filters)
        expected = list(
            conn.execute(
                text(f"SELECT code FROM rectification_items WHERE {where} ORDER BY code"),
                {"t": TODAY},
            ).scalars()
        )
    assert frame["code"].tolist() == expected
    assert frame["seq"].tolist() == list(range(1, len(expected) + 1))
    assert set(LEDGER_COLUMNS) <= set(frame.columns)


def test_the_page_of_the_ledger_is_its_first_items_and_the_size_counts_them_all(demo_engine, scope):
    filters = LedgerFilter(statuses=("整改中", "未整改"))
    with demo_engine.connect() as conn:
        everything = ledger_items(conn=conn, scope=scope, today=TODAY, filters=filters)
        first = ledger_items(conn=conn, scope=scope, today=TODAY, filters=filters, limit=5)
        size = ledger_size(conn=conn, scope=scope, today=TODAY, filters=filters)
    assert size == len(everything) > 5
    assert first["code"].tolist() == everything["code"].head(5).tolist()
    assert first["seq"].tolist() == [1, 2, 3, 4, 5]


def test_a_township_sees_its_own_items_only(demo_engine, scope):
    own = Scope(frozenset({min(scope.township_ids)}))
    with demo_engine.connect() as conn:
        ledger = ledger_items(conn=conn, scope=own, today=TODAY)
        widened = ledger_items(
            conn=conn, scope=own, today=TODAY, filters=LedgerFilter(township_ids=(2, 3))
        )
        overdue = overdue_items(conn=conn, scope=own, today=TODAY)
        other = conn.execute(
            text("SELECT id FROM rectification_items WHERE township_id <> :t LIMIT 1"),
            {"t": min(scope.township_ids)},
        ).scalar_one()
        history = status_history(conn=conn, scope=own, item_id=other)
        township_name = conn.execute(
            text("SELECT name FROM townships WHERE id = :t"), {"t": min(scope.township_ids)}
        ).scalar_one()
    assert set(ledger["township"]) == {township_name}
    assert widened.empty, "a filter can only narrow the scope"
    assert set(overdue["township"]) <= {township_name}
    assert history.empty


def test_open_items_history_matches_a_count_on_each_day(demo_engine, scope):
    since, until = date(2026, 9, 1), TODAY
    with demo_engine.connect() as conn:
        frame = open_items_history(conn=conn, scope=scope, since=since, until=until)
    assert len(frame) == (until - since).days + 1
    for day in (since, date(2026, 10, 15), until):
        expected = count(
            demo_engine,
            "SELECT COUNT(*) FROM rectification_items WHERE found_on <= :d "
            "AND (closed_on IS NULL OR closed_on > :d)",
            d=day,
        )
        assert frame.loc[frame["day"] == day, "open"].item() == expected


def test_closing_pace_counts_open_items_due_by_the_milestone_and_recent_closings(
    demo_engine, scope
):
    with demo_engine.connect() as conn:
        milestones = upcoming_milestones(conn=conn, scope=scope, today=TODAY)
        due_by = milestones["due_on"].iloc[0]
        frame = closing_pace_by_township(
            conn=conn, scope=scope, today=TODAY, due_by=due_by, window_days=30
        )
    open_due = counts(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM rectification_items WHERE found_on <= :t "
        "AND (closed_on IS NULL OR closed_on > :t) AND deadline <= :due GROUP BY township_id",
        t=TODAY,
        due=due_by,
    )
    recent = counts(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM rectification_items "
        "WHERE closed_on BETWEEN :start AND :t GROUP BY township_id",
        t=TODAY,
        start=TODAY - timedelta(days=29),
    )
    assert len(frame) == len(scope.township_ids)
    assert {k: v for k, v in zip(frame["township_id"], frame["open_due"], strict=True) if v} == (
        open_due
    )
    assert {
        k: v for k, v in zip(frame["township_id"], frame["closed_recent"], strict=True) if v
    } == recent
    # The county's open items due by the first milestone are what its countdown card shows.
    assert frame["open_due"].sum() == milestones["open_items"].iloc[0]
    projections = township_projections(
        frame, today=TODAY, deadline=due_by, window_days=30, county_name="全县"
    )
    assert projections["name"].iloc[0] == "全县"
    assert projections["open_due"].iloc[0] == frame["open_due"].sum()


def test_status_history_lists_every_change_of_the_item(demo_engine, scope):
    with demo_engine.connect() as conn:
        item_id, version = conn.execute(
            text("SELECT id, version FROM rectification_items ORDER BY version DESC, id LIMIT 1")
        ).one()
        history = status_history(conn=conn, scope=scope, item_id=item_id)
    assert len(history) == version
    assert history["changed_at"].is_monotonic_increasing


# ----------------------------------------------------------------------------------------------
# Day boundaries on a hand-made county


def add_item(
    conn: Connection,
    item_id: int,
    *,
    township_id: int = 1,
    deadline: date,
    status: str = "未整改",
    closed_on: date | None = None,
    found_on: date = date(2026, 11, 1),
    description: str = "测试问题",
) -> int:
    conn.execute(
        insert(RectificationItem),
        {
            "id": item_id,
            "code": f"ZG2026-{item_id:05d}",
            "source": "督查暗访",
            "category": "收入登记不全面",
            "description": description,
            "township_id": township_id,
            "responsible_person": "韦永宏",
            "measure": "逐户核对",
            "kind": "立行立改",
            "found_on": found_on,
            "deadline": deadline,
            "status": status,
            "closed_on": closed_on,
            "version": 1,
            "status_changed_at": datetime.combine(found_on, datetime.min.time()),
        },
    )
    return item_id


def small_county(conn: Connection) -> None:
    add_township(conn, 1)
    add_township(conn, 2)
    add_village(conn, 101, township_id=1)


def test_an_item_due_today_is_due_soon_and_one_due_yesterday_is_overdue(fresh_engine):
    with fresh_engine.begin() as conn:
        small_county(conn)
        add_item(conn, 1, deadline=TODAY)
        add_item(conn, 2, deadline=TODAY - timedelta(days=1))
        add_item(conn, 3, deadline=TODAY - timedelta(days=1), status="已销号", closed_on=TODAY)
        add_item(conn, 4, deadline=TODAY + timedelta(days=7))
        add_item(conn, 5, deadline=TODAY + timedelta(days=8))
    with fresh_engine.connect() as conn:
        scope = county_scope(conn=conn)
        overdue = overdue_items(conn=conn, scope=scope, today=TODAY)
        soon = due_soon_items(conn=conn, scope=scope, today=TODAY, days=7)
    assert overdue["code"].tolist() == ["ZG2026-00002"]
    assert overdue["days_overdue"].tolist() == [1]
    assert soon["code"].tolist() == ["ZG2026-00001", "ZG2026-00004"]


# ----------------------------------------------------------------------------------------------
# Status changes, on a fresh SQLite database and a fresh PostgreSQL schema


@pytest.fixture(params=["sqlite", "postgresql"])
def writable(request, tmp_path: Path) -> Engine:
    """A fresh database with two townships and open items 1 (township 1) and 2 (township 2)."""
    engine = request.getfixturevalue(
        "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    )
    with engine.begin() as conn:
        small_county(conn)
        add_item(conn, 1, deadline=TODAY + timedelta(days=5))
        add_item(conn, 2, township_id=2, deadline=TODAY + timedelta(days=5))
    return engine


def change(engine: Engine, **overrides):
    arguments = {
        "scope": Scope(frozenset({1, 2})),
        "item_id": 1,
        "expected_version": 1,
        "to_status": RectificationStatus.CLOSED,
        "note": "已逐户核对补登",
        "completed_on": TODAY,
    }
    arguments.update(overrides)
    author = arguments.pop("changed_by", "县乡村振兴局")
    at = arguments.pop("now", NOW)
    with commands.change(engine, by="office", author=author, at=at) as write:
        return change_status(write, **arguments)


def item_row(engine: Engine, item_id: int = 1):
    with engine.connect() as conn:
        query = select(RectificationItem.__table__).where(RectificationItem.id == item_id)
        return conn.execute(query).one()


def changes(engine: Engine, item_id: int = 1) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(RectificationStatusChange.__table__)
                .where(RectificationStatusChange.item_id == item_id)
                .order_by(RectificationStatusChange.id)
            ).all()
        )


def test_closing_records_a_history_row_and_bumps_both_versions(writable):
    with writable.connect() as conn:
        data_version = int(read_meta(conn, "data_version") or 0)
    result = change(writable)
    assert result.version == 2
    row = item_row(writable)
    assert (row.status, row.closed_on, row.version) == ("已销号", TODAY, 2)
    assert row.status_changed_at == NOW
    [history] = changes(writable)
    assert (history.from_status, history.to_status, history.completed_on) == (
        "未整改",
        "已销号",
        TODAY,
    )
    assert (history.changed_by, history.note, history.changed_at) == (
        "县乡村振兴局",
        "已逐户核对补登",
        NOW,
    )
    with writable.connect() as conn:
        assert int(read_meta(conn, "data_version")) == data_version + 1


def test_every_change_adds_a_row_and_reopening_clears_the_closing_date(writable):
    change(writable, to_status=RectificationStatus.IN_PROGRESS, completed_on=TODAY)
    change(writable, expected_version=2)
    change(writable, expected_version=3, to_status=RectificationStatus.OPEN, note="复核不合格")
    row = item_row(writable)
    assert (row.status, row.closed_on, row.version) == ("未整改", None, 4)
    history = changes(writable)
    assert [(h.from_status, h.to_status) for h in history] == [
        ("未整改", "整改中"),
        ("整改中", "已销号"),
        ("已销号", "未整改"),
    ]
    assert history[0].completed_on is None, "a date is only recorded when closing"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"note": "   "}, MissingNoteError),
        ({"completed_on": TODAY + timedelta(days=1)}, FutureCompletionDateError),
        ({"completed_on": date(2026, 10, 31)}, CompletionBeforeFoundError),
        ({"to_status": RectificationStatus.OPEN}, UnchangedStatusError),
        ({"item_id": 999}, ItemNotFoundError),
        ({"scope": Scope(frozenset({2}))}, ItemNotFoundError),
        ({"expected_version": 7}, StaleItemError),
    ],
)
def test_a_refused_change_writes_nothing(writable, overrides, error):
    with pytest.raises(error):
        change(writable, **overrides)
    assert item_row(writable).version == 1
    assert changes(writable) == []


def test_a_closed_item_cannot_be_closed_again(writable):
    change(writable)
    with pytest.raises(AlreadyClosedError, match="不能重复销号"):
        change(writable, expected_version=2, completed_on=TODAY - timedelta(days=1))
    assert len(changes(writable)) == 1
    assert item_row(writable).closed_on == TODAY


def test_the_second_of_two_edits_from_the_same_version_is_refused(writable):
    change(writable, to_status=RectificationStatus.IN_PROGRESS, note="甲：已认领")
    with pytest.raises(StaleItemError, match="刚被其他人修改"):
        change(writable, note="乙：已销号")
    assert [h.note for h in changes(writable)] == ["甲：已认领"]
    assert item_row(writable).status == "整改中"


def test_interleaved_transactions_cannot_both_apply(writable):
    """A holds its update uncommitted while B tries the same version: B waits, then fails."""
    outcome: dict[str, object] = {}
    first = writable.connect()
    transaction = first.begin()
    change_status(
        commands.Change(conn=first, by="甲", at=NOW),
        scope=Scope(frozenset({1})),
        item_id=1,
        expected_version=1,
        to_status=RectificationStatus.IN_PROGRESS,
        note="甲",
        completed_on=None,
    )

    def second() -> None:
        try:
            change(writable, note="乙")
            outcome["result"] = "applied"
        except StaleItemError:
            outcome["result"] = "stale"
        except Exception as error:  # a lock timeout would also be a failure to apply
            outcome["result"] = repr(error)

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=1.0)
    transaction.commit()
    first.close()
    worker.join(timeout=30)
    assert outcome["result"] == "stale"
    assert [h.note for h in changes(writable)] == ["甲"]


# ----------------------------------------------------------------------------------------------
# The exported workbook


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def test_the_workbook_holds_the_filtered_ledger_cell_by_cell(demo_engine, scope):
    filters = LedgerFilter(statuses=("整改中", "未整改"))
    with demo_engine.connect() as conn:
        ledger = ledger_items(conn=conn, scope=scope, today=TODAY, filters=filters)
    workbook = ledger_workbook(ledger, county="云岭县", as_of=TODAY, filters_text="筛选：未销号")
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert "云岭县" in sheet["A1"].value
    assert "2026年11月29日" in sheet["A2"].value
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert header == list(LEDGER_COLUMNS.values())
    assert all(cell.font.b for cell in sheet[HEADER_ROW])
    rows = [
        [cell_text(cell.value) for cell in row]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + len(ledger))
    ]
    expected = [
        [cell_text(v) for v in row] for row in ledger[list(LEDGER_COLUMNS)].itertuples(index=False)
    ]
    assert rows
    assert rows == expected
    assert sheet.cell(sheet.max_row, 1).value == SIGNATURE_LINE
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    first_row = sheet[HEADER_ROW + 1]
    assert all(cell.border.left.style == "thin" for cell in first_row)
    assert first_row[3].alignment.wrap_text


@pytest.mark.parametrize("text_value", ['=HYPERLINK("http://x")', "+1", "-3户未登记", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_is_written_as_text(text_value):
    import pandas as pd

    row = dict.fromkeys(LEDGER_COLUMNS, "") | {
        "seq": 1,
        "description": text_value,
        "deadline": TODAY,
        "closed_on": None,
    }
    workbook = ledger_workbook(
        pd.DataFrame([row]), county="云岭县", as_of=TODAY, filters_text="筛选：全部"
    )
    cell = load_workbook(io.BytesIO(workbook)).active.cell(HEADER_ROW + 1, 4)
    assert cell.value == text_value
    assert cell.data_type == "s"
