"""Command line: ``python -m data_access init-db | seed-demo | ensure-demo | demo-users |
import-boundaries | import | import-template | users add|disable|reset-password``."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, or_, select
from sqlalchemy.engine import make_url

from config import Settings, SettingsError, load_settings
from data_access.auth import (
    AuthError,
    Role,
    add_user,
    disable_user,
    ensure_demo_users,
    reset_password,
)
from data_access.boundaries import (
    SOURCES,
    BoundaryError,
    BoundaryOptions,
    import_boundary_file,
)
from data_access.commands import change
from data_access.db import init_db, is_empty, make_engine
from data_access.importing import cli as import_cli
from data_access.importing.cli import CLI_USER
from data_access.models import Township
from data_access.periods import month_start
from data_access.warming import warm_caches


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data_access", description="衔接督导看板数据库工具"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-db", help="创建或升级数据库结构")
    seed = commands.add_parser("seed-demo", help="生成演示县数据（会清空现有数据）")
    seed.add_argument("--scale", type=float, default=1.0, help="规模，1 约为 24,000 户")
    seed.add_argument("--seed", type=int, default=2023, help="随机种子，同一种子结果相同")
    seed.add_argument(
        "--as-of",
        type=_parse_date,
        default=None,
        help="数据截至日期，默认为报告日期（[clock] reporting_date，未设则为今天）",
    )
    commands.add_parser(
        "ensure-demo", help="SQLite 数据库为空或不存在时生成演示数据，否则只升级结构"
    )
    commands.add_parser(
        "check-warnings",
        help="按 [warnings] 规则比对全县农户：新增预警，标记条件已消失的预警（定时任务每天调用）",
    )
    commands.add_parser("demo-users", help="创建缺少的演示账号（每个角色一个，密码公开，仅供演示）")
    users = commands.add_parser("users", help="用户管理").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="新增用户")
    add.add_argument("username", help="登录用户名")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[role.value for role in Role],
        help="角色，可重复指定",
    )
    add.add_argument("--name", default="", help="姓名（显示用），默认同用户名")
    add.add_argument("--township", default=None, help="乡镇用户所属乡镇（名称或代码）")
    add.add_argument("--password", default=None, help="密码；不给则交互输入")
    disable = users.add_parser("disable", help="停用用户")
    disable.add_argument("username")
    reset = users.add_parser("reset-password", help="重设密码（同时解锁、启用）")
    reset.add_argument("username")
    reset.add_argument("--password", default=None, help="新密码；不给则交互输入")
    boundaries = commands.add_parser(
        "import-boundaries",
        help="从 GeoJSON 文件导入乡镇（及村）边界（默认只试导入，加 --commit 才写入）",
    )
    boundaries.add_argument(
        "file",
        type=Path,
        help="GeoJSON FeatureCollection（WGS84 经纬度，或用 --from gcj02 指明为 GCJ-02）",
    )
    boundaries.add_argument(
        "--name-property",
        default=None,
        metavar="属性",
        help="按这个属性中的乡镇名称匹配"
        "（不给则在 Name、NAME、name、名称、街道名称、乡镇名称中识别）",
    )
    boundaries.add_argument(
        "--code-property",
        default=None,
        metavar="属性",
        help="按这个属性中的 9 位或 12 位代码匹配（不给则在 code、adcode、CODE、ADCODE 中识别）",
    )
    boundaries.add_argument(
        "--from",
        dest="source",
        choices=SOURCES,
        default="wgs84",
        help="文件的坐标系：wgs84（默认）或 gcj02（高德、腾讯等网络地图，导入时换算为 WGS84）",
    )
    boundaries.add_argument("--commit", action="store_true", help="写入数据库（否则只试导入）")
    boundaries.add_argument("--user", default=CLI_USER, help="记入审计日志的用户名")
    import_cli.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    if args.command == "init-db":
        print(f"数据库结构版本：{init_db(engine)}")
        return 0
    if args.command == "import-boundaries":
        return run_import_boundaries(args, engine, settings)
    if args.command == "import":
        return import_cli.run_import(args, settings, engine)
    if args.command == "import-template":
        return import_cli.run_template(args, settings)
    if args.command == "users":
        return manage_users(engine, args, settings)
    if args.command == "check-warnings":
        return run_check_warnings(engine, settings)
    if args.command == "demo-users":
        return print_demo_users(engine, settings)
    if args.command == "ensure-demo":
        init_db(engine)
        if make_url(engine.url).get_backend_name() != "sqlite" or not is_empty(engine):
            print("数据库已有数据，只升级了结构。")
            return print_demo_users(engine, settings)
    from data_access.demo import seed_demo

    as_of = getattr(args, "as_of", None) or settings.clock.reporting_date()
    try:
        summary = seed_demo(
            engine,
            settings=settings,
            scale=getattr(args, "scale", 1.0),
            seed=getattr(args, "seed", 2023),
            as_of=as_of,
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(summary.report())
    print(warm_caches(engine, settings=settings, last_month=month_start(as_of)))
    return print_demo_users(engine, settings)


def run_check_warnings(engine: Engine, settings: Settings) -> int:
    """One check of every 预警 rule for the reporting date's month, as the CLI user."""
    from data_access.warnings.store import check

    today = settings.clock.reporting_date()
    with change(engine, by=CLI_USER, at=settings.clock.now()) as write:
        report = check(write, settings=settings, today=today)
    print(f"预警比对（{today:%Y-%m-%d}）：{report.sentence()}。")
    return 0


def run_import_boundaries(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    """Dry run (or, with --commit, import) a boundary file; 0 done, 1 refused."""
    options = BoundaryOptions(
        name_property=args.name_property, code_property=args.code_property, source=args.source
    )
    try:
        report = import_boundary_file(
            engine,
            args.file,
            username=args.user,
            now=settings.clock.now(),
            options=options,
            commit=args.commit,
        )
    except BoundaryError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    if not args.commit:
        # Before dry runs came to this command it wrote at once: say so to whoever scripted it.
        print(
            "以上为试导入，数据库未改动。核对无误后加 --commit 写入"
            "（本命令已不再不经试导入直接写入）。"
        )
    return 0


def print_demo_users(engine: Engine, settings: Settings) -> int:
    """Create the missing demo accounts and print their passwords (demo deployments only)."""
    if settings.auth.production:
        print('生产模式（auth.deployment = "production"）：不创建演示账号。')
        return 0
    with change(engine, by=CLI_USER, at=settings.clock.now()) as write:
        lines = ensure_demo_users(conn=write.conn, now=write.at)
    print("演示账号（仅供演示，密码已公开；生产部署前请停用或重设）：")
    print("\n".join(lines))
    return 0


def _password(given: str | None) -> str:
    if given is not None:
        return given
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再输一次："):
        raise AuthError("两次输入的密码不一致")
    return first


def _township_id(engine: Engine, name_or_code: str | None) -> int | None:
    if name_or_code is None:
        return None
    with engine.connect() as conn:
        township_id = conn.execute(
            select(Township.id).where(
                or_(Township.name == name_or_code, Township.code == name_or_code)
            )
        ).scalar()
    if township_id is None:
        raise AuthError(f"乡镇不存在：{name_or_code}")
    return township_id


def manage_users(engine: Engine, args: argparse.Namespace, settings: Settings) -> int:
    """``users add|disable|reset-password``; changes are audited as done by "命令行"."""
    by, now = CLI_USER, settings.clock.now()
    try:
        if args.users_command == "add":
            township_id = _township_id(engine, args.township)
            password = _password(args.password)
            with change(engine, by=by, at=now) as write:
                add_user(
                    conn=write.conn,
                    username=args.username,
                    display_name=args.name,
                    password=password,
                    roles=args.role,
                    township_id=township_id,
                    by=by,
                    now=now,
                )
            print(f"已新增用户 {args.username}（{'、'.join(args.role)}）")
        elif args.users_command == "disable":
            with change(engine, by=by, at=now) as write:
                disable_user(conn=write.conn, username=args.username, by=by, now=now)
            print(f"已停用用户 {args.username}")
        else:
            password = _password(args.password)
            with change(engine, by=by, at=now) as write:
                reset_password(
                    conn=write.conn, username=args.username, password=password, by=by, now=now
                )
            print(f"已重设用户 {args.username} 的密码")
    except AuthError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
