"""Command line: ``python -m data_access init-db | seed-demo | ensure-demo``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlalchemy.engine import make_url

from config import SettingsError, load_settings
from data_access.db import init_db, is_empty, make_engine


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
    if args.command == "ensure-demo":
        init_db(engine)
        if make_url(engine.url).get_backend_name() != "sqlite" or not is_empty(engine):
            print("数据库已有数据，只升级了结构。")
            return 0
    from data_access.demo import seed_demo

    scale = getattr(args, "scale", 1.0)
    summary = seed_demo(
        engine,
        settings=settings,
        scale=scale,
        seed=getattr(args, "seed", 2023),
        as_of=getattr(args, "as_of", None) or settings.today(),
    )
    print(summary.report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
