"""The speed and memory targets the benchmark checks (issue 11), each against the worst page."""

from __future__ import annotations

from dataclasses import dataclass

from bench import report
from bench.results import Measured

# At scale 1 (or on an existing database).
COLD_SECONDS = 1.5
WARM_SECONDS = 0.3
SEED_SECONDS = 60.0
# At a larger scale, against the same backend's smallest scale.
COLD_GROWTH = 3.0
LARGE_WARM_SECONDS = 0.5
PEAK_RSS_BYTES = 1.5 * 1024**3
# A 收支登记 workbook of 50,000 rows: read, dry run and commit, on SQLite.
IMPORT_SECONDS = 30.0
# A page's cold time, less the fixed Streamlit cost of a run, against the SQL it needs.
SQL_FACTOR = 2.0
# Pressing 登录 to the first page drawn (issue 19).
SIGN_IN_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    measured: str
    target: str
    met: bool


def _worst(pages: dict[str, dict], value) -> tuple[str, float]:
    title, page = max(((page["title"], page) for page in pages.values()), key=lambda p: value(p[1]))
    return title, value(page)


def _worst_after_write(pages: dict[str, dict]) -> tuple[str, float] | None:
    """The slowest first render after a write over every page and write, as "page（write）"."""
    timed = [
        (f"{page['title']}（{write}）", seconds)
        for page in pages.values()
        for write, seconds in (page.get("after_write_seconds") or {}).items()
    ]
    return max(timed, key=lambda item: item[1]) if timed else None


def checks(result: Measured, base: Measured | None) -> list[Check]:
    """The targets that apply to ``result``; ``base`` is the same backend's smallest scale."""
    pages = result.pages
    found: list[Check] = []
    if base is None or base is result:
        title, cold = _worst(pages, lambda page: page["cold_seconds"])
        found.append(
            Check(
                "cold render", f"{title} {cold:.2f} s", f"≤ {COLD_SECONDS} s", cold <= COLD_SECONDS
            )
        )
        title, warm = _worst(pages, lambda page: page["warm_seconds"])
        found.append(
            Check(
                "warm render", f"{title} {warm:.2f} s", f"≤ {WARM_SECONDS} s", warm <= WARM_SECONDS
            )
        )
        after = _worst_after_write(pages)
        if after is not None:
            label, seconds = after
            found.append(
                Check(
                    "first view after a write",
                    f"{label} {seconds:.2f} s",
                    f"≤ {COLD_SECONDS} s",
                    seconds <= COLD_SECONDS,
                )
            )
        if result.sign_in_seconds is not None:
            seconds = result.sign_in_seconds
            found.append(
                Check(
                    "sign-in to the first page",
                    f"{seconds:.2f} s",
                    f"≤ {SIGN_IN_SECONDS:g} s",
                    seconds <= SIGN_IN_SECONDS,
                )
            )
        if result.seed:
            seconds = result.seed.seconds
            found.append(
                Check(
                    "seed", f"{seconds:.0f} s", f"≤ {SEED_SECONDS:.0f} s", seconds <= SEED_SECONDS
                )
            )
    else:
        title, growth = _worst(
            pages, lambda page: page["cold_seconds"] / base.pages[page["url_path"]]["cold_seconds"]
        )
        found.append(
            Check(
                f"cold vs scale {base.scale:g}",
                f"{title} {growth:.1f}×",
                f"≤ {COLD_GROWTH:g}×",
                growth <= COLD_GROWTH,
            )
        )
        after, base_after = _worst_after_write(pages), _worst_after_write(base.pages)
        if after is not None and base_after is not None:
            label, seconds = after
            limit = COLD_GROWTH * max(base_after[1], COLD_SECONDS)
            found.append(
                Check(
                    f"first view after a write vs scale {base.scale:g}",
                    f"{label} {seconds:.2f} s",
                    f"≤ {limit:.2f} s",
                    seconds <= limit,
                )
            )
        title, warm = _worst(pages, lambda page: page["warm_seconds"])
        found.append(
            Check(
                "warm render",
                f"{title} {warm:.2f} s",
                f"≤ {LARGE_WARM_SECONDS} s",
                warm <= LARGE_WARM_SECONDS,
            )
        )
        peak = max(result.peak_rss_bytes, result.seed.peak_rss_kib * 1024 if result.seed else 0)
        found.append(
            Check(
                "peak memory (seed, render)",
                report.megabytes(peak),
                f"≤ {report.megabytes(PEAK_RSS_BYTES)}",
                peak <= PEAK_RSS_BYTES,
            )
        )
    if result.import_seconds is not None and result.backend == "sqlite":
        found.append(
            Check(
                f"import {result.import_rows:,} registers",
                f"{result.import_seconds:.1f} s",
                f"≤ {IMPORT_SECONDS:.0f} s",
                result.import_seconds <= IMPORT_SECONDS,
            )
        )
    overhead = result.overhead_seconds

    def excess(page: dict) -> float:
        return page["cold_seconds"] - (SQL_FACTOR * page["cold_sql_seconds"] + overhead)

    title, worst = _worst(pages, excess)
    found.append(
        Check(
            "cold ≤ 2 × SQL + overhead",
            f"{title} {worst * 1000:+,.0f} ms",
            "≤ +0 ms",
            worst <= 0,
        )
    )
    return found
