"""seed_demo: replace the database's county data with a generated demo county.

Everything happens in one transaction: a failure leaves the previous data as it was. Accounts
(users) and the audit trail are kept, with township accounts re-bound by township code; the
data version keeps counting up so no cache can serve figures of the old data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, select, update

from config.settings import Settings
from data_access.commands import change
from data_access.db import init_db, write_meta
from data_access.demo.activity import duty_columns, meeting_columns, register_blocks, visit_blocks
from data_access.demo.bulk import BulkWriter
from data_access.demo.county import build_county
from data_access.demo.income import build_income_model, income_year_columns
from data_access.demo.inspections import build_inspections, draw_columns, finding_columns
from data_access.demo.office import benchmark_columns, circular_columns, milestone_columns
from data_access.demo.people import (
    assignment_columns,
    cadre_columns,
    household_columns,
    inspector_columns,
)
from data_access.demo.places import (
    township_columns,
    unit_columns,
    unit_village_columns,
    village_columns,
)
from data_access.demo.rectification import build_ledger
from data_access.demo.warnings import seed_warnings
from data_access.models import Base, MetaKey, Township, User
from data_access.versions import EVERY_SOURCE

# Not county data: kept across re-seeding.
# What the office set up itself survives a new demo county: users, the audit trail, confirmed
# column mappings.
KEPT_TABLES = frozenset({"meta", "source_versions", "users", "audit_log", "import_mappings"})
# Who the seed's write is by (data_access.commands); it writes no audit row.
SEED_AUTHOR = "演示数据"
# Chinese labels of the tables, in the order the report lists them.
TABLE_LABELS = {
    "townships": "乡镇",
    "villages": "行政村",
    "assisting_units": "帮扶单位",
    "unit_villages": "定点帮扶村",
    "cadres": "干部",
    "households": "农户",
    "assignments": "结对帮扶",
    "income_years": "年度收入",
    "income_registers": "收支登记",
    "visits": "走访记录",
    "meetings": "专题研究会",
    "duty_records": "履职记录",
    "rectification_items": "整改问题",
    "rectification_status_changes": "整改状态变更",
    "milestones": "时间节点",
    "circulars": "通报",
    "inspectors": "暗访人员库",
    "inspection_draws": "暗访抽签",
    "inspection_findings": "暗访发现",
    "benchmarks": "对比指标",
}


@dataclass(frozen=True)
class DemoSummary:
    county: str
    scale: float
    seed: int
    as_of: date
    # Rows written per table.
    counts: dict[str, int]
    people: int
    seconds: float
    # Which townships the generator made weak (never stored in the database).
    weak_township_codes: tuple[str, ...]
    # Size of the SQLite database, None on other databases.
    database_bytes: int | None

    def report(self) -> str:
        lines = [
            f"演示数据已生成：{self.county}，规模 {self.scale:g}，种子 {self.seed}，"
            f"数据截至 {self.as_of.isoformat()}",
            f"  农户 {self.counts.get('households', 0):,} 户，人口 {self.people:,} 人",
        ]
        # Labels are padded with ideographic spaces so the numbers line up in a terminal.
        lines += [
            f"  {label:　<8}{self.counts.get(table, 0):>12,}"
            for table, label in TABLE_LABELS.items()
        ]
        size = (
            f"，数据库 {self.database_bytes / 1024**2:,.1f} MB"
            if self.database_bytes is not None
            else ""
        )
        lines.append(f"  用时 {self.seconds:.1f} 秒{size}")
        return "\n".join(lines)


def seed_demo(
    engine: Engine, *, settings: Settings, scale: float = 1.0, seed: int = 2023, as_of: date
) -> DemoSummary:
    """Fill the database with a demo county of ``scale`` (1 ≈ 24,000 households) whose data runs
    up to ``as_of``; the same (scale, seed, as_of) always gives the same data.

    Raises ValueError for a scale that is not positive, a negative seed or an as-of date after
    the clock's today (FutureAsOfError), and SettingsError when the settings lack a monitoring
    line for a year the data covers.
    """
    started = time.perf_counter()
    if seed < 0:
        raise ValueError(f"种子必须是非负整数，实为 {seed}")
    county = build_county(seed=seed, scale=scale, as_of=as_of, settings=settings)
    timeline = county.timeline
    income = build_income_model(county)
    inspections = build_inspections(county)
    ledger = build_ledger(county, inspections.problems)

    init_db(engine)
    with change(engine, by=SEED_AUTHOR, at=timeline.extracted_at) as write:
        conn = write.conn
        bindings = _unbind_township_users(conn)
        _delete_county_data(conn)
        writer = BulkWriter(conn)
        writer.insert("townships", township_columns(county.places))
        writer.insert("villages", village_columns(county.places, inspections.last_inspected_on))
        writer.insert("assisting_units", unit_columns(county.places))
        writer.insert("unit_villages", unit_village_columns(county.places))
        writer.insert("cadres", cadre_columns(county.cadres))
        writer.insert("households", household_columns(county.households))
        writer.insert("assignments", assignment_columns(county.households))
        writer.insert("income_years", income_year_columns(county, income))
        writer.insert_numbered("income_registers", register_blocks(county, income))
        writer.insert_numbered("visits", visit_blocks(county))
        writer.insert("meetings", meeting_columns(county))
        writer.insert("duty_records", duty_columns(county))
        writer.insert("rectification_items", ledger.items)
        writer.insert("rectification_status_changes", ledger.changes)
        writer.insert("milestones", milestone_columns(as_of))
        writer.insert("circulars", circular_columns(county))
        writer.insert("inspectors", inspector_columns(county.inspectors))
        writer.insert("inspection_draws", draw_columns(inspections))
        writer.insert("inspection_findings", finding_columns(inspections, ledger.given_items))
        writer.insert("benchmarks", benchmark_columns(county))
        writer.finish()
        _rebind_township_users(conn, bindings)
        write_meta(conn, MetaKey.DEMO_SEED, str(seed))
        write_meta(conn, MetaKey.DEMO_SCALE, f"{scale:g}")
        write.touch(*EVERY_SOURCE)
    counts = dict(writer.counts)
    counts["household_warnings"] = seed_warnings(
        engine,
        settings=settings,
        as_of=as_of,
        extracted_at=timeline.extracted_at,
        seed=seed,
        weak_codes=county.weak_township_codes,
    )
    return DemoSummary(
        county=settings.county.name,
        scale=scale,
        seed=seed,
        as_of=as_of,
        counts=counts,
        people=int(county.households.members.sum()),
        seconds=time.perf_counter() - started,
        weak_township_codes=county.weak_township_codes,
        database_bytes=_sqlite_bytes(engine),
    )


def _delete_county_data(conn: Connection) -> None:
    """Delete every row of the county's tables, children before parents."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            conn.execute(table.delete())


def _unbind_township_users(conn: Connection) -> list[tuple[int, str]]:
    """(user id, township code) of township accounts, whose binding is lifted meanwhile so the
    townships can be replaced."""
    bindings = conn.execute(
        select(User.id, Township.code).join(Township, User.township_id == Township.id)
    ).all()
    conn.execute(update(User).where(User.township_id.is_not(None)).values(township_id=None))
    return [tuple(row) for row in bindings]


def _rebind_township_users(conn: Connection, bindings: list[tuple[int, str]]) -> None:
    """Bind township accounts again by township code (left unbound if the code is gone)."""
    for user_id, code in bindings:
        township = select(Township.id).where(Township.code == code).scalar_subquery()
        conn.execute(update(User).where(User.id == user_id).values(township_id=township))


def _sqlite_bytes(engine: Engine) -> int | None:
    """Size of a SQLite database after folding the write-ahead log back into the file."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    return int(pages) * int(page_size)
