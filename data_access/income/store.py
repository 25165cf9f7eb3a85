"""Per-household income tables kept current with what they read: the sums a projection starts
from (the basis: the registers), and the projections themselves (households, registers and
annual incomes).

Every income figure needs, for each household, the months registered and the net income from
January to the selected month, and last year's net income for the same months: a pass over two
years of registers. ``income_basis`` answers from ``income_snapshots``, counting a month with
one INSERT … SELECT the first time it is asked for; the seed and every import warm the current
months with ``warm_income``. The projection itself stays in SQL over these sums
(data_access.income.projection), so the projection settings are not part of the basis.

Last year's figure of a household without an annual row (income_years) is the sum of its twelve
registered months: ``registered_year`` reads those households' registers only, inside the
projection query, so it is stored with the projections rather than in the basis.

``income_projections`` keeps that projection per household (keyed by the income settings too):
every income figure counts it, and the household list pages through it with an index instead of
projecting the whole county for each page.

The rows carry no version. One stamp per month (``income_stamps``: kind, settings key, month)
says which version of their sources they are current for (data_access.versions); a reader
that finds the stamp behind counts the month again, or, after a write of a few households'
registers, those households only. A write of registers brings the stored basis up to date in
its own transaction (``refresh_basis``, called by data_access.commands); the projections follow
on the next read (``_follow_basis``). A database cache shared by every app process; a 销号, a
draw or a visit import leaves both tables as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Subquery,
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
    IncomeStamp,
    IncomeYear,
)
from data_access.periods import month_start, same_month_last_year, year_start
from data_access.versions import INCOME_SOURCES, income_window, sources_version

# What the basis reads, and what the projections read (the basis and the others).
BASIS_SOURCES = frozenset({DataSource.REGISTERS})
PROJECTION_SOURCES = INCOME_SOURCES
OTHER_PROJECTION_SOURCES = PROJECTION_SOURCES - BASIS_SOURCES

# Registered income by source, January to the month (income.structure sums them per village).
SOURCE_COLUMNS = ("wage", "business", "property", "transfer", "production_cost")
BASIS_COLUMNS = ("household_id", "months", "ytd_net", "same_months_net", *SOURCE_COLUMNS)
MONTHS_IN_A_YEAR = 12
PROJECTION_KEY = ("settings_key", "month")
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
    same_months_net (January to the same month last year; NULL when none), and this year's
    SOURCE_COLUMNS (NULL when none). Households with no register in either period have no row.
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
            *(
                func.sum(case((this_year, getattr(register, name)))).label(name)
                for name in SOURCE_COLUMNS
            ),
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


BASIS, PROJECTIONS = "basis", "projections"
# How often a store lost to a concurrent one is tried again before the month is read live.
_ATTEMPTS = 3


def stored_version(conn: Connection, kind: str, month: date, key: str = "") -> int | None:
    """The sources version the stored rows of ``kind`` (BASIS, or PROJECTIONS with their
    settings ``key``) for ``month`` are current for; None when none are stored."""
    stamp = IncomeStamp
    return conn.execute(
        select(stamp.sources_version).where(
            stamp.kind == kind, stamp.settings_key == key, stamp.month == month
        )
    ).scalar_one_or_none()


def _is_current(conn: Connection, kind: str, month: date, version: int, key: str = "") -> bool:
    """Whether the stored rows of ``kind`` for ``month`` are current for ``version`` (or newer)."""
    stamp = stored_version(conn, kind, month, key)
    return stamp is not None and stamp >= version


def _claim(writer: Connection, kind: str, month: date, key: str, version: int) -> bool:
    """Inside a store's transaction, before its rows: stamp the month ``version`` (locking the
    stamp on PostgreSQL until the store commits). False when rows as new or newer are stored
    already (by a concurrent reader): then there is nothing to store."""
    stamp = IncomeStamp
    mine = [stamp.kind == kind, stamp.settings_key == key, stamp.month == month]
    raised = writer.execute(
        update(stamp).where(*mine, stamp.sources_version < version).values(sources_version=version)
    )
    if raised.rowcount:
        return True
    if writer.execute(select(exists().where(*mine))).scalar():
        return False
    writer.execute(
        insert(stamp).values(kind=kind, settings_key=key, month=month, sources_version=version)
    )
    return True


def _has_registers(conn: Connection, month: date) -> bool:
    """Whether any register falls in the months the basis reads (an empty basis is not stored)."""
    last_start, _ = _last_year_months(month)
    found = exists().where(IncomeRegister.month.between(last_start, month))
    return bool(conn.execute(select(found)).scalar())


def _insert_basis(month: date, *, households: Iterable[int] | None = None):
    """INSERT … SELECT of the live basis of ``month`` (of ``households``)."""
    basis = live_basis(month, households=households)
    rows = select(literal(month), *(basis.c[name] for name in BASIS_COLUMNS))
    return insert(IncomeSnapshot).from_select(["month", *BASIS_COLUMNS], rows)


def _store(engine: Engine, version: int, month: date) -> bool:
    """Count the basis of ``month`` for ``version`` in a transaction of its own, entirely in SQL.
    True when rows current for ``version`` (or newer) are stored afterwards."""
    for _ in range(_ATTEMPTS):
        try:
            with engine.begin() as writer:
                if not _claim(writer, BASIS, month, "", version):
                    return True
                writer.execute(delete(IncomeSnapshot).where(IncomeSnapshot.month == month))
                writer.execute(_insert_basis(month))
        except LOST_RACE:
            continue  # a concurrent store: look at the stamp again
        refresh_statistics(engine, IncomeSnapshot.__tablename__)
        return True
    with engine.connect() as conn:
        return _is_current(conn, BASIS, month, version)


def income_basis(conn: Connection, month: date) -> Subquery:
    """The basis of ``month`` for the current registers version, read from the stored rows
    (counted first when they are not current). Same columns as live_basis."""
    version = sources_version(conn, BASIS_SOURCES, income_window(month))
    stored = _is_current(conn, BASIS, month, version)
    if not stored and not (_has_registers(conn, month) and _store(conn.engine, version, month)):
        return live_basis(month)
    snapshot = IncomeSnapshot
    return (
        select(*(getattr(snapshot, name) for name in BASIS_COLUMNS))
        .where(snapshot.month == month)
        .subquery("basis")
    )


def refresh_basis(conn: Connection, *, months: Iterable[date], households: Iterable[int]) -> int:
    """Inside a write of the registers of ``households`` in ``months`` whose versions have just
    been raised: every stored basis whose window holds one of those months is stamped with its
    new version, with the rows of those households counted again from the registers; the other
    households' sums cannot have changed. Returns how many months were brought up to date.

    Only a basis current for the version just before this write is brought up to date (its
    stamp is the new version less this write's raises): when another write came in between, or
    none was stored, the month is counted in full when next read.
    """
    touched, chosen = sorted({month_start(month) for month in months}), sorted(set(households))
    if not touched or not chosen:
        return 0
    stamp = IncomeStamp
    stored = conn.execute(
        select(stamp.month).where(stamp.kind == BASIS, stamp.month >= touched[0])
    ).scalars()
    moved = 0
    for month in sorted(stored):
        window = income_window(month)
        raised = sum(window[0] <= written <= window[1] for written in touched)
        if not raised:
            continue
        new = sources_version(conn, BASIS_SOURCES, window)
        updated = conn.execute(
            update(stamp)
            .where(
                stamp.kind == BASIS,
                stamp.settings_key == "",
                stamp.month == month,
                stamp.sources_version == new - raised,
            )
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
        for chunk in _chunks(chosen):
            conn.execute(
                delete(IncomeSnapshot).where(
                    IncomeSnapshot.month == month, IncomeSnapshot.household_id.in_(chunk)
                )
            )
            conn.execute(_insert_basis(month, households=chunk))
        moved += 1
    return moved


# Households per IN list when counting some households' basis again.
_HOUSEHOLD_CHUNK = 5_000


def _chunks(households: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(households), _HOUSEHOLD_CHUNK):
        yield households[start : start + _HOUSEHOLD_CHUNK]


def warm_income(engine: Engine, months: Iterable[date]) -> int:
    """Store the snapshots of ``months`` that are missing; returns how many were computed."""
    computed = 0
    with engine.connect() as conn:
        for month in months:
            version = sources_version(conn, BASIS_SOURCES, income_window(month))
            if not _is_current(conn, BASIS, month, version) and _has_registers(conn, month):
                _store(engine, version, month)
                computed += 1
    return computed


def _follow_basis(
    conn: Connection, month: date, key: str, version: int, rows: Callable[..., Select]
) -> bool:
    """Bring the month's stored projections up to date the way its basis was, when the basis
    moved by one write and nothing else the projections read changed since: the written
    households are projected again and the stamp moves to ``version``. In a transaction of its
    own; False when there is nothing to follow (then the caller projects every household)."""
    move = conn.execute(
        select(BasisMove.to_version, BasisMove.from_version, BasisMove.households).where(
            BasisMove.month == month,
            BasisMove.to_version == sources_version(conn, BASIS_SOURCES, income_window(month)),
            BasisMove.others_version == sources_version(conn, OTHER_PROJECTION_SOURCES),
        )
    ).one_or_none()
    if move is None:
        return False
    old = version - (move.to_version - move.from_version)
    stamp = IncomeStamp
    # Built before the writer begins, like the full store's rows (they read the basis).
    chunks = [(chunk, _keyed(key, month, rows(chunk))) for chunk in _chunks(list(move.households))]
    try:
        with conn.engine.begin() as writer:
            followed = writer.execute(
                update(stamp)
                .where(
                    stamp.kind == PROJECTIONS,
                    stamp.settings_key == key,
                    stamp.month == month,
                    stamp.sources_version == old,
                )
                .values(sources_version=version)
            )
            if not followed.rowcount:
                return _is_current(writer, PROJECTIONS, month, version, key)
            for chunk, keyed in chunks:
                writer.execute(
                    delete(IncomeProjection).where(
                        IncomeProjection.settings_key == key,
                        IncomeProjection.month == month,
                        IncomeProjection.household_id.in_(chunk),
                    )
                )
                writer.execute(insert(IncomeProjection).from_select(_INSERTED, keyed))
    except LOST_RACE:
        return _is_current(conn, PROJECTIONS, month, version, key)
    return True


_INSERTED = ["settings_key", "month", *PROJECTION_COLUMNS]


def _keyed(key: str, month: date, rows: Select) -> Select:
    computed = rows.subquery()
    return select(
        literal(key).label("settings_key"),
        literal(month).label("month"),
        *(computed.c[name] for name in PROJECTION_COLUMNS),
    )


def _store_projections(
    conn: Connection, month: date, key: str, version: int, rows: Callable[..., Select]
) -> bool:
    """Project every household of ``month`` in a transaction of its own; the projections of
    other settings older than ``version`` go. True when projections current for ``version`` (or
    newer) are stored afterwards."""
    # Built before the writer begins: rows() may store the month's basis first, in a
    # transaction of its own.
    keyed = _keyed(key, month, rows())
    stamp = IncomeStamp
    for _ in range(_ATTEMPTS):
        try:
            with conn.engine.begin() as writer:
                if not _claim(writer, PROJECTIONS, month, key, version):
                    return True
                stale = (
                    writer.execute(
                        select(stamp.settings_key).where(
                            stamp.kind == PROJECTIONS,
                            stamp.month == month,
                            stamp.settings_key != key,
                            stamp.sources_version < version,
                        )
                    )
                    .scalars()
                    .all()
                )
                writer.execute(
                    delete(IncomeProjection).where(
                        IncomeProjection.month == month,
                        IncomeProjection.settings_key.in_([key, *stale]),
                    )
                )
                writer.execute(
                    delete(stamp).where(
                        stamp.kind == PROJECTIONS,
                        stamp.month == month,
                        stamp.settings_key.in_(stale),
                    )
                )
                writer.execute(insert(IncomeProjection).from_select(_INSERTED, keyed))
        except LOST_RACE:
            continue  # a concurrent store: look at the stamp again
        refresh_statistics(conn.engine, IncomeProjection.__tablename__)
        return True
    return _is_current(conn, PROJECTIONS, month, version, key)


def income_projections(
    conn: Connection, *, month: date, fingerprint: str, rows: Callable[..., Select]
) -> Subquery:
    """Every household's projection for ``month``, from ``income_projections`` current for the
    versions of PROJECTION_SOURCES and the settings ``fingerprint``; when not current, brought
    up to date for the households a write changed (``_follow_basis``), or else ``rows()`` (a
    SELECT of PROJECTION_COLUMNS for the whole county; ``rows(households)`` for those only) is
    stored first, in SQL and in a transaction of its own. Read live from ``rows()`` when a store
    keeps losing to concurrent ones. Columns: PROJECTION_COLUMNS; the reader filters its scope."""
    version = sources_version(conn, PROJECTION_SOURCES, income_window(month))
    if not (
        _is_current(conn, PROJECTIONS, month, version, fingerprint)
        or _follow_basis(conn, month, fingerprint, version, rows)
        or _store_projections(conn, month, fingerprint, version, rows)
    ):
        return rows().subquery("projections")
    stored = IncomeProjection
    return (
        select(*(getattr(stored, name) for name in PROJECTION_COLUMNS))
        .where(stored.settings_key == fingerprint, stored.month == month)
        .subquery("projections")
    )
