"""Independent counts for checking SQL aggregates: plain SQL, written apart from the code."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

# A household is counted in a month when it was on record by the month's end (bind :end): a
# 脱贫户, or a 监测户 taken into monitoring by then. Written apart from Household.on_record_by.
ON_RECORD = (
    "(h.household_type <> '监测户' OR h.lifted_year IS NOT NULL "
    "OR h.monitored_since IS NULL OR h.monitored_since <= :end)"
)


def counts_by_group(engine: Engine, sql: str, **params) -> dict[int, int]:
    """``sql`` returns (group id, count) rows; as a dict."""
    with engine.connect() as conn:
        return {int(k): int(v) for k, v in conn.execute(text(sql), params).all()}


def nonzero_column(frame: pd.DataFrame, key: str, column: str) -> dict[int, int]:
    """A frame's column by group id, leaving out zeros (SQL GROUP BY has no rows for them)."""
    return {int(k): int(v) for k, v in zip(frame[key], frame[column], strict=True) if v}
