"""Command line: ``python -m data_access init-db | seed-demo | ensure-demo | import-boundaries``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from config import Settings, SettingsError, load_settings
from data_access.boundaries import BoundaryError, import_boundary_file
from data_access.db import init_db, is_empty, make_engine
from data_access.indicators import Level
from data_access.periods import month_start
from data_access.snapshots import warm


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
    seed.add_argument("--as-of", type=_parse_date, default=None, help="数据截至日期，默认今天")
    commands.add_parser(
        "ensure-demo", help="SQLite 数据库为空或不存在时生成演示数据，否则只升级结构"
    )
    boundaries = commands.add_parser(
        "import-boundaries", help="从 GeoJSON 文件导入乡镇（及村）边界，替换现有边界"
    )
    boundaries.add_argument(
        "file", type=Path, help="WGS84 经纬度的 GeoJSON FeatureCollection，要素属性 name 为地名"
    )
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
        try:
            report = import_boundary_file(engine, args.file)
        except BoundaryError as error:
            print(error, file=sys.stderr)
            return 1
        print("\n".join(report.lines()))
        return 0
    if args.command == "ensure-demo":
        init_db(engine)
        if make_url(engine.url).get_backend_name() != "sqlite" or not is_empty(engine):
            print("数据库已有数据，只升级了结构。")
            return 0
    from data_access.demo import seed_demo

    as_of = getattr(args, "as_of", None) or settings.today()
    summary = seed_demo(
        engine,
        settings=settings,
        scale=getattr(args, "scale", 1.0),
        seed=getattr(args, "seed", 2023),
        as_of=as_of,
    )
    print(summary.report())
    print(warm_rankings(engine, settings=settings, last_month=month_start(as_of)))
    return 0


def warm_rankings(engine: Engine, *, settings: Settings, last_month: date) -> str:
    """Precompute the ranking snapshots the first page views need: a year of township
    trends and the latest months of units. Returns a line for the report."""
    started = time.perf_counter()
    computed = warm(
        engine, settings=settings, last_month=last_month, months=13, levels=[Level.TOWNSHIP]
    )
    computed += warm(
        engine, settings=settings, last_month=last_month, months=3, levels=[Level.UNIT]
    )
    return f"  排名汇总快照 {computed} 个，用时 {time.perf_counter() - started:.1f} 秒"


if __name__ == "__main__":
    raise SystemExit(main())
