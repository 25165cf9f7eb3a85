"""数据导入: choose a kind, download its template, upload, read the dry run, commit; the history.

The uploaded file is read and converted once per (file, kind, sheet, header rows, column mapping)
and the dry run once per data version, both kept in the session, so ticking a checkbox does not
re-read 50,000 rows. The page shows which rows it took for the header and what each column was
taken for, and lets the clerk pick other header rows and map columns the importer does not know
(a mapping confirmed by a commit is reused for the next file with the same headers). Every
failure ends in a Chinese message on the page: a refused file, a sheet or header row to choose,
a row error, a commit that failed (its transaction rolled back, nothing written).
"""

from __future__ import annotations

import hashlib
import logging

import streamlit as st

from dashboard import escaping
from dashboard.auth import audited_export, read_now
from dashboard.components.layout import choose, row_height, show_table
from dashboard.context import ViewContext
from dashboard.data import engine_for
from dashboard.exports.imports import rejected_workbook
from data_access.importing import (
    BATCH_COLUMNS,
    KINDS,
    HeaderColumn,
    HeaderProblemError,
    ImportContext,
    ImportRefusedError,
    ImportReport,
    Kind,
    Prepared,
    SheetChoiceError,
    batch_rejections,
    commit,
    dry_run,
    import_batches,
    prepare,
    record_refusal,
    saved_mapping,
    template_workbook,
)
from data_access.importing.batch import unresolved_message
from data_access.models import ImportStatus

logger = logging.getLogger("dashboard.imports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PREPARED_KEY = "_import_prepared"
_REPORT_KEY = "_import_report"
_FILE_KEY = "_import_file_sha"
_FLASH_KEY = "_import_flash"
_REFUSED_KEY = "_import_refusals_audited"
SHEET_KEY = "import-sheet"
HEADER_ROWS_KEY = "import-header-rows"
_MAPPING_KEY = "_import_mapping"
_MAP_FIELD_KEY = "import-map-{}"
# The mapping form's two choices besides a field.
AS_READ = "__as_read__"
LEAVE_OUT = "__leave_out__"


def show_flash() -> None:
    """The outcome of the commit made on the run before (it triggered a rerun)."""
    flash = st.session_state.pop(_FLASH_KEY, None)
    if flash is None:
        return
    kind, message = flash
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    else:
        st.warning(message, icon=":material/block:")


def _context(view: ViewContext, file_name: str) -> ImportContext:
    """Who imports and what they may write: the whole county, or a township user's own."""
    scope = None
    if view.access.township_bound:
        with engine_for(view.database_url).connect() as conn:
            scope = view.access.scope(conn)
    return ImportContext(
        now=view.clock.now(),
        username=view.access.username,
        scope=scope,
        file_name=file_name,
        county=view.settings.county.name,
    )


def _prepared(
    view: ViewContext,
    content: bytes,
    name: str,
    kind: Kind,
    sheet: str | None,
    header_rows: tuple[int, ...] | None,
    mapping: dict[str, str | None],
):
    """prepare(), kept in the session for the latest file, kind, sheet, header and mapping
    (and the data version: a commit may have confirmed a mapping for these headers)."""
    key = (
        hashlib.sha256(content).hexdigest(),
        name,
        kind.key,
        sheet,
        header_rows,
        tuple(sorted(mapping.items(), key=repr)),
        view.data_version,
    )
    cached = st.session_state.get(_PREPARED_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    with st.spinner("正在读取工作簿…"), engine_for(view.database_url).connect() as conn:
        prepared = prepare(
            content=content,
            file_name=name,
            kind=kind,
            limits=view.settings.imports,
            sheet=sheet,
            header_rows=header_rows,
            mapping=mapping,
            saved=lambda headers: saved_mapping(conn=conn, kind=kind, header_set=headers),
        )
    st.session_state[_PREPARED_KEY] = (key, prepared)
    return prepared


def _report(view: ViewContext, prepared: Prepared, ctx: ImportContext) -> ImportReport:
    """dry_run(), kept in the session until the data version changes."""
    key = (id(prepared), view.data_version)
    cached = st.session_state.get(_REPORT_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    with (
        st.spinner("正在试导入（核对每一行，不写入）…"),
        engine_for(view.database_url).connect() as conn,
    ):
        report = dry_run(conn=conn, prepared=prepared, ctx=ctx)
    st.session_state[_REPORT_KEY] = (key, report)
    return report


def _audit_refusal(view: ViewContext, name: str, content: bytes, reason: str) -> None:
    """A refused file goes into the audit log once per session."""
    seen = st.session_state.setdefault(_REFUSED_KEY, set())
    digest = hashlib.sha256(content).hexdigest()
    if digest in seen:
        return
    seen.add(digest)
    record_refusal(
        engine=engine_for(view.database_url),
        username=view.access.username,
        file_name=name,
        content=content,
        reason=reason,
        now=view.clock.now(),
    )


def render_import(view: ViewContext) -> None:
    """Kind → template → upload → sheet → dry run → rejected rows → commit."""
    limits = view.settings.imports
    kind_column, template = st.columns([2, 1], vertical_alignment="bottom")
    kind_key = choose(
        "台账类别",
        list(KINDS),
        format_func=lambda key: KINDS[key].label,
        key="import-kind",
        where=kind_column,
    )
    kind = KINDS[kind_key]
    template.download_button(
        f"下载“{kind.label}”导入模板",
        data=lambda: template_workbook(kind, county=view.settings.county.name),
        file_name=f"{kind.label}导入模板.xlsx",
        mime=XLSX,
        icon=":material/download:",
        key="import-template",
        width="stretch",
    )
    st.caption(
        f"{kind.summary}。唯一标识：{kind.natural_key}（再次导入同一文件不会重复新增）。"
        f"表头文字是导入约定，见模板的“填写规则”页。"
    )
    upload = st.file_uploader(
        "上传填好的工作簿",
        # .xls is let through so that it is refused with a Chinese explanation.
        type=["xlsx", "xlsm", "xls"],
        key="import-file",
        # The browser refuses a larger file before sending it; the server checks again.
        max_upload_size=limits.max_file_mb,
        help=f".xlsx 或 .xlsm，不超过 {limits.max_file_mb} MB、{limits.max_rows:,} 行。",
    )
    if upload is None:
        st.info("先下载模板并按表头填写，再上传；上传后会先试导入，核对无误再确认写入。")
        return
    content = upload.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    if st.session_state.get(_FILE_KEY) != (digest, kind.key):
        # A new file (or kind): the sheet, header rows and mapping chosen before mean nothing.
        st.session_state[_FILE_KEY] = (digest, kind.key)
        _forget_choices()
    sheet = st.session_state.get(SHEET_KEY)
    header_rows = st.session_state.get(HEADER_ROWS_KEY)
    mapping = st.session_state.get(_MAPPING_KEY, {})
    # The messages quote sheet names, header cells and the file's name: shown as text.
    try:
        prepared = _prepared(view, content, upload.name, kind, sheet, header_rows, mapping)
    except SheetChoiceError as error:
        st.info(escaping.markdown(error), icon=":material/tab:")
        _sheet_picker(error.sheets)
        return
    except HeaderProblemError as error:
        # The file can still be read: the clerk picks the header rows or maps the columns.
        st.error(f"**无法按此表头导入**：{escaping.markdown(error)}", icon=":material/table_rows:")
        _header_picker(error.preview, error.header_rows)
        if error.columns:
            _mapping_form(kind, error.columns, expanded=True)
        return
    except ImportRefusedError as error:
        st.error(f"**拒绝导入**：{escaping.markdown(error)}", icon=":material/block:")
        _audit_refusal(view, upload.name, content, str(error))
        return
    except Exception:  # a file no check foresaw must not take the page down
        logger.exception("reading an uploaded workbook failed")
        st.error(
            "**无法处理该文件**：读取时出现意外错误，数据库未改动。"
            "请用 Excel 重新保存为 .xlsx 后再试，或把文件交给系统管理员。",
            icon=":material/error:",
        )
        return
    if len(prepared.sheets) > 1:
        _sheet_picker(prepared.sheets)
    _header_picker(prepared.preview, prepared.header_rows)
    if prepared.unresolved:
        st.warning(
            f"**暂不能确认导入**：{escaping.markdown(unresolved_message(prepared))}",
            icon=":material/payments:",
        )
    _mapping_form(kind, prepared.columns, expanded=bool(prepared.unresolved))
    ctx = _context(view, upload.name)
    try:
        report = _report(view, prepared, ctx)
    except Exception:
        logger.exception("dry run failed")
        st.error("**试导入失败**：出现意外错误，数据库未改动。", icon=":material/error:")
        return
    _render_report(view, prepared, report)
    _render_commit(view, prepared, report, ctx)


def _forget_choices() -> None:
    for key in [SHEET_KEY, HEADER_ROWS_KEY, _MAPPING_KEY]:
        st.session_state.pop(key, None)
    for key in [k for k in st.session_state if str(k).startswith(_MAP_FIELD_KEY.format(""))]:
        del st.session_state[key]


def _header_picker(preview: tuple[tuple[int, str], ...], chosen: tuple[int, ...]) -> None:
    """Pick the header's rows among the sheet's first rows (one row, or two for a group title
    over sub-headers); "自动识别" lets the importer find it."""
    options: list[tuple[int, ...] | None] = [None]
    texts = dict(preview)
    for number, _ in preview:
        options.append((number,))
        if number + 1 in texts:
            options.append((number, number + 1))

    def label(rows: tuple[int, ...] | None) -> str:
        if rows is None:
            return "自动识别"
        if len(rows) == 2:
            return f"第 {rows[0]}、{rows[1]} 行（两行表头）：{texts[rows[1]]}"
        return f"第 {rows[0]} 行：{texts[rows[0]]}"

    with st.expander(
        f"表头所在行：第 {'、'.join(map(str, chosen))} 行" if chosen else "表头所在行"
    ):
        choose(
            "表头所在行",
            options,
            format_func=label,
            key=HEADER_ROWS_KEY,
            help="表头识别错了，或有两处像表头时，在这里指定；下面列出了工作表的前几行。",
        )


def _mapping_form(kind: Kind, columns: tuple[HeaderColumn, ...], *, expanded: bool) -> None:
    """The file's header beside the kind's fields: each column is imported as the field it was
    recognised as, as another field the clerk chooses, or not at all. Applying re-reads the
    file; a commit keeps the mapping for the next file with the same headers."""
    titles = {field.key: field.title for field in kind.fields}
    options = [AS_READ, LEAVE_OUT, *titles]
    imported = sum(1 for c in columns if c.field is not None)

    def label(choice: str) -> str:
        return {AS_READ: "（未对应，不导入）", LEAVE_OUT: "不导入"}.get(choice) or titles[choice]

    with (
        st.expander(
            f"列的对应：{imported} 列导入，{len(columns) - imported} 列不导入",
            expanded=expanded,
        ),
        st.form("import-mapping", border=False),
    ):
        st.caption(
            f"左边是文件中的表头，右边是“{kind.label}”的字段。列名与模板不同时在这里指定；"
            "确认导入后，相同表头的文件会沿用这次的对应。"
        )
        grid = st.columns(3)
        for position, column in enumerate(columns):
            current = (
                column.field if column.field else LEAVE_OUT if column.how == "dropped" else AS_READ
            )
            choose(
                f"{column.letter} 列“{escaping.markdown(column.text)}”",
                options,
                index=options.index(current),
                format_func=label,
                key=_MAP_FIELD_KEY.format(column.index),
                where=grid[position % 3],
            )
        applied = st.form_submit_button("按此对应重新试导入", icon=":material/sync:")
    if applied:
        mapping: dict[str, str | None] = {}
        for column in columns:
            choice = st.session_state[_MAP_FIELD_KEY.format(column.index)]
            if choice == LEAVE_OUT:
                mapping[column.key] = None
            elif choice != AS_READ and (choice != column.auto or column.how == "dropped"):
                mapping[column.key] = choice
        st.session_state[_MAPPING_KEY] = mapping
        st.rerun()


def _sheet_picker(sheets: tuple[str, ...]) -> None:
    choose(
        "工作表",
        list(sheets),
        index=None,
        placeholder="请选择工作表（未选时自动识别）",
        key=SHEET_KEY,
    )


def _render_report(view: ViewContext, prepared: Prepared, report: ImportReport) -> None:
    limit = view.settings.imports.preview_rows
    counts = report.counts
    st.caption(" · ".join(escaping.markdown(note) for note in prepared.notes()))
    st.markdown("**试导入结果**（尚未写入）")
    for column, (label, value) in zip(
        st.columns(4),
        (
            ("新增", counts.inserted),
            ("更新", counts.updated),
            ("不变", counts.unchanged),
            ("拒绝", counts.rejected),
        ),
        strict=True,
    ):
        column.metric(label, f"{value:,}", border=True)
    if counts.rejected:
        st.warning(
            f"{counts.rejected:,} 行被拒绝，原因见下表；下载被拒绝的行，改正后可再次导入。"
            "确认导入时，被拒绝的行不会写入，其余行照常写入（除非选择“全有或全无”）。",
            icon=":material/warning:",
        )
        errors = report.error_table(limit)
        show_table(
            errors,
            hide_index=True,
            width="stretch",
            height=row_height(min(len(errors), 10)),
            key="import-errors",
        )
        if len(report.error_table()) > limit:
            st.caption(f"只列出前 {limit} 条错误；全部被拒绝的行请下载查看。")
        rows = report.rejected_rows()
        st.download_button(
            f"下载被拒绝的行（{counts.rejected:,} 行，含错误原因）",
            data=audited_export(
                f"导入被拒绝的行：{prepared.file_name}",
                lambda: rejected_workbook(
                    rows,
                    kind=prepared.kind.label,
                    file_name=prepared.file_name,
                    subtitle=(
                        f"工作表“{prepared.sheet}” · 试导入于 {view.clock.now():%Y-%m-%d %H:%M}"
                    ),
                ),
                rows=counts.rejected,
            ),
            file_name=f"{prepared.kind.label}_被拒绝的行.xlsx",
            mime=XLSX,
            icon=":material/download:",
            on_click="ignore",
            key="import-rejected",
        )
    if report.outcomes:
        preview = report.preview(limit)
        st.markdown(f"**将写入的行**（预览前 {min(limit, len(report.outcomes)):,} 行）")
        show_table(
            preview,
            hide_index=True,
            width="stretch",
            height=row_height(min(len(preview), 10)),
            column_config={"变更": st.column_config.TextColumn(width="large")},
            key="import-preview",
        )


def _render_commit(
    view: ViewContext, prepared: Prepared, report: ImportReport, ctx: ImportContext
) -> None:
    counts = report.counts
    all_or_nothing = st.checkbox(
        "全有或全无：只要有一行被拒绝，整个文件都不写入",
        key="import-all-or-nothing",
    )
    nothing = not report.outcomes
    blocked = nothing or bool(prepared.unresolved)
    clicked = st.button(
        "确认导入",
        type="primary",
        icon=":material/upload:",
        disabled=blocked,
        key="import-commit",
        help=(
            "没有可写入的行"
            if nothing
            else "请先指定像金额的列对应的字段"
            if prepared.unresolved
            else "写入新增和更新的行，并记录导入批次"
        ),
    )
    if not clicked:
        return
    try:
        with st.spinner("正在写入…"):
            result = commit(
                engine=engine_for(view.database_url),
                prepared=prepared,
                ctx=ctx,
                all_or_nothing=all_or_nothing,
                max_rejected_stored=view.settings.imports.max_rejected_stored,
            )
    except ImportRefusedError as error:
        st.error(f"**未导入**：{escaping.markdown(error)}", icon=":material/block:")
        return
    except Exception:
        logger.exception("import commit failed")
        st.error("**导入失败**：写入时出错，已全部撤销，数据库未改动。", icon=":material/error:")
        return
    written = result.report.counts
    if result.status is ImportStatus.REFUSED:
        message = (
            f"未导入（批次 #{result.batch_id}）：{written.rejected:,} 行被拒绝，"
            "按“全有或全无”没有写入任何数据。"
        )
        st.session_state[_FLASH_KEY] = ("warning", message)
    else:
        message = f"导入完成（批次 #{result.batch_id}）：{written.sentence()}。"
        if result.data_version is not None:
            # The import's own transaction raised the versions of what it wrote: each summary
            # that reads those rows is recounted when a page first needs it (income sums of the
            # households written, at once), and nothing else is.
            message += "各页面的数字随即按新数据更新。"
        if counts != written:
            message += "（与试导入时不同：期间数据已被其他导入改变。）"
        st.session_state[_FLASH_KEY] = ("success", message)
    st.rerun()


def render_history(view: ViewContext) -> None:
    """The latest batches and, for one of them, its stored rejected rows."""
    batches = read_now(import_batches, limit=100)
    if batches.empty:
        st.info("还没有导入记录。")
        return
    shown = batches.assign(
        all_or_nothing=batches["all_or_nothing"].map({True: "是", False: "否"}),
        sha256=batches["sha256"].str[:12],
    )
    show_table(
        shown.rename(columns=BATCH_COLUMNS),
        hide_index=True,
        width="stretch",
        height=row_height(min(len(batches), 12)),
        key="import-batches",
    )
    st.caption("最近 100 批；SHA-256 只显示前 12 位（完整值见审计日志）。")
    with_rejections = batches[batches["rejected"] > 0]
    if with_rejections.empty:
        return
    labels = {
        int(row.id): f"#{row.id} {row.kind} {row.file_name}（拒绝 {row.rejected:,} 行）"
        for row in with_rejections.itertuples()
    }
    batch_id = choose(
        "查看某批次被拒绝的行",
        list(labels),
        format_func=labels.get,
        index=None,
        placeholder="请选择批次",
        key="import-batch",
    )
    if batch_id is None:
        return
    rows = read_now(batch_rejections, batch_id=batch_id)
    batch = with_rejections[with_rejections["id"] == batch_id].iloc[0]
    show_table(
        rows,
        hide_index=True,
        width="stretch",
        height=row_height(min(len(rows), 10)),
        key="import-batch-rows",
    )
    st.download_button(
        "下载该批次被拒绝的行",
        data=audited_export(
            f"导入批次 #{batch_id} 被拒绝的行",
            lambda: rejected_workbook(
                rows,
                kind=batch["kind"],
                file_name=batch["file_name"],
                subtitle=f"批次 #{batch_id} · 导入于 {batch['imported_at']:%Y-%m-%d %H:%M}",
            ),
            rows=len(rows),
        ),
        file_name=f"批次{batch_id}_被拒绝的行.xlsx",
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="import-batch-download",
    )
