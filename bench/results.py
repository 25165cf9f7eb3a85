"""What the benchmark measured on one database."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # Warnings in the database per rule (the demo plants cases of every rule).
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.backend}, scale {self.scale:g}" if self.scale else f"{self.backend}"
