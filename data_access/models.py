"""SQLAlchemy 2.0 models of the whole domain.

Domain values that users see and that Excel ledgers carry (household types, roles, statuses) are
stored as the Chinese words themselves, checked by constraints; the Python side names them in the
``StrEnum`` classes below so code never spells a literal twice.

Schema changes go through Alembic (``data_access/migrations``); ``python -m data_access init-db``
creates or upgrades a database.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _one_of(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


class HouseholdType(StrEnum):
    LIFTED = "脱贫户"
    MONITORED = "监测户"


class MonitorCategory(StrEnum):
    UNSTABLE = "脱贫不稳定户"
    EDGE = "边缘易致贫户"
    HARDSHIP = "突发严重困难户"


class RiskStatus(StrEnum):
    AT_RISK = "风险未消除"
    CLEARED = "风险已消除"


class RiskClearedBy(StrEnum):
    ASSISTANCE = "帮扶消除"
    NATURAL = "自然消除"


class CadreRole(StrEnum):
    HELPER = "帮扶干部"
    FIRST_SECRETARY = "第一书记"
    TEAM_MEMBER = "工作队员"
    VILLAGE_SECRETARY = "村支书"
    GRID_WORKER = "网格员"
    DATA_OFFICER = "信息员"
    VILLAGE_LEADER = "包村领导"
    TOWNSHIP_SECRETARY = "乡镇党委书记"
    TOWNSHIP_HEAD = "乡镇长"
    UNIT_LEADER = "单位主要领导"
    UNIT_DEPUTY = "单位分管领导"


class MeetingLevel(StrEnum):
    VILLAGE = "村"
    TOWNSHIP = "乡镇"


class DutyKind(StrEnum):
    MAIN_LEADER_VISIT = "主要领导到帮扶村调研"
    LEADER_QUARTERLY_VISIT = "班子成员到帮扶村调研"
    SPECIAL_REPORT = "听取专题汇报"
    STUDY_MEETING = "研究定点帮扶工作"
    DATA_CLEANING = "数据清洗"


class ProblemSource(StrEnum):
    NATIONAL_ASSESSMENT = "国家考核评估反馈"
    PROVINCIAL_ASSESSMENT = "省考核评估反馈"
    CROSS_INSPECTION = "交叉检查"
    UNANNOUNCED = "督查暗访"
    DATA_CHECK = "数据比对"
    PATROL = "巡察"


class RectificationKind(StrEnum):
    IMMEDIATE = "立行立改"
    DEADLINE = "限期整改"
    ONGOING = "长期坚持"


class RectificationStatus(StrEnum):
    OPEN = "未整改"
    IN_PROGRESS = "整改中"
    CLOSED = "已销号"


class CircularColor(StrEnum):
    RED = "红榜"
    BLACK = "黑榜"


class CircularTarget(StrEnum):
    TOWNSHIP = "乡镇"
    UNIT = "帮扶单位"


class Township(Base):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS84 lon/lat.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    center_lon: Mapped[float | None] = mapped_column(Float)
    center_lat: Mapped[float | None] = mapped_column(Float)

    villages: Mapped[list[Village]] = relationship(back_populates="township")


class Village(Base):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("id", "township_id", name="uq_villages_id_township"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set when an unannounced inspection visited the village; drives the 暗访 exclusion window.
    last_inspected_on: Mapped[date | None] = mapped_column(Date)

    township: Mapped[Township] = relationship(back_populates="villages")


class AssistingUnit(Base):
    __tablename__ = "assisting_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))


class UnitVillage(Base):
    """定点帮扶: an assisting unit paired with a village."""

    __tablename__ = "unit_villages"

    unit_id: Mapped[int] = mapped_column(ForeignKey("assisting_units.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), primary_key=True)


class Cadre(Base):
    __tablename__ = "cadres"
    __table_args__ = (
        _one_of("role", CadreRole),
        # The natural key of the 帮扶单位与干部 import.
        Index("uq_cadres_name_phone", "name", "phone", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(12), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assisting_units.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    # Grid number within the village, for 网格员.
    grid_no: Mapped[int | None] = mapped_column(Integer)
    # Township the cadre comes from or lives in: an inspector is never sent there (回避).
    home_township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        ForeignKeyConstraint(
            ["village_id", "township_id"],
            ["villages.id", "villages.township_id"],
            name="fk_households_village_township",
        ),
        _one_of("household_type", HouseholdType),
        CheckConstraint(
            "monitor_category IS NULL OR monitor_category IN "
            "('脱贫不稳定户', '边缘易致贫户', '突发严重困难户')",
            name="monitor_category_valid",
        ),
        CheckConstraint(
            "risk_status IS NULL OR risk_status IN ('风险未消除', '风险已消除')",
            name="risk_status_valid",
        ),
        CheckConstraint("members >= 1", name="members_positive"),
        Index("ix_households_township_type", "township_id", "household_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 户编号 from the national system; the natural key of imports.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    village_id: Mapped[int] = mapped_column(index=True)
    # Denormalised from the village (kept consistent by the composite foreign key) so the scope
    # filter needs no join.
    township_id: Mapped[int] = mapped_column()
    grid_no: Mapped[int] = mapped_column(Integer, default=1)
    head_name: Mapped[str] = mapped_column(String(20))
    head_id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    household_type: Mapped[str] = mapped_column(String(6))
    # Year the household left poverty (脱贫年度); None for 边缘易致贫户 who were never registered.
    lifted_year: Mapped[int | None] = mapped_column(Integer)
    monitor_category: Mapped[str | None] = mapped_column(String(10))
    risk_status: Mapped[str | None] = mapped_column(String(6))
    monitored_since: Mapped[date | None] = mapped_column(Date)
    risk_cleared_on: Mapped[date | None] = mapped_column(Date)
    risk_cleared_by: Mapped[str | None] = mapped_column(String(6))
    has_labour: Mapped[bool] = mapped_column(Boolean, default=True)
    members: Mapped[int] = mapped_column(Integer)
    # 一户一策一卡一人: plan, handbook, benefits card on the wall, one trained 明白人.
    has_plan: Mapped[bool] = mapped_column(Boolean, default=True)
    has_handbook: Mapped[bool] = mapped_column(Boolean, default=True)
    has_benefit_card: Mapped[bool] = mapped_column(Boolean, default=True)
    has_trained_member: Mapped[bool] = mapped_column(Boolean, default=True)
    # Public-welfare job holder (公益性岗位): a data check flags zero wage income.
    public_job: Mapped[bool] = mapped_column(Boolean, default=False)

    @classmethod
    def on_record_by(cls, day: date) -> ColumnElement[bool]:
        """The household was on the county's books by ``day``: a 脱贫户, or monitored by then
        (纳入监测日期 on or before it; a 监测户 with no such date always was). The one rule
        every monthly count applies to households, so that a household taken into monitoring
        in December counts in no figure of November."""
        return or_(
            cls.household_type != HouseholdType.MONITORED.value,
            cls.lifted_year.is_not(None),
            cls.monitored_since.is_(None),
            cls.monitored_since <= day,
        )


class HouseholdMember(Base):
    """One person of a household, as the national 防返贫监测信息系统 lists them (人编号). Names and
    ID numbers are kept masked: the household head's are on the household, for the views that
    may show them; a member's are needed by no view."""

    __tablename__ = "household_members"
    __table_args__ = (Index("ix_household_members_household", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    # 人编号 from the national system: the natural key.
    code: Mapped[str] = mapped_column(String(30), unique=True)
    # 与户主关系: 户主, 配偶, 之子 …
    relation: Mapped[str] = mapped_column(String(20))
    name_masked: Mapped[str] = mapped_column(String(20))
    id_masked: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    # 在校生状况, 健康状况, 劳动技能 as the system words them.
    school: Mapped[str | None] = mapped_column(String(40))
    health: Mapped[str | None] = mapped_column(String(40))
    labour: Mapped[str | None] = mapped_column(String(40))
    # 务工时间（月）: months worked away from home in the year.
    months_worked: Mapped[int | None] = mapped_column(Integer)


class Assignment(Base):
    """帮扶干部 ↔ household (联系户), with the period it holds."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_household", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    @classmethod
    def held_during(cls, start: date, end: date) -> ColumnElement[bool]:
        """The assignment holds on some day from ``start`` to ``end`` (no end date: still holds)."""
        return and_(cls.start_date <= end, or_(cls.end_date.is_(None), cls.end_date >= start))

    @classmethod
    def held_on(cls, day: date) -> ColumnElement[bool]:
        return cls.held_during(day, day)


class IncomeYear(Base):
    """A household's income for a statistics year, by source (yuan for the whole household)."""

    __tablename__ = "income_years"
    __table_args__ = (CheckConstraint("members >= 1", name="members_positive"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    members: Mapped[int] = mapped_column(Integer)
    wage: Mapped[float] = mapped_column(Float, default=0.0)
    business: Mapped[float] = mapped_column(Float, default=0.0)
    property: Mapped[float] = mapped_column(Float, default=0.0)
    transfer: Mapped[float] = mapped_column(Float, default=0.0)
    production_cost: Mapped[float] = mapped_column(Float, default=0.0)
    # 合规自付支出 (the household's compliant out-of-pocket spending, e.g. medical costs after
    # reimbursement) as the 摸排 gives it; kept, not deducted from 纯收入. NULL: not given.
    self_paid: Mapped[float | None] = mapped_column(Float)


class IncomeRegister(Base):
    """收支登记: one household's income and expenditure for one month, with when it was entered."""

    __tablename__ = "income_registers"
    __table_args__ = (
        UniqueConstraint("household_id", "month", name="uq_income_registers_household_month"),
        Index("ix_income_registers_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    # First day of the month registered.
    month: Mapped[date] = mapped_column(Date)
    wage: Mapped[float] = mapped_column(Float, default=0.0)
    business: Mapped[float] = mapped_column(Float, default=0.0)
    property: Mapped[float] = mapped_column(Float, default=0.0)
    transfer: Mapped[float] = mapped_column(Float, default=0.0)
    production_cost: Mapped[float] = mapped_column(Float, default=0.0)
    expenditure: Mapped[float] = mapped_column(Float, default=0.0)
    entered_at: Mapped[datetime] = mapped_column(DateTime)


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        _one_of("role", CadreRole),
        Index("ix_visits_date_role", "visit_date", "role"),
        Index("ix_visits_household_date", "household_id", "visit_date"),
        Index("ix_visits_cadre_date", "cadre_id", "visit_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    # The visitor's role when visiting: duties are counted by role, and roles change over time.
    role: Mapped[str] = mapped_column(String(12))
    visit_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default="入户走访")
    note: Mapped[str | None] = mapped_column(Text)


class Meeting(Base):
    """防返贫动态监测专题研究会, held monthly by each village and township."""

    __tablename__ = "meetings"
    __table_args__ = (
        _one_of("level", MeetingLevel),
        UniqueConstraint("township_id", "village_id", "month", name="uq_meetings_place_month"),
        Index("ix_meetings_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(4))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    month: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date] = mapped_column(Date)
    has_record: Mapped[bool] = mapped_column(Boolean)


class DutyRecord(Base):
    """A duty done: a unit leader at the village, a report heard, a data cleaning."""

    __tablename__ = "duty_records"
    __table_args__ = (_one_of("kind", DutyKind), Index("ix_duty_records_date", "done_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assisting_units.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    done_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class RectificationItem(Base):
    """One problem in the 整改台账."""

    __tablename__ = "rectification_items"
    __table_args__ = (
        _one_of("source", ProblemSource),
        _one_of("kind", RectificationKind),
        _one_of("status", RectificationStatus),
        CheckConstraint(
            "(status = '已销号') = (closed_on IS NOT NULL)", name="closed_iff_closed_on"
        ),
        # Also covers the date columns every progress count reads, so that a county-wide count
        # scans this index instead of the items' long texts.
        Index(
            "ix_rectification_items_township_deadline_dates",
            "township_id",
            "deadline",
            "found_on",
            "closed_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 问题编号, the natural key of imports (e.g. "ZG2026-0001").
    code: Mapped[str] = mapped_column(String(24), unique=True)
    source: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    # None: a county-level item (a county department's, or every township's), seen by viewers
    # of the whole county and left out of the townships' figures.
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assisting_units.id"), index=True)
    # 牵头单位 and 责任单位 as a published list words them (a county department, 各乡镇 …).
    lead_unit: Mapped[str] = mapped_column(String(100), default="")
    responsible_unit: Mapped[str] = mapped_column(String(200), default="")
    responsible_person: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(6))
    found_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(6))
    closed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    # Bumped on every status change: a stale edit is detected instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime)


class RectificationStatusChange(Base):
    """An item's status history; rows are only ever added."""

    __tablename__ = "rectification_status_changes"
    __table_args__ = (Index("ix_rectification_status_changes_item", "item_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    changed_by: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(6))
    to_status: Mapped[str] = mapped_column(String(6))
    note: Mapped[str] = mapped_column(Text)
    completed_on: Mapped[date | None] = mapped_column(Date)


class WarningStatus(StrEnum):
    """Where a warning stands: raised and waiting for the village team, or verified one way."""

    PENDING = "待核实"
    MONITORED = "核实为风险·已纳入监测"
    NO_RISK = "核实无风险"
    DATA_FIXED = "已纠正数据"


class HouseholdWarning(Base):
    """A warning a rule (config [warnings], data_access/warnings/rules.py) raised on a household
    ("线上自动预警"), to be verified at the household within its deadline ("线下入户核实").

    One row per raising: a (household, rule) is raised again only after its condition had gone
    (``gone_on``) and came back. ``observed`` holds the values that raised it, as the page shows
    them (label → value)."""

    __tablename__ = "household_warnings"
    __table_args__ = (
        _one_of("status", WarningStatus),
        Index("ix_household_warnings_household_rule", "household_id", "rule_id"),
        Index("ix_household_warnings_township_status", "township_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    rule_id: Mapped[str] = mapped_column(String(32))
    # Denormalised at the raising, so the township filter needs no join and the responsible
    # village and helper stay those the warning went to.
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    first_raised_on: Mapped[date] = mapped_column(Date)
    observed: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=WarningStatus.PENDING.value)
    verified_by: Mapped[str | None] = mapped_column(String(40))
    verified_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    # The first check that found the condition no longer held (the warning lapses if still
    # unverified; either way the next time it holds is a new warning).
    gone_on: Mapped[date | None] = mapped_column(Date)
    # The 整改台账 item an overdue warning became (source 数据比对): one item per warning.
    rectification_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_items.id"), unique=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)


class WarningChange(Base):
    """A warning's verification history; rows are only ever added."""

    __tablename__ = "household_warning_changes"
    __table_args__ = (Index("ix_household_warning_changes_warning", "warning_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("household_warnings.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    changed_by: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)


class Milestone(Base):
    """A dated deadline the county counts down to (editable by the office)."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Circular(Base):
    """通报: a circular naming a township or an assisting unit, on the 红榜 or the 黑榜."""

    __tablename__ = "circulars"
    __table_args__ = (
        _one_of("color", CircularColor),
        _one_of("target_kind", CircularTarget),
        CheckConstraint(
            "(target_kind = '乡镇' AND township_id IS NOT NULL AND unit_id IS NULL) OR "
            "(target_kind = '帮扶单位' AND unit_id IS NOT NULL)",
            name="target_matches_kind",
        ),
        Index("ix_circulars_issued_on", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_no: Mapped[str] = mapped_column(String(40))
    issued_on: Mapped[date] = mapped_column(Date)
    color: Mapped[str] = mapped_column(String(4))
    target_kind: Mapped[str] = mapped_column(String(6))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assisting_units.id"))
    reason: Mapped[str] = mapped_column(Text)


class Inspector(Base):
    """A member of the 暗访 inspector pool."""

    __tablename__ = "inspectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assisting_units.id"))
    home_township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectionDraw(Base):
    """One 暗访 draw, kept whether used or discarded; rows are never edited or deleted."""

    __tablename__ = "inspection_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    drawn_by: Mapped[str] = mapped_column(String(40))
    planned_on: Mapped[date | None] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    input_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A discarded draw stays in the log; the superseding draw says which one it replaced.
    replaces_draw_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_draws.id"))


class InspectionFinding(Base):
    """What an inspection team found at a village or household."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_draws.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    inspected_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    rectification_item_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_items.id"))
    recorded_by: Mapped[str] = mapped_column(String(40))


class Benchmark(Base):
    """A yearly benchmark the office enters (growth rates in percent, incomes in yuan)."""

    __tablename__ = "benchmarks"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(60), default="")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Comma-separated roles (县领导, 督查组, 乡镇用户, 大屏, 管理员).
    roles: Mapped[str] = mapped_column(String(80))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    is_demo_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebSession(Base):
    """A browser's sign-in, kept on the server: the cookie holds a random token whose SHA-256 is
    stored here (data_access.sessions). Valid across reloads and tabs until it is ended (sign-out,
    idle, the absolute lifetime) or revoked (the user disabled, their password reset or roles
    changed)."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_username", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    # SHA-256 (hex) of the cookie's token; NULL until the browser has redeemed its ticket.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # SHA-256 of the one-time ticket the signed-in page hands its browser to fetch the cookie.
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Digest of the user's roles and township at sign-in: a session whose user changed since
    # ends (data_access.sessions.user_stamp).
    user_stamp: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # logout, idle, expired, disabled, password_reset, roles_changed
    ended_reason: Mapped[str | None] = mapped_column(String(20))


class AuditEntry(Base):
    """Append-only audit trail."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportStatus(StrEnum):
    COMMITTED = "已导入"
    # All-or-nothing import with rejected rows: nothing was written.
    REFUSED = "未导入"


class ImportBatch(Base):
    """One committed (or all-or-nothing refused) import of a workbook; rows are never edited."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(6), default=ImportStatus.COMMITTED.value)
    sheet: Mapped[str] = mapped_column(String(100), default="")
    # Data rows read from the sheet (accepted and rejected).
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)


class ImportMapping(Base):
    """A column mapping a clerk confirmed for one kind and one set of headers: the next file with
    the same headers is read with it (the clerk still sees it in the dry run and may change it)."""

    __tablename__ = "import_mappings"
    __table_args__ = (
        UniqueConstraint("kind", "header_set", name="uq_import_mappings_kind_headers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The kind's key (registers …).
    kind: Mapped[str] = mapped_column(String(20))
    # SHA-256 of the file's header keys, sorted and joined (importing.mappings.header_set_id).
    header_set: Mapped[str] = mapped_column(String(64))
    # The headers themselves, for the page and for whoever reads the table.
    headers: Mapped[list[str]] = mapped_column(JSON)
    # Header key → field key, or None for a column left out.
    mapping: Mapped[dict[str, str | None]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(40))
    saved_at: Mapped[datetime] = mapped_column(DateTime)


class DataSource(StrEnum):
    """What a write changes, each versioned on its own (source_versions): a cache reads the
    versions of the sources it is computed from, so a 销号 leaves the income figures cached."""

    # Townships and villages, their codes, names and points.
    PLACES = "places"
    # The outlines drawn on the visit map (read by the map alone).
    BOUNDARIES = "boundaries"
    # Assisting units, cadres, their pairings with households and villages.
    PEOPLE = "people"
    # Households and their members.
    HOUSEHOLDS = "households"
    # 收支登记, month by month.
    REGISTERS = "registers"
    # 年度收入.
    INCOMES = "incomes"
    # Visits and duty records.
    VISITS = "visits"
    MEETINGS = "meetings"
    # Rectification items, their history, the milestones they count down to.
    RECTIFICATION = "rectification"
    CIRCULARS = "circulars"
    # Inspectors, draws, findings and the villages' last-inspected dates.
    INSPECTIONS = "inspections"
    BENCHMARKS = "benchmarks"
    # 预警: warnings raised on households by the rules, and their verification.
    WARNINGS = "warnings"


class SourceVersion(Base):
    """One counter per DataSource, raised in the transaction that changes the source."""

    __tablename__ = "source_versions"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SourceMonthVersion(Base):
    """One counter per DataSource and month, for the sources whose rows belong to a month
    (收支登记, 走访, 会议): a write of some months raises theirs only, so the summaries of the
    other months stay valid (data_access.versions)."""

    __tablename__ = "source_month_versions"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class BasisMove(Base):
    """A stored income basis brought up to date by a write (income.store.refresh_basis): the
    month's rows moved from one version to the next with ``households`` counted again. The
    month's stored projections can follow the same way, recounting those households only, as
    long as nothing else they read changed since (``others_version``)."""

    __tablename__ = "basis_moves"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    to_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_version: Mapped[int] = mapped_column(Integer)
    # The version of the projections' other sources (households, places, people, annual
    # incomes) when the basis moved.
    others_version: Mapped[int] = mapped_column(Integer)
    households: Mapped[list[int]] = mapped_column(JSON)


class Meta(Base):
    """Small key/value facts about the data: its as-of time and a version bumped on every write."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class BenchmarkIndicator(StrEnum):
    """The yearly figures the "两个高于" comparisons need."""

    COUNTY_RURAL_INCOME = "县农村居民人均可支配收入"
    COUNTY_RURAL_INCOME_GROWTH = "县农村居民人均可支配收入增速"
    PROVINCE_RURAL_INCOME_GROWTH = "省农村居民人均可支配收入增速"
    COUNTY_GDP_GROWTH = "县GDP增速"
    REGION_GDP_GROWTH = "区GDP增速"


class MetaKey(StrEnum):
    DATA_VERSION = "data_version"
    DATA_AS_OF = "data_as_of"
    DEMO_SEED = "demo_seed"
    DEMO_SCALE = "demo_scale"


class IndicatorSnapshot(Base):
    """Integer counts of one entity (township, unit, village) of one kind for one month, computed
    once per version of the sources it counts and per settings.

    A cache that lives in the database, so it is shared by every app process: rankings, their
    12-month trends, the briefing and the visit map read it instead of re-aggregating months of
    registers and visits. Rows of a kind computed from older versions of its sources are stale by
    definition and are deleted when new ones are written; a write to another source keeps them.
    """

    __tablename__ = "indicator_snapshots"

    # The version of the sources the rows were computed from (data_access.versions).
    sources_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Fingerprint of the settings the counts were computed with (snapshots.settings_key).
    settings_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    # What is counted: a ranking level (township, unit) or another view's counts (e.g. visits).
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Counts by column name, as the computing function returned them.
    counts: Mapped[dict[str, int]] = mapped_column(JSON)


class IncomeStamp(Base):
    """Which version of their sources the stored income rows of one month are current for:
    the basis (``kind`` basis, no settings key) or the projections of one settings fingerprint.

    The rows themselves carry no version, so a write of a few households' registers updates those
    households' rows and this one stamp (data_access.income.store), never every row of the month.
    """

    __tablename__ = "income_stamps"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    settings_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    sources_version: Mapped[int] = mapped_column(Integer)


class IncomeSnapshot(Base):
    """The ingredients of one household's income projection for one month (the basis).

    Every income view needs, per household, the months registered and the net income so far this
    year and for the same months last year: three GROUP BYs over a year of registers. They are
    computed once per month (by ``data_access.income.store``), kept current by the writes of
    registers for the households they write, and read from here; the projection itself stays in
    SQL over these rows, so changing the projection settings needs no recomputation. The
    month's stamp (IncomeStamp) says which registers version the rows are current for.
    """

    __tablename__ = "income_snapshots"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Months registered from January to ``month``, and their net income (yuan, whole household).
    months: Mapped[int] = mapped_column(Integer)
    ytd_net: Mapped[float | None] = mapped_column(Float)
    # Net income registered in January to the same month of last year (NULL: none registered).
    same_months_net: Mapped[float | None] = mapped_column(Float)
    # This year's registered income by source, January to ``month`` (yuan; NULL: none).
    wage: Mapped[float | None] = mapped_column(Float)
    business: Mapped[float | None] = mapped_column(Float)
    property: Mapped[float | None] = mapped_column(Float)
    transfer: Mapped[float | None] = mapped_column(Float)
    production_cost: Mapped[float | None] = mapped_column(Float)


class IncomeProjection(Base):
    """One household's projected income for one month and income settings.

    What every income view filters, counts and sorts: the projection, its band, the change
    against last year and the flags the list filters on. Stored for the whole county by
    ``data_access.income.store.income_projections`` from the sums above, so that the
    household list is an indexed range with a LIMIT instead of a projection of every household.
    The month's stamp (IncomeStamp, per settings key) says which sources version they are
    current for; a write's households are projected again, the others stay.
    """

    __tablename__ = "income_projections"
    __table_args__ = (
        # The household list, lowest projection first (households without one last), for the
        # county and for one township.
        Index(
            "ix_income_projections_order",
            "settings_key",
            "month",
            "unprojected",
            "projected_per_capita",
            "household_id",
        ),
        Index(
            "ix_income_projections_township_order",
            "settings_key",
            "month",
            "township_id",
            "unprojected",
            "projected_per_capita",
            "household_id",
        ),
    )

    # Fingerprint of the income settings the projection was computed with (caching.settings_key).
    settings_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int] = mapped_column(Integer)
    household_type: Mapped[str] = mapped_column(String(6))
    members: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)
    ytd_net: Mapped[float | None] = mapped_column(Float)
    # Yuan for the whole household and per person; NULL: too few months for a projection.
    projected_net: Mapped[float | None] = mapped_column(Float)
    projected_per_capita: Mapped[float | None] = mapped_column(Float)
    last_year_per_capita: Mapped[float | None] = mapped_column(Float)
    change_per_capita: Mapped[float | None] = mapped_column(Float)
    # data_access.income band number (NO_DATA_BAND without a projection).
    band: Mapped[int] = mapped_column(Integer)
    # 1/0 flags: projected lower than last year; projected below the monitoring line; no
    # projection (sorts those households last on both databases, where NULLs sort differently).
    fell: Mapped[int] = mapped_column(Integer)
    below_line: Mapped[int] = mapped_column(Integer)
    unprojected: Mapped[int] = mapped_column(Integer)


class FrameSnapshot(Base):
    """One county-wide query result (a small table) for one month, per version of its sources
    and settings.

    Used for aggregates that add up over townships (income bands, alerts, growth sums): the
    county's result is computed once and each reader keeps the rows of its own townships. Rows
    of a result computed from older versions are deleted when new ones are written.
    """

    __tablename__ = "frame_snapshots"

    # The version of the sources the rows were computed from (data_access.versions).
    sources_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Fingerprint of the settings the result was computed with (snapshots.settings_key).
    settings_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    # Which result: the computing function's name.
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The frame as an Arrow IPC stream (caching._encode): columns and dtypes come back as they
    # were, and reading thousands of rows takes a millisecond rather than a JSON parse.
    frame: Mapped[bytes] = mapped_column(LargeBinary)
