"""``python -m data_access import FILE --kind KIND [--sheet S] [--header-row N[-M]]
[--map 表头=字段 …] [--drop 表头 …] [--user U] [--commit] [--all-or-nothing]`` and
``python -m data_access import-template KIND FILE``.

Without ``--commit`` the import is a dry run: it prints the header it read (and how each column
was taken), what would change and every rejected row, and writes nothing. A column mapping given
with --map/--drop, or confirmed before for a file with the same headers, is used and, on commit,
kept for the next file. Exit status: 0 every row accepted, 1 some rows rejected (or,
all-or-nothing, nothing written), 2 the file was refused as a whole or cannot be committed as
read (money-like columns not mapped).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from config import Settings
from data_access.importing.base import ImportContext
from data_access.importing.batch import (
    Prepared,
    commit,
    dry_run,
    prepare,
    record_refusal,
    refresh_caches,
    unresolved_message,
)
from data_access.importing.kinds import KINDS, UnknownKindError, kind_named
from data_access.importing.mappings import mapping_from_arguments, saved_mapping
from data_access.importing.templates import template_workbook
from data_access.importing.workbook import (
    HeaderChoiceError,
    ImportRefusedError,
    SheetChoiceError,
)
from data_access.models import ImportStatus

CLI_USER = "命令行"
KIND_HELP = "、".join(f"{kind.key}={kind.label}" for kind in KINDS.values())


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Register ``import`` and ``import-template`` on the CLI's subcommands."""
    command = commands.add_parser(
        "import", help="导入 Excel 台账（默认只试导入，加 --commit 才写入）"
    )
    command.add_argument("file", type=Path, help=".xlsx 或 .xlsm 工作簿")
    command.add_argument("--kind", required=True, help=f"台账类别：{KIND_HELP}")
    command.add_argument("--sheet", default=None, help="工作表名称（工作簿有多个工作表时）")
    command.add_argument(
        "--header-row",
        default=None,
        help="表头所在的行（如 3；两行表头写 3-4）；不给则自动识别",
    )
    command.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="表头=字段",
        help="把文件中的某列对应到本类台账的字段（字段名或“不导入”），可重复",
    )
    command.add_argument(
        "--drop", action="append", default=[], metavar="表头", help="明确不导入某列，可重复"
    )
    command.add_argument("--user", default=CLI_USER, help="记入导入批次和审计日志的用户名")
    command.add_argument("--commit", action="store_true", help="写入数据库（否则只试导入）")
    command.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="有任何一行被拒绝就整个文件都不写入",
    )
    template = commands.add_parser("import-template", help="生成某类台账的导入模板（.xlsx）")
    template.add_argument("kind", help=f"台账类别：{KIND_HELP}")
    template.add_argument("file", type=Path, help="要写入的 .xlsx 文件")


def run_template(args: argparse.Namespace, settings: Settings) -> int:
    try:
        kind = kind_named(args.kind)
    except UnknownKindError as error:
        print(error.args[0])
        return 2
    args.file.write_bytes(template_workbook(kind, county=settings.county.name))
    print(f"已生成{kind.label}导入模板：{args.file}")
    return 0


def header_rows_argument(text: str | None) -> tuple[int, ...] | None:
    """``--header-row 3`` or ``3-4``; ImportRefusedError for anything else."""
    if not text:
        return None
    parts = text.replace("–", "-").split("-")
    if not all(part.strip().isdigit() for part in parts) or len(parts) > 2:
        raise ImportRefusedError(f"--header-row 应为行号，如 3，两行表头写 3-4；实为“{text}”。")
    return tuple(int(part) for part in parts)


def column_lines(prepared: Prepared) -> str:
    """The columns that are imported or deliberately left out, one line each, and what each was
    taken for (the others are listed once in the notes)."""
    titles = {field.key: field.title for field in prepared.kind.fields}
    shown = {
        "auto": "识别为",
        "mapped": "指定为",
        "dropped": "指定不导入",
        "part": "按合计导入，不单独导入",
    }
    lines = ["列的对应："]
    for column in prepared.columns:
        if column.how in shown:
            target = titles.get(column.field, "") if column.field else ""
            lines.append(f"  {column.letter} 列“{column.text}”：{shown[column.how]}{target}")
    return "\n".join(lines)


def run_import(args: argparse.Namespace, settings: Settings, engine: Engine) -> int:
    """Dry run (and with --commit, commit) one file; prints in Chinese."""
    try:
        kind = kind_named(args.kind)
    except UnknownKindError as error:
        print(error.args[0])
        return 2
    try:
        content = args.file.read_bytes()
    except OSError as error:
        print(f"无法读取文件 {args.file}：{error.strerror}")
        return 2
    name = args.file.name
    limit = settings.imports.preview_rows
    now = settings.clock.now()
    try:
        header_rows = header_rows_argument(args.header_row)
        mapping = mapping_from_arguments(kind, args.map, args.drop)
        with engine.connect() as conn:
            prepared = prepare(
                content=content,
                file_name=name,
                kind=kind,
                limits=settings.imports,
                sheet=args.sheet,
                header_rows=header_rows,
                mapping=mapping,
                saved=lambda headers: saved_mapping(conn=conn, kind=kind, header_set=headers),
            )
    except SheetChoiceError as error:
        print(f"{error}可选：{'、'.join(error.sheets)}。请用 --sheet 指定。")
        return 2
    except HeaderChoiceError as error:
        print(f"拒绝导入：{error}")
        print("例：--header-row " + "-".join(map(str, error.candidates[0])))
        return 2
    except ImportRefusedError as error:
        print(f"拒绝导入：{error}")
        if args.commit:
            record_refusal(
                engine=engine,
                username=args.user,
                file_name=name,
                content=content,
                reason=str(error),
                now=now,
            )
        return 2
    ctx = ImportContext(
        now=now, username=args.user, scope=None, file_name=name, county=settings.county.name
    )
    print(f"文件：{name}（SHA-256 {prepared.sha256}）· 台账类别：{kind.label}")
    print("\n".join(prepared.notes()))
    print(column_lines(prepared))
    with engine.connect() as conn:
        report = dry_run(conn=conn, prepared=prepared, ctx=ctx)
    print(f"试导入（未写入）：{report.counts.sentence()}")
    _print_errors(report.error_messages(), limit)
    if prepared.unresolved:
        print(f"不能确认导入：{unresolved_message(prepared)}")
        if args.commit:
            print("数据库未改动。")
        return 2
    if not args.commit:
        print("以上为试导入结果，数据库未改动；确认无误后加 --commit 写入。")
        return 1 if report.counts.rejected else 0
    result = commit(
        engine=engine,
        prepared=prepared,
        ctx=ctx,
        all_or_nothing=args.all_or_nothing,
        max_rejected_stored=settings.imports.max_rejected_stored,
    )
    counts = result.report.counts
    if result.status is ImportStatus.REFUSED:
        print(
            f"有 {counts.rejected:,} 行被拒绝，按“全有或全无”没有写入任何数据"
            f"（批次 #{result.batch_id}）。"
        )
        return 1
    print(f"已导入，批次 #{result.batch_id}：{counts.sentence()}")
    if result.data_version is not None:
        print(refresh_caches(engine, settings=settings))
    return 1 if counts.rejected else 0


def _print_errors(messages: list[str], limit: int) -> None:
    if not messages:
        return
    print("被拒绝的行：")
    for message in messages[:limit]:
        print(f"  {message}")
    if len(messages) > limit:
        print(f"  ……共 {len(messages):,} 条，只列出前 {limit} 条")
