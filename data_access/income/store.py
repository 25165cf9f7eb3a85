"""Per-household income tables computed once per version of what they read: the sums a
projection starts from (the registers), and the projections themselves (households, registers
and annual incomes).

Every income figure needs, for each household, the months registered and the net income from
January to the selected month, and last year's net income for the same months: a pass over two
years of registers. ``income_basis`` answers from ``income_snapshots`` (rows of the current
registers version and month), filling it with one INSERT … SELECT the first time a month is
asked for; the seed and every import warm the current months with ``warm_income``. The
projection itself stays in SQL over these sums (data_access.income), so the projection
settings are not part of the key.

Last year's figure of a household without an annual row (income_years) is the sum of its twelve
registered months: ``registered_year`` reads those households' registers only, inside the
projection query, so it is stored with the projections rather than in the basis.

``income_projections`` keeps that projection per household (``income_projections``, keyed by the
income settings too): every income figure counts it, and the household list pages through it with
an index instead of projecting the whole county for each page.

A database cache shared by every app process, like data_access.snapshots: rows of older
versions are stale by definition and are deleted when new ones are written. A 销号, a draw or a
visit import leaves both tables as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Subquery,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from data_access.caching import LOST_RACE
from data_access.db import refresh_statistics
from data_access.models import (
    BasisMove,
    DataSource,
    Household,
    IncomeProjection,
    IncomeRegister,
    IncomeSnapshot,
    IncomeYear,
)
from data_access.periods import month_start, same_month_last_year, year_start
from data_access.versions import INCOME_SOURCES, income_window, sources_version

# What the basis reads, and what the projections read (the basis and the others).
BASIS_SOURCES = frozenset({DataSource.REGISTERS})
PROJECTION_SOURCES = INCOME_SOURCES
OTHER_PROJECTION_SOURCES = PROJECTION_SOURCES - BASIS_SOURCES

BASIS_COLUMNS = ("household_id", "months", "ytd_net", "same_months_net")
MONTHS_IN_A_YEAR = 12
PROJECTION_KEY = ("sources_version", "settings_key", "month")
# Every column of income_projections but the key, in the table's order.
PROJECTION_COLUMNS = tuple(
    column.name
    for column in IncomeProjection.__table__.columns
    if column.name not in PROJECTION_KEY
)


def net_income(table) -> object:
    """纯收入 of a register or income-year row: the four sources less production costs."""
    return table.wage + table.business + table.property + table.transfer - table.production_cost


def registered_year(year: int) -> Subquery:
    """Net income over the twelve months of ``year`` from the registers, for the households that
    have no annual figure (income_years) for that year and registered all twelve months.

    Read through the (household, month) index for those households only: where the annual
    figures are in, nothing is summed. Columns: household_id, net.
    """
    register, annual = IncomeRegister, IncomeYear
    without_annual = select(Household.id).where(
        ~exists().where(annual.household_id == Household.id, annual.year == year)
    )
    return (
        select(register.household_id, func.sum(net_income(register)).label("net"))
        .where(
            register.household_id.in_(without_annual),
            register.month.between(date(year, 1, 1), date(year, 12, 1)),
        )
        .group_by(register.household_id)
        .having(func.count() == MONTHS_IN_A_YEAR)
        .subquery("registered_year")
    )


def _last_year_months(month: date) -> tuple[date, date]:
    """January and the same month of last year."""
    same_month = same_month_last_year(month)
    return year_start(same_month), same_month


def live_basis(month: date, *, households: Iterable[int] | None = None) -> Subquery:
    """The sums straight from the registers, in one pass over both years' months (of
    ``households`` only, when given).

    Columns: household_id, months (registered January–``month``), ytd_net (NULL when none),
    same_months_net (January to the same month last year; NULL when none). Households with no
    register in either period have no row.
    """
    register = IncomeRegister
    this_start, (last_start, last_end) = year_start(month), _last_year_months(month)
    this_year = register.month >= this_start
    net = net_income(register)
    query = (
        select(
            register.household_id,
            func.sum(case((this_year, 1), else_=0)).label("months"),
            func.sum(case((this_year, net))).label("ytd_net"),
            func.sum(case((register.month <= last_end, net))).label("same_months_net"),
        )
        .where(
            or_(
                register.month.between(this_start, month),
                register.month.between(last_start, last_end),
            )
        )
        .group_by(register.household_id)
    )
    if households is not None:
        query = query.where(register.household_id.in_(list(households)))
    return query.subquery("basis")


def _is_stored(conn: Connection, version: int, month: date) -> bool:
    stored = exists().where(
        IncomeSnapshot.sources_version == version, IncomeSnapshot.month == month
    )
    return bool(conn.execute(select(stored)).scalar())


def _has_registers(conn: Connection, month: date) -> bool:
    """Whether any register falls in the months the basis reads (an empty basis is not stored)."""
    last_start, _ = _last_year_months(month)
    found = exists().where(IncomeRegister.month.between(last_start, month))
    return bool(conn.execute(select(found)).scalar())


def _insert_basis(version: int, month: date, *, households: Iterable[int] | None = None):
    """INSERT … SELECT of the live basis of ``month`` (of ``households``) keyed ``version``."""
    basis = live_basis(month, households=households)
    rows = select(literal(version), literal(month), *(basis.c[name] for name in BASIS_COLUMNS))
    return insert(IncomeSnapshot).from_select(["sources_version", "month", *BASIS_COLUMNS], rows)


def _store(engine: Engine, version: int, month: date) -> None:
    """Fill the snapshot of ``month`` in a transaction of its own, entirely in SQL; a concurrent
    writer of the same rows wins harmlessly."""
    try:
        with engine.begin() as writer:
            writer.execute(
                delete(IncomeSnapshot).where(
                    IncomeSnapshot.month == month, IncomeSnapshot.sources_version < version
                )
            )
            writer.execute(_insert_basis(version, month))
    except LOST_RACE:
        return  # another process stored the same snapshot first
    refresh_statistics(engine, IncomeSnapshot.__tablename__)


def income_basis(conn: Connection, month: date) -> Subquery:
    """The basis of ``month`` for the current registers version, read from the snapshot (stored
    first when missing). Same columns as live_basis."""
    version = sources_version(conn, BASIS_SOURCES, income_window(month))
    if not _is_stored(conn, version, month):
        if not _has_registers(conn, month):
            return live_basis(month)
        _store(conn.engine, version, month)
    snapshot = IncomeSnapshot
    return (
        select(snapshot.household_id, snapshot.months, snapshot.ytd_net, snapshot.same_months_net)
        .where(and_(snapshot.sources_version == version, snapshot.month == month))
        .subquery("basis")
    )


def refresh_basis(conn: Connection, *, months: Iterable[date], households: Iterable[int]) -> int:
    """Inside a write of the registers of ``households`` in ``months`` whose versions have just
    been raised: every stored basis whose window holds one of those months moves to its new
    version, with the rows of those households counted again from the registers; the other
    households' sums cannot have changed. Returns how many months were brought up to date.

    Only a basis stored at the version just before this write is moved (its version is the new
    one less this write's raises): when another write came in between, or none was stored, the
    month is counted in full when next read.
    """
    touched, chosen = sorted({month_start(month) for month in months}), sorted(set(households))
    if not touched or not chosen:
        return 0
    stored = conn.execute(
        select(IncomeSnapshot.month).where(IncomeSnapshot.month >= touched[0]).distinct()
    ).scalars()
    moved = 0
    for month in sorted(stored):
        window = income_window(month)
        raised = sum(window[0] <= written <= window[1] for written in touched)
        if not raised:
            continue
        new = sources_version(conn, BASIS_SOURCES, window)
        updated = conn.execute(
            update(IncomeSnapshot)
            .where(IncomeSnapshot.month == month, IncomeSnapshot.sources_version == new - raised)
            .values(sources_version=new)
        )
        if not updated.rowcount:
            continue
        conn.execute(delete(BasisMove).where(BasisMove.month == month))
        conn.execute(
            insert(BasisMove).values(
                month=month,
                to_version=new,
                from_version=new - raised,
                others_version=sources_version(conn, OTHER_PROJECTION_SOURCES),
                households=chosen,
            )
        )
        for start in range(0, len(chosen), _HOUSEHOLD_CHUNK):
            chunk = chosen[start : start + _HOUSEHOLD_CHUNK]
            conn.execute(
                delete(IncomeSnapshot).where(
                    IncomeSnapshot.month == month,
                    IncomeSnapshot.sources_version == new,
                    IncomeSnapshot.household_id.in_(chunk),
                )
            )
            conn.execute(_insert_basis(new, month, households=chunk))
        moved += 1
    return moved


# Households per IN list when counting some households' basis again.
_HOUSEHOLD_CHUNK = 5_000


def warm_income(engine: Engine, months: Iterable[date]) -> int:
    """Store the snapshots of ``months`` that are missing; returns how many were computed."""
    computed = 0
    with engine.connect() as conn:
        for month in months:
            version = sources_version(conn, BASIS_SOURCES, income_window(month))
            if not _is_stored(conn, version, month) and _has_registers(conn, month):
                _store(engine, version, month)
                computed += 1
    return computed


def _projections_stored(conn: Connection, identity: dict) -> bool:
    matching = [getattr(IncomeProjection, name) == value for name, value in identity.items()]
    return bool(conn.execute(select(exists().where(*matching))).scalar())


def _follow_basis(conn: Connection, identity: dict, rows: Callable[..., Select]) -> bool:
    """Bring the month's stored projections up to date the way its basis was, when the basis
    moved by one write and nothing else the projections read changed since: the rows move to
    the new version and the written households are projected again. In a transaction of its
    own; False when there is nothing to follow (then the caller projects every household)."""
    month, new = identity["month"], identity["sources_version"]
    move = conn.execute(
        select(BasisMove.to_version, BasisMove.from_version, BasisMove.households).where(
            BasisMove.month == month,
            BasisMove.to_version == sources_version(conn, BASIS_SOURCES, income_window(month)),
            BasisMove.others_version == sources_version(conn, OTHER_PROJECTION_SOURCES),
        )
    ).one_or_none()
    if move is None:
        return False
    old = new - (move.to_version - move.from_version)
    kept = [
        IncomeProjection.month == month,
        IncomeProjection.settings_key == identity["settings_key"],
    ]
    chosen = list(move.households)
    # Built before the writer begins, like the full store's rows (they read the basis).
    chunks = [
        (chunk, _keyed(identity, rows(chunk)))
        for chunk in (
            chosen[start : start + _HOUSEHOLD_CHUNK]
            for start in range(0, len(chosen), _HOUSEHOLD_CHUNK)
        )
    ]
    try:
        with conn.engine.begin() as writer:
            moved = writer.execute(
                update(IncomeProjection)
                .where(*kept, IncomeProjection.sources_version == old)
                .values(sources_version=new)
            )
            if not moved.rowcount:
                return False
            for chunk, keyed in chunks:
                writer.execute(
                    delete(IncomeProjection).where(
                        *kept,
                        IncomeProjection.sources_version == new,
                        IncomeProjection.household_id.in_(chunk),
                    )
                )
                writer.execute(
                    insert(IncomeProjection).from_select(
                        [*PROJECTION_KEY, *PROJECTION_COLUMNS], keyed
                    )
                )
    except LOST_RACE:
        return _projections_stored(conn, identity)  # another reader followed first
    return True


def _keyed(identity: dict, rows: Select) -> Select:
    computed = rows.subquery()
    return select(
        *(literal(value).label(name) for name, value in identity.items()),
        *(computed.c[name] for name in PROJECTION_COLUMNS),
    )


def income_projections(
    conn: Connection, *, month: date, fingerprint: str, rows: Callable[..., Select]
) -> Subquery:
    """Every household's projection for ``month``, from ``income_projections`` for the current
    versions of PROJECTION_SOURCES and the settings ``fingerprint``; when missing, brought up to
    date from the previous version for the households a write changed (``_follow_basis``), or
    else ``rows()`` (a SELECT of PROJECTION_COLUMNS for the whole county; ``rows(households)``
    for those only) is stored first, in SQL and in a transaction of its own. Columns:
    PROJECTION_COLUMNS; the reader filters its scope."""
    identity = {
        "sources_version": sources_version(conn, PROJECTION_SOURCES, income_window(month)),
        "settings_key": fingerprint,
        "month": month,
    }
    if not _projections_stored(conn, identity) and not _follow_basis(conn, identity, rows):
        # Built before the writer begins: rows() may store the month's basis first, in a
        # transaction of its own.
        keyed = _keyed(identity, rows())
        try:
            with conn.engine.begin() as writer:
                writer.execute(
                    delete(IncomeProjection).where(
                        IncomeProjection.month == month,
                        IncomeProjection.sources_version < identity["sources_version"],
                    )
                )
                writer.execute(
                    insert(IncomeProjection).from_select(
                        [*PROJECTION_KEY, *PROJECTION_COLUMNS], keyed
                    )
                )
        except LOST_RACE:
            pass  # another process stored the same projections first
        else:
            refresh_statistics(conn.engine, IncomeProjection.__tablename__)
    stored = IncomeProjection
    return (
        select(*(getattr(stored, name) for name in PROJECTION_COLUMNS))
        .where(*(getattr(stored, name) == value for name, value in identity.items()))
        .subquery("projections")
    )
