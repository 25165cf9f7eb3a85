"""``python -m bench.measure``: time every page on one database and write the result as JSON.

Run by ``python -m bench`` in a child process per database, so that each one's peak memory is its
own and one scale's caches never flatter another's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
from collections.abc import Sequence
from pathlib import Path

from bench.rendering import streamlit_overhead, time_after_writes, time_pages, time_sign_in
from bench.writes import WRITES
from config import load_settings
from dashboard.navigation import PAGES


def measure(*, runs: int, database_url: str, after_writes: bool) -> dict:
    timings = time_pages(PAGES, runs=runs)
    # Last: it writes into the database.
    after = (
        time_after_writes(PAGES, writes=WRITES, database_url=database_url, settings=load_settings())
        if after_writes
        else {}
    )
    return {
        "overhead_seconds": streamlit_overhead(runs=runs),
        "sign_in_seconds": time_sign_in(next(spec for spec in PAGES if spec.default), runs=runs),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "pages": [
            {
                "url_path": timing.spec.url_path,
                "title": timing.spec.title,
                "cold_seconds": timing.cold.seconds,
                "cold_sql_seconds": timing.cold.sql_seconds,
                "cold_statements": timing.cold.statements,
                "cold_element_seconds": timing.cold.element_seconds,
                "warm_seconds": timing.warm_median,
                "warm_sql_seconds": min(render.sql_seconds for render in timing.warm),
                "after_write_seconds": after.get(timing.spec.url_path, {}),
            }
            for timing in timings
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument(
        "--after-writes",
        action="store_true",
        help="also time each page's first render after each kind of write (writes into the "
        "database: a scratch copy only)",
    )
    args = parser.parse_args(argv)
    # Read by the settings loader on the first AppTest run, and cached from then on.
    os.environ["DASHBOARD_DB_URL"] = args.db_url
    os.environ["DASHBOARD_CONFIG"] = str(args.config)
    result = measure(runs=args.runs, database_url=args.db_url, after_writes=args.after_writes)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
