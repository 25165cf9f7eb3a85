"""What the benchmark measured on one database."""

from __future__ import annotations

from dataclasses import dataclass

from bench.database import SeedResult


@dataclass(frozen=True)
class Measured:
    backend: str
    scale: float | None  # None: an existing database
    seed: SeedResult | None
    size_bytes: int
    rows: dict[str, int]
    pages: dict[str, dict]
    overhead_seconds: float
    peak_rss_bytes: int
    # Pressing 登录 to the first page (总览) drawn.
    sign_in_seconds: float | None = None
    # Reading, dry-running and committing a 收支登记 workbook (None: not measured).
    import_rows: int = 0
    import_seconds: float | None = None

    @property
    def label(self) -> str:
        return f"{self.backend}, scale {self.scale:g}" if self.scale else f"{self.backend}"
