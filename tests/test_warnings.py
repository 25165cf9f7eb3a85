"""预警: each rule on a hand-made county where it holds for one household and narrowly misses
another (SQLite and PostgreSQL); raising, lapsing and raising again; verification rights and
history; the deadline at its day boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select, text, update

from data_access.audit import AuditAction
from data_access.commands import change
from data_access.models import (
    Assignment,
    AuditEntry,
    Household,
    HouseholdWarning,
    Visit,
    WarningChange,
    WarningStatus,
)
from data_access.scope import Scope
from data_access.warnings.deadlines import due_on
from data_access.warnings.store import (
    WarningError,
    WarningFilter,
    headline,
    refresh,
    rule_hits,
    verify,
    warning_list,
)
from tests.builders import (
    add_cadre,
    add_household,
    add_register,
    add_township,
    add_village,
    add_visit,
    assign,
)

MONTH = date(2026, 11, 1)
TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 20, 0)
EVERYWHERE = Scope(frozenset({1, 2}), personal_data=False, whole_county=True)

# What each rule must find in the county below, and only that.
EXPECTED = {
    "below_line_margin": {101},
    "income_drop": {102},
    "large_expense": {103},
    "cleared_below_line": {104},
    "cleared_too_soon": {105},
    "cleared_without_labour": {107},
    "late_entry": {116},
    "public_job_no_wage": {110},
    "monitored_no_helper": {108},
    "no_registers": {112},
    "no_visit": {113},
    "missing_documents": {115},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request) -> Engine:
    return request.getfixturevalue(
        "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    )


def _monitored(conn, household: int, **values) -> None:
    conn.execute(
        update(Household)
        .where(Household.id == household)
        .values(household_type="监测户", monitor_category="脱贫不稳定户", **values)
    )


def _cleared(conn, household: int, since: date, cleared: date, **values) -> None:
    _monitored(
        conn,
        household,
        risk_status="风险已消除",
        risk_cleared_by="帮扶消除",
        monitored_since=since,
        risk_cleared_on=cleared,
        **values,
    )


@pytest.fixture
def county(empty, settings) -> Engine:
    """Township 1 (village 10) and 2 (village 20); households 101–117, each there for one rule.

    Incomes come from one November register each (no earlier data: the projection is the
    month × 12), so a household's projected per-capita income is 4 × its November net (3
    members)."""
    line = settings.income.line_for(MONTH.year)
    comfortable = 5000.0  # 20,000 yuan a person
    with empty.begin() as conn:
        add_township(conn, 1)
        add_township(conn, 2)
        add_village(conn, 10, township_id=1)
        add_village(conn, 20, township_id=2)
        add_cadre(conn, 1, township_id=1)
        add_cadre(conn, 2, township_id=2)
        for household in range(101, 118):
            township = 1 if household < 110 else 2
            add_household(conn, household, village_id=township * 10, township_id=township)
            assign(conn, township, household, date(2025, 1, 1))
            add_visit(conn, township, household, date(2026, 11, 5))
        nets = {101: (line + 500) / 4, 104: (line - 500) / 4, 106: comfortable}
        for household in range(101, 118):
            if household in (102, 112):
                continue
            expenditure = 5000.0 if household == 103 else 0.0
            net = 3000.0 if household == 103 else nets.get(household, comfortable)
            wage = 0.0 if household == 110 else net
            add_register(
                conn,
                household,
                MONTH,
                wage=wage,
                business=net - wage,
                expenditure=expenditure,
            )
        # 102 fell by more than the rule's share: 9,000 a month last year, 4,000 this November.
        for month in range(1, 13):
            add_register(conn, 102, date(2025, month, 1), wage=9000.0)
        add_register(conn, 102, MONTH, wage=4000.0)
        # 112 last registered in July: not in the last three months.
        add_register(conn, 112, date(2026, 7, 1), wage=comfortable)
        # 104: risk marked eliminated, projected below the line.
        _cleared(conn, 104, date(2025, 1, 10), date(2025, 12, 1))
        # 105 eliminated a day short of six months after 纳入; 106 on the day.
        _cleared(conn, 105, date(2026, 3, 15), date(2026, 9, 14))
        _cleared(conn, 106, date(2026, 3, 15), date(2026, 9, 15))
        # 107 has no labour capacity and was marked eliminated.
        _cleared(conn, 107, date(2025, 1, 1), date(2026, 1, 1), has_labour=False)
        # 108 is at risk with no 帮扶干部; 109 at risk with one.
        _monitored(conn, 108, risk_status="风险未消除", monitored_since=date(2026, 2, 1))
        conn.execute(
            update(Assignment)
            .where(Assignment.household_id == 108)
            .values(end_date=date(2026, 6, 30))
        )
        _monitored(conn, 109, risk_status="风险未消除", monitored_since=date(2026, 2, 1))
        # 110 holds a public-welfare job and registered no wage; 111 holds one with a wage.
        conn.execute(update(Household).where(Household.id.in_([110, 111])).values(public_job=True))
        # 113's last visit was 91 days ago; 114's exactly 90.
        for household, day in ((113, date(2026, 8, 30)), (114, date(2026, 8, 31))):
            conn.execute(
                update(Visit).where(Visit.household_id == household).values(visit_date=day)
            )
        # 115 has no 帮扶手册.
        conn.execute(update(Household).where(Household.id == 115).values(has_handbook=False))
        # 116 was taken in 49 days after its first 应纳未纳 warning; 117 after 24.
        for household, since in ((116, date(2026, 10, 20)), (117, date(2026, 9, 25))):
            _monitored(conn, household, risk_status="风险未消除", monitored_since=since)
            conn.execute(
                insert(HouseholdWarning),
                {
                    "household_id": household,
                    "rule_id": "below_line_margin",
                    "township_id": 2,
                    "village_id": 20,
                    "first_raised_on": date(2026, 9, 1),
                    "observed": {},
                    "status": WarningStatus.MONITORED.value,
                    "gone_on": since,
                    "version": 1,
                },
            )
    return empty


def test_each_rule_finds_its_household_and_no_other(county, settings):
    with county.connect() as conn:
        found = {
            rule.id: set(
                rule_hits(
                    conn, scope=EVERYWHERE, month=MONTH, today=TODAY, settings=settings, rule=rule
                )
            )
            for rule in settings.warnings.rules
        }
    assert found == EXPECTED


def _refresh(engine: Engine, settings, today: date = TODAY):
    with change(engine, by="县乡村振兴局", at=NOW) as write:
        return refresh(write, settings=settings, month=MONTH, today=today)


def _warnings(engine: Engine, rule_id: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(HouseholdWarning.__table__)
            .where(HouseholdWarning.rule_id == rule_id)
            .order_by(HouseholdWarning.id)
        ).all()


def test_a_check_raises_each_warning_once_and_records_the_values(county, settings):
    report = _refresh(county, settings)
    # late_entry's 116 and 117 already had their (verified) 应纳未纳 rows.
    assert report.raised == sum(len(found) for found in EXPECTED.values())
    assert _refresh(county, settings).raised == 0, "a second check raises nothing new"
    [warning] = _warnings(county, "cleared_too_soon")
    assert warning.household_id == 105
    assert warning.first_raised_on == TODAY
    assert warning.status == WarningStatus.PENDING.value
    assert warning.observed == {"纳入监测日期": "2026-03-15", "风险消除日期": "2026-09-14"}
    assert (warning.township_id, warning.village_id, warning.helper_id) == (1, 10, 1)
    [paperwork] = _warnings(county, "missing_documents")
    assert paperwork.observed == {"缺少": "帮扶手册"}
    with county.connect() as conn:
        checks = conn.execute(
            select(func.count()).where(AuditEntry.action == AuditAction.WARNINGS_CHECKED.value)
        ).scalar_one()
    assert checks == 2


def test_a_warning_whose_condition_goes_lapses_and_is_raised_again_when_it_returns(
    county, settings
):
    _refresh(county, settings)
    with county.begin() as conn:
        conn.execute(update(Household).where(Household.id == 115).values(has_handbook=True))
    assert _refresh(county, settings, TODAY + timedelta(days=1)).gone == 1
    [lapsed] = _warnings(county, "missing_documents")
    assert lapsed.gone_on == TODAY + timedelta(days=1)
    with county.begin() as conn:
        conn.execute(update(Household).where(Household.id == 115).values(has_handbook=False))
    assert _refresh(county, settings, TODAY + timedelta(days=2)).raised == 1
    first, second = _warnings(county, "missing_documents")
    assert (first.id, second.household_id) == (lapsed.id, 115)
    assert second.first_raised_on == TODAY + timedelta(days=2)
    assert second.gone_on is None


def _verify(
    engine: Engine, ids, *, scope: Scope, may_verify: bool = True, note: str = "已入户核实"
):
    with change(engine, by="lh_user", at=NOW, author="六合镇核实员") as write:
        return verify(
            write,
            scope=scope,
            may_verify=may_verify,
            warning_ids=ids,
            to_status=WarningStatus.NO_RISK,
            note=note,
            today=TODAY,
        )


def _ids(engine: Engine, township: int) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(HouseholdWarning.id)
                .where(HouseholdWarning.township_id == township, HouseholdWarning.gone_on.is_(None))
                .order_by(HouseholdWarning.id)
            ).scalars()
        )


def test_a_township_user_verifies_the_warnings_of_their_township_with_a_history(county, settings):
    _refresh(county, settings)
    own = _ids(county, 1)[:2]
    assert _verify(county, own, scope=Scope(frozenset({1}))) == 2
    with county.connect() as conn:
        rows = conn.execute(
            select(HouseholdWarning.__table__).where(HouseholdWarning.id.in_(own))
        ).all()
        history = conn.execute(
            select(
                WarningChange.warning_id, WarningChange.from_status, WarningChange.to_status
            ).order_by(WarningChange.warning_id)
        ).all()
        audited = (
            conn.execute(
                select(AuditEntry.rows).where(
                    AuditEntry.action == AuditAction.WARNING_VERIFIED.value
                )
            )
            .scalars()
            .all()
        )
    assert {(r.status, r.verified_by, r.verified_on, r.note) for r in rows} == {
        (WarningStatus.NO_RISK.value, "六合镇核实员", TODAY, "已入户核实")
    }
    assert history == [(i, "待核实", "核实无风险") for i in own]
    assert audited == [2]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("another township", "不在您的乡镇范围内"),
        ("a leader", "不能核实预警"),
        ("no note", "请填写核实说明"),
        ("verified before", "已核实"),
    ],
)
def test_a_verification_that_may_not_be_made_writes_nothing(county, settings, case, message):
    _refresh(county, settings)
    own, other = _ids(county, 1), _ids(county, 2)
    if case == "verified before":
        _verify(county, own[:1], scope=Scope(frozenset({1})))
    with county.connect() as conn:
        before = conn.execute(select(func.count()).select_from(WarningChange)).scalar_one()
    chosen = {"another township": [own[0], other[0]]}.get(case, own[:1])
    with pytest.raises(WarningError, match=message):
        _verify(
            county,
            chosen,
            scope=Scope(frozenset({1})),
            may_verify=case != "a leader",
            note="" if case == "no note" else "已入户核实",
        )
    with county.connect() as conn:
        after = conn.execute(select(func.count()).select_from(WarningChange)).scalar_one()
        pending = conn.execute(
            select(HouseholdWarning.status).where(HouseholdWarning.id == chosen[0])
        ).scalar_one()
    assert after == before
    assert pending == (WarningStatus.NO_RISK.value if case == "verified before" else "待核实")


def test_a_warning_is_overdue_from_the_day_after_its_last_day(county, settings):
    _refresh(county, settings)
    rule = settings.warnings.rule("cleared_below_line")  # high: 7 days
    days = settings.warnings.verify_within_days[rule.severity]
    assert due_on(TODAY, rule.severity, settings.warnings) == TODAY + timedelta(days=days)

    def overdue_on(day: date) -> set[int]:
        with county.connect() as conn:
            frame, _ = warning_list(
                conn,
                scope=EVERYWHERE,
                today=day,
                settings=settings.warnings,
                filters=WarningFilter(rule_ids=(rule.id,), overdue_only=True),
            )
        return set(frame["id"])

    last_day = TODAY + timedelta(days=days)
    assert overdue_on(last_day) == set()
    assert len(overdue_on(last_day + timedelta(days=1))) == 1
    with county.connect() as conn:
        later = headline(
            conn, scope=EVERYWHERE, today=last_day + timedelta(days=1), settings=settings.warnings
        )
    high = [r.id for r in settings.warnings.rules if r.severity == rule.severity]
    assert later.overdue == sum(len(EXPECTED[rule_id]) for rule_id in high)
    assert later.pending == sum(len(found) for found in EXPECTED.values())
    assert later.should_monitor == 3  # 101, 102, 103


def test_the_list_pages_in_sql_and_masks_the_household_head(county, settings):
    _refresh(county, settings)
    with county.connect() as conn:
        page, total = warning_list(
            conn,
            scope=EVERYWHERE,
            today=TODAY,
            settings=settings.warnings,
            filters=WarningFilter(),
            page=1,
            page_size=5,
        )
        named, _ = warning_list(
            conn,
            scope=replace(EVERYWHERE, personal_data=True),
            today=TODAY,
            settings=settings.warnings,
            filters=WarningFilter(township_ids=(1,)),
        )
    # Every status is listed: the two verified 应纳未纳 warnings of 116 and 117 too.
    assert total == sum(len(found) for found in EXPECTED.values()) + 2
    assert len(page) == 5
    assert set(page["head"]) == {"张*明"}
    assert set(named["head"]) == {"张三明"}
    assert set(named["township"]) == {"测试1镇"}
    assert named["observed"].str.len().gt(0).all()


# The page, through AppTest on the demo county (whose seed checked the rules twice).


def _page(monkeypatch, demo_sqlite_path, test_config_path, username: str):
    from streamlit.testing.v1 import AppTest

    from dashboard.navigation import PAGES, PROJECT_ROOT
    from tests.login import logged_in

    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=90)
    app.switch_page(str(next(s for s in PAGES if s.url_path == "warnings").path))
    logged_in(app, username)
    assert not app.exception
    return app


def _independent_pending(engine: Engine, township: str | None = None) -> tuple[int, int]:
    """Pending warnings and households with a pending 应纳未纳 one, in plain SQL."""
    where = "w.status = '待核实' AND w.gone_on IS NULL"
    if township:
        where += f" AND t.name = '{township}'"
    with engine.connect() as conn:
        pending = conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM household_warnings w JOIN townships t ON t.id = w.township_id "
            f"WHERE {where}"
        ).scalar_one()
        households = conn.exec_driver_sql(
            "SELECT COUNT(DISTINCT w.household_id) FROM household_warnings w JOIN townships t "
            f"ON t.id = w.township_id WHERE {where} AND w.rule_id IN "
            "('below_line_margin', 'income_drop', 'large_expense')"
        ).scalar_one()
    return pending, households


def test_the_page_heads_with_the_pending_and_suspected_counts(
    monkeypatch, demo_sqlite_path, test_config_path, demo_sqlite
):
    app = _page(monkeypatch, demo_sqlite_path, test_config_path, "admin")
    pending, households = _independent_pending(demo_sqlite)
    assert pending > 0
    heading = next(m.value for m in app.markdown if m.value.startswith("#### 待核实预警"))
    assert heading.startswith(f"#### 待核实预警 {pending:,} 条")
    assert heading.endswith(f"应纳未纳疑似 {households:,} 户")
    assert {m.label: m.value for m in app.metric}["待核实预警"] == f"{pending:,} 条"
    assert app.button(key="warn-check"), "the county office can check now"
    assert any(form for form in app.get("form")), "and verify"


def test_a_township_user_sees_and_verifies_their_township_only(
    monkeypatch, demo_sqlite_path, test_config_path, demo_sqlite
):
    app = _page(monkeypatch, demo_sqlite_path, test_config_path, "township")
    title = app.title[0].value
    township = title.removesuffix("预警核实")
    pending, _ = _independent_pending(demo_sqlite, township)
    assert {m.label: m.value for m in app.metric}["待核实预警"] == f"{pending:,} 条"
    listed = app.dataframe(key="warn-list").value
    assert set(listed["township"]) <= {township}
    assert len(app.get("form")) == 1
    assert not [b for b in app.button if b.key == "warn-check"]


def test_a_leader_reads_the_warnings_but_cannot_verify(
    monkeypatch, demo_sqlite_path, test_config_path
):
    app = _page(monkeypatch, demo_sqlite_path, test_config_path, "leader")
    assert not app.get("form")
    assert any("您的角色可以查看" in c.value for c in app.caption)


def test_an_overdue_warning_becomes_one_rectification_item_linked_both_ways(county, settings):
    _refresh(county, settings)
    rule = settings.warnings.rule("cleared_below_line")  # high severity
    allowed = settings.warnings.verify_within_days[rule.severity]
    last_quiet_day = TODAY + timedelta(days=allowed + settings.warnings.escalate_after_days)
    assert _refresh(county, settings, last_quiet_day).escalated == ()
    later = last_quiet_day + timedelta(days=1)
    report = _refresh(county, settings, later)
    high = [r.id for r in settings.warnings.rules if r.severity == rule.severity]
    assert len(report.escalated) == sum(len(EXPECTED[rule_id]) for rule_id in high)
    assert _refresh(county, settings, later + timedelta(days=1)).escalated == (), "once"
    with county.connect() as conn:
        linked = conn.execute(
            text(
                "SELECT w.id, i.code, i.source, i.category, i.description, i.found_on, "
                "i.status, i.township_id FROM household_warnings w "
                "JOIN rectification_items i ON i.id = w.rectification_item_id "
                "WHERE w.rule_id = 'cleared_below_line'"
            )
        ).one()
        history = conn.execute(
            text(
                "SELECT note FROM rectification_status_changes c JOIN rectification_items i "
                "ON i.id = c.item_id WHERE i.code = :code"
            ),
            {"code": linked.code},
        ).scalar_one()
    assert linked.code in report.escalated
    assert (linked.source, linked.status, linked.township_id) == ("数据比对", "未整改", 1)
    assert linked.category == "监测对象纳入退出不及时不准确"
    assert str(linked.found_on)[:10] == later.isoformat()
    assert f"预警 #{linked.id}" in linked.description
    assert "H000104" in linked.description
    assert f"预警 #{linked.id}" in history


def test_the_township_table_adds_up_the_groups_and_rates_per_thousand_households():
    import pandas as pd

    from data_access.warnings.store import rule_table, township_table

    counts = pd.DataFrame(
        {
            "rule_id": ["below_line_margin", "missing_documents", "no_visit", ""],
            "township_id": [1, 1, 1, 2],
            "township": ["甲镇", "甲镇", "甲镇", "乙镇"],
            "pending": [2, 3, 1, 0],
            "overdue": [1, 0, 1, 0],
            "households": [500, 500, 500, 0],
        }
    )
    table = township_table(counts).set_index("township_id")
    assert table.loc[1, ["pending", "overdue", "应纳未纳", "信息疑点", "退出不准"]].tolist() == [
        6,
        2,
        2,
        4,
        0,
    ]
    assert table.loc[1, "per_thousand"] == pytest.approx(12.0)
    assert table.loc[2, "pending"] == 0
    rules = rule_table(counts).set_index("rule_id")
    assert rules.loc["missing_documents", "pending"] == 3
    assert rules.loc["income_drop", "pending"] == 0, "every rule is listed"
