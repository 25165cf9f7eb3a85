"""``python -m bench``: build the demo county at each scale on each database, time every page
cold and warm with the SQL it needs, and print plain-text tables with the targets checked.

Each database is seeded by the CLI users run and measured by ``python -m bench.measure``, both in
child processes, so each one's peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import report, targets
from bench.database import (
    PG_URL_VARIABLE,
    SeedError,
    SeedResult,
    database_size,
    scratch_database,
    seed_demo,
    table_row_counts,
    warnings_by_rule,
)
from bench.environment import PROJECT_ROOT, write_settings
from bench.importing import time_register_import
from bench.results import Measured
from config import load_settings

DEFAULT_AS_OF = date(2026, 11, 29)
DEFAULT_SEED = 2023
TOP_TABLES = 6
IMPORT_ROWS = 50_000


class MeasureError(RuntimeError):
    """``python -m bench.measure`` failed (a page raised or showed an error)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time seeding the demo county and rendering every page, at several scales.",
    )
    parser.add_argument(
        "--scales",
        type=lambda text: [float(part) for part in text.split(",")],
        default=[1.0, 10.0],
        help="comma-separated demo sizes (1 ≈ 24,000 households); default 1,10",
    )
    parser.add_argument(
        "--backends",
        type=lambda text: text.split(","),
        default=None,
        help=f"sqlite and/or postgresql; default sqlite, plus postgresql when {PG_URL_VARIABLE} "
        "is set",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo random seed")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        help="data as-of date, also the app's reporting date (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--db-url", help="benchmark this existing database instead of seeding fresh ones"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="cold and warm runs per page (medians shown)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.runs < 1:
        print("--runs must be at least 1", file=sys.stderr)
        return 2
    backends = args.backends or [
        "sqlite",
        *(["postgresql"] if os.environ.get(PG_URL_VARIABLE) else []),
    ]
    if "postgresql" in backends and not os.environ.get(PG_URL_VARIABLE):
        print(f"postgresql needs {PG_URL_VARIABLE} (a server where databases may be created)")
        return 2
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        config = write_settings(Path(workdir) / "settings.toml", today=args.as_of)
        # The import below reads its limits through load_settings(), like the CLI.
        os.environ["DASHBOARD_CONFIG"] = str(config)
        try:
            if args.db_url:
                results.append(_measure_existing(args, args.db_url, config, Path(workdir)))
            for backend in [] if args.db_url else backends:
                for scale in args.scales:
                    results.append(_measure_seeded(args, backend, scale, config, Path(workdir)))
                    print(_database_section(results[-1]), end="\n\n", flush=True)
        except (SeedError, MeasureError) as error:
            print(error, file=sys.stderr)
            return 1
    if args.db_url:
        print(_database_section(results[0]), end="\n\n")
    print(_pages_section(results))
    print()
    print(_targets_section(results))
    return 0


def _measure_seeded(
    args: argparse.Namespace, backend: str, scale: float, config: Path, workdir: Path
) -> Measured:
    name = f"dashboard_bench_{str(scale).replace('.', '_')}"
    with scratch_database(backend, workdir=workdir, name=name) as url:
        print(f"seeding {backend} at scale {scale:g} …", file=sys.stderr, flush=True)
        seeded = seed_demo(
            database_url=url, config=config, scale=scale, seed=args.seed, as_of=args.as_of
        )
        measured = _measure(
            url, backend, scale, seeded, config, workdir, runs=args.runs, after_writes=True
        )
        # Last, because it writes: 50,000 new registers into the scratch database.
        print(f"importing {IMPORT_ROWS:,} registers ({backend}) …", file=sys.stderr, flush=True)
        timing = time_register_import(database_url=url, rows=IMPORT_ROWS, settings=load_settings())
        return replace(measured, import_rows=timing.rows, import_seconds=timing.import_seconds)


def _measure_existing(args: argparse.Namespace, url: str, config: Path, workdir: Path) -> Measured:
    backend = make_url(url).get_backend_name()
    return _measure(url, backend, None, None, config, workdir, runs=args.runs)


def _measure(
    url: str,
    backend: str,
    scale: float | None,
    seeded: SeedResult | None,
    config: Path,
    workdir: Path,
    *,
    runs: int,
    after_writes: bool = False,
) -> Measured:
    print(f"rendering every page ({backend}) …", file=sys.stderr, flush=True)
    output = workdir / "measure.json"
    command = [sys.executable, "-m", "bench.measure", "--db-url", url, "--config", str(config)]
    command += ["--runs", str(runs), "--output", str(output)]
    if after_writes:
        command.append("--after-writes")
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise MeasureError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    measured = json.loads(output.read_text(encoding="utf-8"))
    return Measured(
        backend=backend,
        scale=scale,
        seed=seeded,
        size_bytes=database_size(url),
        rows=table_row_counts(url),
        warnings=warnings_by_rule(url),
        pages={page["url_path"]: page for page in measured["pages"]},
        overhead_seconds=measured["overhead_seconds"],
        sign_in_seconds=measured.get("sign_in_seconds"),
        peak_rss_bytes=measured["peak_rss_bytes"],
    )


def _database_section(result: Measured) -> str:
    facts = [("database", result.label)]
    if result.seed:
        facts += [
            ("seed time (with snapshots)", report.seconds(result.seed.seconds)),
            ("seed peak RSS", report.megabytes(result.seed.peak_rss_kib * 1024)),
        ]
    if result.import_seconds is not None:
        facts.append(
            (
                f"import {result.import_rows:,} registers (read, dry run, commit)",
                report.seconds(result.import_seconds),
            )
        )
    facts += [
        ("database size", report.megabytes(result.size_bytes)),
        ("render peak RSS", report.megabytes(result.peak_rss_bytes)),
        ("Streamlit overhead per run", report.milliseconds(result.overhead_seconds) + " ms"),
    ]
    if result.sign_in_seconds is not None:
        facts.append(("sign-in to the first page", report.seconds(result.sign_in_seconds)))
    rows = [(name, report.count(count)) for name, count in list(result.rows.items())[:TOP_TABLES]]
    tables = [
        report.format_table(["measure", "value"], facts),
        report.format_table(["table", "rows"], rows),
    ]
    if result.warnings:
        warned = [(rule, report.count(count)) for rule, count in result.warnings.items()]
        tables.append(report.format_table(["warning rule", "warnings"], warned))
    return "\n\n".join(tables)


def _pages_section(results: list[Measured]) -> str:
    """One table per result: cold/warm ms, SQL ms, the cold time inside Streamlit's element calls
    and the rest (the page's own Python), page/SQL; and the ratio to the smallest scale of the
    same backend."""
    tables = []
    for result in results:
        base = _smallest_scale(results, result)
        rows = []
        for url_path, page in result.pages.items():
            ratio = ""
            elements = page.get("cold_element_seconds", 0.0)
            if base is not None and base is not result:
                ratio = f"{page['cold_seconds'] / base.pages[url_path]['cold_seconds']:.1f}×"
            rows.append(
                (
                    page["title"],
                    report.milliseconds(page["cold_seconds"]),
                    report.milliseconds(page["cold_sql_seconds"]),
                    str(page["cold_statements"]),
                    report.milliseconds(elements),
                    report.milliseconds(
                        max(page["cold_seconds"] - page["cold_sql_seconds"] - elements, 0)
                    ),
                    _page_to_sql(page, result.overhead_seconds),
                    report.milliseconds(page["warm_seconds"]),
                    _after_write(page),
                    ratio or "-",
                )
            )
        headers = [
            "page",
            "cold ms",
            "SQL ms",
            "statements",
            "Streamlit ms",
            "own ms",
            "(cold − overhead) / SQL",
            "warm ms",
            "first after a write ms (worst of)",
            "cold vs scale 1",
        ]
        tables.append(f"{result.label}\n{report.format_table(headers, rows)}")
    return "\n\n".join(tables)


def _after_write(page: dict) -> str:
    """The slowest first render after a write, and which write it followed."""
    after = page.get("after_write_seconds") or {}
    if not after:
        return "-"
    write, seconds = max(after.items(), key=lambda item: item[1])
    return f"{report.milliseconds(seconds)} ({write})"


def _page_to_sql(page: dict, overhead: float) -> str:
    if page["cold_sql_seconds"] <= 0:
        return "-"
    return f"{max(page['cold_seconds'] - overhead, 0) / page['cold_sql_seconds']:.1f}"


def _smallest_scale(results: list[Measured], result: Measured) -> Measured | None:
    same = [other for other in results if other.backend == result.backend and other.scale]
    return min(same, key=lambda other: other.scale) if same and result.scale else None


def _targets_section(results: list[Measured]) -> str:
    rows = [
        (result.label, check.name, check.measured, check.target, "met" if check.met else "MISSED")
        for result in results
        for check in targets.checks(result, _smallest_scale(results, result))
    ]
    return report.format_table(["database", "target", "measured", "limit", "result"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
