"""``python -m bench``: seed a demo county, then time every page; prints plain-text tables.

Seeding runs in a child process (the CLI users run); the pages render in this process through
AppTest, so the peak RSS reported for rendering is this process's own.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import report
from bench.database import (
    SeedError,
    SeedResult,
    database_size,
    seed_demo,
    sqlite_url,
    table_row_counts,
)
from bench.environment import write_settings
from bench.rendering import PageFailedError, PageTiming, time_pages
from dashboard.navigation import PAGES

DEFAULT_AS_OF = date(2026, 11, 29)
DEFAULT_SEED = 2023
TOP_TABLES = 8


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time seeding the demo county and rendering every page.",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="demo size; 1 ≈ 24,000 households")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo random seed")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        help="data as-of date, also the app's fixed today (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--db-url", help="benchmark this existing database instead of seeding a fresh SQLite file"
    )
    parser.add_argument("--runs", type=int, default=5, help="warm runs per page (median shown)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.runs < 1:
        print("--runs must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        config = write_settings(Path(workdir) / "settings.toml", today=args.as_of)
        database_url = args.db_url or sqlite_url(Path(workdir) / "bench.db")
        seeded: SeedResult | None = None
        try:
            if args.db_url is None:
                seeded = seed_demo(
                    database_url=database_url,
                    config=config,
                    scale=args.scale,
                    seed=args.seed,
                    as_of=args.as_of,
                )
            # Read by the settings loader on the first AppTest run, and cached from then on.
            os.environ["DASHBOARD_DB_URL"] = database_url
            os.environ["DASHBOARD_CONFIG"] = str(config)
            print(_database_section(args, database_url, seeded), end="\n\n", flush=True)
            timings = time_pages(PAGES, runs=args.runs)
        except (SeedError, PageFailedError) as error:
            print(error, file=sys.stderr)
            return 1
    print(_pages_section(timings, runs=args.runs))
    return 0


def _database_section(
    args: argparse.Namespace, database_url: str, seeded: SeedResult | None
) -> str:
    origin = f"seed {args.seed}, scale {args.scale:g}" if seeded else "existing database"
    facts = [("database", f"{_backend(database_url)} ({origin}, as of {args.as_of})")]
    if seeded:
        facts += [
            ("seed time", report.seconds(seeded.seconds)),
            ("seed peak RSS", report.megabytes(seeded.peak_rss_kib * 1024)),
        ]
    facts.append(("database size", report.megabytes(database_size(database_url))))
    counts = list(table_row_counts(database_url).items())[:TOP_TABLES]
    return "\n\n".join(
        [
            report.format_table(["measure", "value"], facts),
            report.format_table(
                ["table", "rows"], [(name, report.count(rows)) for name, rows in counts]
            ),
        ]
    )


def _pages_section(timings: list[PageTiming], *, runs: int) -> str:
    rows = [
        (
            timing.spec.title,
            timing.spec.url_path,
            report.milliseconds(timing.cold_seconds),
            report.milliseconds(timing.warm_median),
        )
        for timing in timings
    ]
    table = report.format_table(
        ["page", "url_path", "cold (ms)", f"warm (ms, median of {runs})"], rows
    )
    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return f"{table}\n\nrender peak RSS (this process): {report.megabytes(peak)}"


def _backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


if __name__ == "__main__":
    raise SystemExit(main())
