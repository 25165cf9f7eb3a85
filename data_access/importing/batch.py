"""An import from file to database: prepare (read and convert), dry run, commit, batch history.

- ``prepare`` refuses an unsafe or unreadable file as a whole (ImportRefusedError) and otherwise
  reads the chosen sheet and converts every cell; nothing touches the database.
- ``dry_run`` plans the import against the database as it is: counts of rows to insert, update,
  leave unchanged and reject, with the reasons.
- ``commit`` plans again inside one transaction that holds the import lock (so two imports at the
  same time run one after the other and neither loses rows), writes the accepted rows (or, with
  all-or-nothing and any rejected row, nothing), records the batch and an audit entry and bumps the
  data version, so every cached figure goes stale. Rejected rows never block valid ones unless
  all-or-nothing was asked for.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, literal, select, text, update

from config.settings import ImportSettings, Settings
from data_access.audit import AuditAction
from data_access.commands import change
from data_access.importing import workbook as wb
from data_access.importing.base import CHUNK, Action, ImportContext, Kind, Outcome, Plan, Record
from data_access.importing.cells import CellError, display, is_blank, normalise
from data_access.importing.cells import month as cells_month
from data_access.importing.forms import read_forms
from data_access.importing.mappings import SavedMapping, save_mapping
from data_access.models import ImportBatch, ImportStatus, Meta, MetaKey
from data_access.periods import month_start
from data_access.warming import warm_caches

# Any constant will do: the transaction-scoped PostgreSQL advisory lock every import holds.
IMPORT_LOCK_KEY = 7_301_020
REQUIRED_BLANK = "必填项为空"
REASON_COLUMN = "错误原因"
ROW_COLUMN = "行号"
SHEET_COLUMN = "工作表"


@dataclass(frozen=True)
class RowError:
    row: int
    # The column header as written in the sheet; None for a problem of the row as a whole.
    column: str | None
    value: str | None
    reason: str

    def message(self, sheet: str, row: int | None = None) -> str:
        where = f"工作表“{sheet}”第 {self.row if row is None else row} 行"
        if self.column is None:
            return f"{where}：{self.reason}"
        return f"{where}，列“{self.column}”，值“{self.value or ''}”：{self.reason}"

    def short(self) -> str:
        """The reason with its column, for the 错误原因 cell of the row itself."""
        if self.column is None:
            return self.reason
        return f"{self.column}“{self.value or ''}”：{self.reason}"


# Words of a header that holds money: a kind that imports money must not pass over such a column.
MONEY_WORDS = (
    "收入",
    "支出",
    "收益",
    "工资",
    "经营",
    "补贴",
    "补助",
    "金额",
    "元",
    "费",
    "分红",
    "租金",
    "养老金",
    "低保金",
    "救助",
    "报销",
    "转移性",
    "财产性",
    "工资性",
)


def looks_like_money(header: str) -> bool:
    """Whether a header reads as an amount of money (收入, 支出, 补贴, （元） …)."""
    folded = normalise(header)
    return any(word in folded for word in MONEY_WORDS)


@dataclass(frozen=True)
class Prepared:
    """A sheet read and converted, ready for a dry run or a commit."""

    kind: Kind
    file_name: str
    sha256: str
    sheet: str
    sheets: tuple[str, ...]
    header_rows: tuple[int, ...]
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    # Every column with a header, recognised, mapped, dropped or not.
    columns: tuple[wb.HeaderColumn, ...]
    skipped: int
    records: list[Record]
    cell_errors: dict[int, list[RowError]]
    # Raw cells of every data row (in ``fields`` order), for the rejected-rows workbook.
    raw: dict[int, tuple[Any, ...]]
    # The column mapping the header was read with (header key → field key, None = left out).
    mapping: dict[str, str | None] = field(default_factory=dict)
    # Where the mapping came from, for the notes ("" when none was used).
    mapping_note: str = ""
    # Whether the user named the header rows (else they were found).
    header_chosen: bool = False
    # The sheet's first rows (row number, text), for choosing another header row.
    preview: tuple[tuple[int, str], ...] = ()
    # A workbook of forms: each record's sheet and Excel row (records are numbered 1, 2, …);
    # None: one sheet, records keyed by their Excel row.
    locations: dict[int, tuple[str, int]] | None = None

    @property
    def title(self) -> str:
        """The text above the header (a title such as 2025年度省级考核评估反馈问题整改清单)."""
        if not self.header_rows:
            return ""
        return " ".join(text for number, text in self.preview if number < self.header_rows[0])

    def where(self, row: int) -> tuple[str, int]:
        """The sheet and Excel row of record ``row``."""
        if self.locations is None:
            return self.sheet, row
        return self.locations[row]

    @property
    def total_rows(self) -> int:
        return len(self.raw)

    @property
    def ignored_headers(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.columns if c.field is None)

    @property
    def unresolved(self) -> tuple[wb.HeaderColumn, ...]:
        """Columns that look like money but were neither recognised nor mapped nor explicitly
        left out, in a kind that imports money: nothing may be committed until each is mapped
        to a field or dropped (it could be an income under a name the importer does not know,
        and its amounts would silently be written as 0)."""
        if not any(f.money for f in self.kind.fields):
            return ()
        return tuple(c for c in self.columns if c.how == "none" and looks_like_money(c.text))

    def mapping_text(self) -> dict[str, str]:
        """The mapping in use by the headers as written: header → field title or 不导入."""
        titles = {f.key: f.title for f in self.kind.fields}
        return {
            c.text: titles.get(c.field, "") if c.field else "不导入"
            for c in self.columns
            if c.how in ("mapped", "dropped")
        }

    @property
    def header_set(self) -> tuple[str, ...]:
        """The header keys of every column: what a saved mapping is kept under."""
        return tuple(sorted({c.key for c in self.columns}))

    def header_of(self, field: str | None) -> str | None:
        if field is None or field not in self.fields:
            return None
        return self.headers[self.fields.index(field)]

    def value_of(self, row: int, field: str | None) -> str | None:
        if field is None or field not in self.fields:
            return None
        return display(self.raw[row][self.fields.index(field)])

    def notes(self) -> list[str]:
        """What was read, for the page and the command line."""
        how = "（按指定）" if self.header_chosen else "（自动识别）"
        skipped = f"（另跳过合计、说明、落款等行 {self.skipped} 行）" if self.skipped else ""
        if self.locations is not None:
            sheets = sorted({sheet for sheet, _ in self.locations.values()})
            lines = [
                f"按“每个工作表一份登记表”读取了 {len(sheets)} 个工作表，"
                f"共 {self.total_rows:,} 行{skipped}；表头区的户主、户编号等用于该表的每一行"
            ]
        else:
            lines = [
                f"工作表“{self.sheet}”，表头在第 {'、'.join(map(str, self.header_rows))} 行{how}，"
                f"数据 {self.total_rows:,} 行{skipped}"
            ]
        if self.mapping_note:
            lines.append(self.mapping_note)
        mapped = [c for c in self.columns if c.how == "mapped"]
        if mapped:
            titles = {f.key: f.title for f in self.kind.fields}
            lines.append(
                "按指定对应的列："
                + "、".join(f"{c.text} → {titles.get(c.field, c.field)}" for c in mapped)
            )
        dropped = [c.text for c in self.columns if c.how == "dropped"]
        if dropped:
            lines.append(f"指定不导入的列：{'、'.join(dropped)}")
        parts = [c.text for c in self.columns if c.how == "part"]
        if parts:
            lines.append(f"按合计导入、不单独导入的分项列：{'、'.join(parts)}")
        ignored = [c.text for c in self.columns if c.how == "none"]
        if ignored:
            lines.append(f"未识别、不导入的列：{'、'.join(ignored)}")
        if self.unresolved:
            lines.append(
                "像金额却未识别的列："
                + "、".join(c.text for c in self.unresolved)
                + "——确认导入前须指定每一列对应的字段，或明确设为不导入"
            )
        return lines


@dataclass(frozen=True)
class Counts:
    inserted: int
    updated: int
    unchanged: int
    rejected: int

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def sentence(self) -> str:
        return (
            f"新增 {self.inserted:,} 行，更新 {self.updated:,} 行，"
            f"不变 {self.unchanged:,} 行，拒绝 {self.rejected:,} 行"
        )


@dataclass(frozen=True)
class ImportReport:
    """The outcome of a dry run (or of the plan a commit wrote)."""

    prepared: Prepared
    outcomes: list[Outcome]
    errors: dict[int, list[RowError]]

    @property
    def counts(self) -> Counts:
        actions = Counter(outcome.action for outcome in self.outcomes)
        return Counts(
            actions[Action.INSERT], actions[Action.UPDATE], actions[Action.UNCHANGED],
            len(self.errors),
        )  # fmt: skip

    def error_messages(self, limit: int | None = None) -> list[str]:
        messages = [
            error.message(*self.prepared.where(row))
            for row in sorted(self.errors)
            for error in self.errors[row]
        ]
        return messages if limit is None else messages[:limit]

    def _located(self, row: int) -> dict[str, Any]:
        """行号 (and, for a workbook of forms, 工作表) of record ``row``."""
        sheet, number = self.prepared.where(row)
        if self.prepared.locations is None:
            return {ROW_COLUMN: number}
        return {SHEET_COLUMN: sheet, ROW_COLUMN: number}

    def _where_columns(self) -> list[str]:
        return [ROW_COLUMN] if self.prepared.locations is None else [SHEET_COLUMN, ROW_COLUMN]

    def error_table(self, limit: int | None = None) -> pd.DataFrame:
        rows = [
            {
                **self._located(row),
                "列": e.column or "（整行）",
                "值": e.value or "",
                "原因": e.reason,
            }
            for row in sorted(self.errors)
            for e in self.errors[row]
        ]
        frame = pd.DataFrame(rows, columns=[*self._where_columns(), "列", "值", "原因"])
        return frame if limit is None else frame.head(limit)

    def preview(self, limit: int | None = None) -> pd.DataFrame:
        """The accepted rows: Excel row, action, natural key and (for updates) what changes."""
        outcomes = sorted(self.outcomes, key=lambda o: o.row)
        if limit is not None:
            outcomes = outcomes[:limit]
        return pd.DataFrame(
            [
                {
                    **self._located(o.row),
                    "操作": o.action.value,
                    "标识": o.key,
                    "变更": "；".join(o.changes),
                }
                for o in outcomes
            ],
            columns=[*self._where_columns(), "操作", "标识", "变更"],
        )

    def rejected_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every rejected row as the user wrote it, with its reasons:
        {行号, <header>…, 错误原因}."""
        prepared = self.prepared
        rows = []
        for number in sorted(self.errors)[:limit]:
            cells = prepared.raw[number]
            rows.append(
                {
                    **self._located(number),
                    **{h: display(v) for h, v in zip(prepared.headers, cells, strict=True)},
                    REASON_COLUMN: "；".join(e.short() for e in self.errors[number]),
                }
            )
        return rows


@dataclass(frozen=True)
class CommitResult:
    batch_id: int
    status: ImportStatus
    report: ImportReport
    data_version: int | None


# --- prepare ---------------------------------------------------------------------------------


def header_spec(kind: Kind, mapping: dict[str, str | None] | None = None) -> wb.HeaderSpec:
    names: dict[str, str] = {}
    for column in kind.fields:
        for title in (column.title, *column.aliases):
            names.setdefault(wb.header_key(title), column.key)
    return wb.HeaderSpec(
        names=names,
        titles={column.key: column.title for column in kind.fields},
        required=frozenset(column.key for column in kind.fields if column.required),
        mapping=dict(mapping or {}),
        required_any=frozenset(kind.required_any),
        identities=tuple(frozenset(ids) for ids in kind.identities),
    )


def prepare(
    *,
    content: bytes,
    file_name: str,
    kind: Kind,
    limits: ImportSettings,
    sheet: str | None = None,
    header_rows: tuple[int, ...] | None = None,
    mapping: dict[str, str | None] | None = None,
    saved: Callable[[tuple[str, ...]], SavedMapping | None] | None = None,
) -> Prepared:
    """Check the file, read ``sheet`` (or the one sheet that fits) and convert every cell.

    ``header_rows`` names the header's rows (else it is found); ``mapping`` maps header keys to
    field keys (None: leave the column out, see data_access.importing.mappings); ``saved(header
    keys)`` looks up the mapping confirmed before for the file's headers, which ``mapping``
    overrides column by column.

    Raises ImportRefusedError for a file refused as a whole, SheetChoiceError when several
    sheets fit and none was named, HeaderChoiceError when the header could be in more than one
    place and none was named.
    """
    wb.check_file(file_name, content, limits)
    spec = header_spec(kind, mapping)
    used: list[SavedMapping] = []

    def remap(header_set: tuple[str, ...]) -> dict[str, str | None] | None:
        found = saved(header_set) if saved is not None else None
        if found is None:
            return None
        used.append(found)
        return found.mapping

    book = wb.open_workbook(content)
    forms = None
    try:
        sheets = wb.worksheet_names(book)
        if sheet is None and header_rows is None:
            forms = read_forms(
                book,
                spec,
                preprinted=frozenset(kind.preprinted),
                month_fields=frozenset(f.key for f in kind.fields if f.parse is cells_month),
                titles=dict(spec.titles),
                parsers={f.key: f.parse for f in kind.fields},
            )
        if forms is None:
            chosen = wb.choose_sheet(book, spec, sheet)
            raw_sheet = wb.read_sheet(book, chosen, spec, limits, header_rows, remap)
    except wb.ImportRefusedError:
        raise
    except Exception:  # a malformed sheet part: openpyxl raises what its parser raises
        wb.logger.info("openpyxl failed while reading a sheet", exc_info=True)
        raise wb.ImportRefusedError(
            "工作表无法读取，文件可能已损坏。请用 Excel 打开后重新保存为 .xlsx 再导入。"
        ) from None
    finally:
        book.close()
    if forms is not None:
        if len(forms.rows) > limits.max_rows:
            raise wb.ImportRefusedError(
                f"工作簿的数据超过 {limits.max_rows:,} 行上限，已拒绝导入。请拆分成几个文件。"
            )
        raw_sheet = wb.RawSheet(
            name=f"{len(forms.sheets)} 个工作表（每个工作表一份登记表）",
            header_rows=(),
            fields=forms.fields,
            headers=forms.headers,
            columns=forms.columns,
            rows=forms.rows,
            skipped=forms.skipped,
            mapping=forms.mapping,
        )
    fields = {column.key: column for column in kind.fields}
    records: list[Record] = []
    cell_errors: dict[int, list[RowError]] = {}
    raw: dict[int, tuple[Any, ...]] = {}
    for number, cells in raw_sheet.rows:
        raw[number] = cells
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        for key, header, cell in zip(raw_sheet.fields, raw_sheet.headers, cells, strict=True):
            column = fields[key]
            if is_blank(cell):
                values[key] = None
                if column.required:
                    errors.append(RowError(number, header, "", REQUIRED_BLANK))
                continue
            try:
                values[key] = column.parse(cell)
            except CellError as error:
                errors.append(RowError(number, header, display(cell), str(error)))
        if errors:
            cell_errors[number] = errors
        else:
            records.append(Record(number, values))
    return Prepared(
        kind=kind,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        sheet=raw_sheet.name,
        sheets=sheets,
        header_rows=raw_sheet.header_rows,
        fields=raw_sheet.fields,
        headers=raw_sheet.headers,
        columns=raw_sheet.columns,
        skipped=raw_sheet.skipped,
        records=records,
        cell_errors=cell_errors,
        raw=raw,
        mapping=dict(raw_sheet.mapping),
        mapping_note=used[0].note() if used else "",
        header_chosen=bool(header_rows),
        preview=raw_sheet.preview,
        locations=forms.locations if forms is not None else None,
    )


# --- dry run and commit ----------------------------------------------------------------------


def _plan(conn: Connection, prepared: Prepared, ctx: ImportContext) -> tuple[Plan, ImportReport]:
    if prepared.title and not ctx.title:
        ctx = replace(ctx, title=prepared.title)
    plan = prepared.kind.plan(conn, prepared.records, ctx)
    errors = {row: list(found) for row, found in prepared.cell_errors.items()}
    for row, problems in plan.rejections.items():
        errors.setdefault(row, []).extend(
            RowError(row, prepared.header_of(key), prepared.value_of(row, key), reason)
            for key, reason in problems
        )
    return plan, ImportReport(prepared, plan.outcomes, errors)


def dry_run(*, conn: Connection, prepared: Prepared, ctx: ImportContext) -> ImportReport:
    """What a commit would do now; writes nothing."""
    return _plan(conn, prepared, ctx)[1]


def lock_imports(conn: Connection) -> None:
    """Hold the import lock until the transaction ends: imports run one at a time.

    PostgreSQL: a transaction-level advisory lock. SQLite: a first statement that writes, which
    takes the database's single write lock (waiting up to the busy timeout for another writer)
    before anything is read, so the plan sees every earlier import's rows.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    else:
        meta = Meta.__table__
        conn.execute(
            update(meta).where(meta.c.key == MetaKey.DATA_VERSION.value).values(value=meta.c.value)
        )


def commit(
    *,
    engine: Engine,
    prepared: Prepared,
    ctx: ImportContext,
    all_or_nothing: bool,
    max_rejected_stored: int,
) -> CommitResult:
    """Plan again and write, all in one transaction; record the batch and an audit entry.

    With ``all_or_nothing`` and any rejected row nothing is written and the batch is recorded as
    未导入. Returns the batch id, the report of what was written and the new data version (None
    when nothing changed).
    """
    if prepared.unresolved:
        raise wb.ImportRefusedError(unresolved_message(prepared))
    with change(engine, by=ctx.username, at=ctx.now) as writing:
        conn = writing.conn
        lock_imports(conn)
        plan, report = _plan(conn, prepared, ctx)
        counts = report.counts
        refused = all_or_nothing and counts.rejected > 0
        if not refused:
            written = _rows_written(conn, prepared.kind, plan)
            for write in plan.writes:
                write.apply(conn)
            for step in plan.after:
                step(conn)
        status = ImportStatus.REFUSED if refused else ImportStatus.COMMITTED
        stored = report.rejected_rows(max_rejected_stored)
        batch_id = conn.execute(
            insert(ImportBatch)
            .values(
                imported_at=ctx.now,
                username=ctx.username[:40],
                file_name=prepared.file_name[:255],
                sha256=prepared.sha256,
                kind=prepared.kind.label,
                inserted=0 if refused else counts.inserted,
                updated=0 if refused else counts.updated,
                unchanged=counts.unchanged,
                rejected=counts.rejected,
                rejected_rows=stored or None,
                status=status.value,
                sheet=prepared.sheet[:100],
                total_rows=prepared.total_rows,
                all_or_nothing=all_or_nothing,
            )
            .returning(ImportBatch.id)
        ).scalar_one()
        writing.audit(
            AuditAction.IMPORT,
            target=f"{prepared.kind.label}：{prepared.file_name}",
            rows=0 if refused else counts.changed,
            detail={
                "批次": batch_id,
                "状态": status.value,
                "工作表": prepared.sheet,
                "SHA-256": prepared.sha256,
                "新增": 0 if refused else counts.inserted,
                "更新": 0 if refused else counts.updated,
                "不变": counts.unchanged,
                "拒绝": counts.rejected,
                "全有或全无": all_or_nothing,
                **({"列对应": prepared.mapping_text()} if prepared.mapping else {}),
            },
        )
        if not refused and prepared.mapping:
            save_mapping(
                conn=conn,
                kind=prepared.kind,
                header_set=prepared.header_set,
                mapping=prepared.mapping,
                saved_by=ctx.username,
                at=ctx.now,
            )
        if not refused and counts.changed:
            writing.touch(
                *prepared.kind.sources,
                months=None if written is None else written.months,
                households=None if written is None else written.households,
            )
    return CommitResult(batch_id, status, report, writing.version)


@dataclass(frozen=True)
class Written:
    """The months a plan of a month-based kind writes, and the households of its rows (None for
    rows that belong to no household: a village's meetings)."""

    months: frozenset[date]
    households: frozenset[int] | None


def _rows_written(conn: Connection, kind: Kind, plan: Plan) -> Written | None:
    """The months a plan of a month-based kind writes (the months of its new rows, and of the
    rows it updates, before and after) and the households those rows belong to, read before it
    is applied; None when not known: the kind is not month-based, or it writes in a way this
    cannot see (then every month counts)."""
    if kind.month_column is None or plan.after:
        return None
    table_name, column = kind.month_column
    months: set[date] = set()
    households: set[int] = set()
    by_household = True
    for write in plan.writes:
        if write.table.name != table_name or write.identity != ("id",):
            return None
        table = write.table
        by_household = by_household and "household_id" in table.c
        months.update(_month_of(row[column]) for row in write.inserts)
        months.update(_month_of(row[column]) for row in write.updates if column in row)
        if by_household:
            households.update(int(row["household_id"]) for row in write.inserts)
            households.update(
                int(row["household_id"]) for row in write.updates if "household_id" in row
            )
        ids = [row["id"] for row in write.updates]
        owner = table.c.household_id if by_household else literal(None)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for value, household_id in conn.execute(
                select(table.c[column], owner).where(table.c.id.in_(chunk))
            ):
                months.add(_month_of(value))
                if by_household:
                    households.add(int(household_id))
    return Written(frozenset(months), frozenset(households) if by_household else None)


def _month_of(value: date | datetime | str) -> date:
    if isinstance(value, str):  # SQLite hands a date column back as text through Core
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return month_start(value)


def unresolved_message(prepared: Prepared) -> str:
    """Why a file with money-like columns nobody mapped may not be committed, and what to do."""
    listed = "、".join(f"“{c.text}”（{c.letter} 列）" for c in prepared.unresolved)
    return (
        f"{listed}看起来是金额，但不是“{prepared.kind.label}”能识别的列，没有写入。"
        "为免收入或支出被当作 0 写入，请为每一列指定对应的字段，或明确设为不导入"
        "（页面上在“列的对应”中选择；命令行用 --map “表头=字段” 或 --drop “表头”）。"
    )


def refresh_caches(engine: Engine, *, settings: Settings) -> str:
    """After a commit that changed data: precompute the summaries the first page views need
    (ranking and income snapshots of the new data version), as a seed does. Returns a report line.
    """
    return warm_caches(
        engine, settings=settings, last_month=month_start(settings.clock.reporting_date())
    )


def record_refusal(
    *, engine: Engine, username: str, file_name: str, content: bytes, reason: str, now: datetime
) -> None:
    """Audit a file refused as a whole (nothing else is written)."""
    with change(engine, by=username, at=now) as write:
        write.audit(
            AuditAction.IMPORT,
            target=f"拒绝导入：{file_name}"[:200],
            rows=0,
            detail={"SHA-256": hashlib.sha256(content).hexdigest(), "原因": reason[:500]},
        )


# --- history ---------------------------------------------------------------------------------

BATCH_COLUMNS = {
    "id": "批次",
    "imported_at": "导入时间",
    "username": "用户",
    "kind": "台账类别",
    "file_name": "文件名",
    "sheet": "工作表",
    "status": "状态",
    "total_rows": "数据行",
    "inserted": "新增",
    "updated": "更新",
    "unchanged": "不变",
    "rejected": "拒绝",
    "all_or_nothing": "全有或全无",
    "sha256": "SHA-256",
}


def import_batches(*, conn: Connection, limit: int = 100) -> pd.DataFrame:
    """The latest batches, newest first. Columns: BATCH_COLUMNS' keys."""
    table = ImportBatch.__table__
    query = (
        select(*(table.c[c] for c in BATCH_COLUMNS))
        .order_by(table.c.imported_at.desc(), table.c.id.desc())
        .limit(limit)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=list(BATCH_COLUMNS))


def batch_rejections(*, conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """The rejected rows stored with a batch ({行号, <header>…, 错误原因}); [] if none."""
    stored = conn.execute(
        select(ImportBatch.rejected_rows).where(ImportBatch.id == batch_id)
    ).scalar_one_or_none()
    return list(stored or [])
