"""The one clock: every "now" and "today" in the app is read from a ``Clock``.

It has two readings, because the app asks two different questions:

- ``reporting_date()``: the day the figures are reckoned to. Countdowns, 逾期, "open today" and the
  default month are counted from it. ``[clock] reporting_date`` fixes it (a report as of a chosen
  day); otherwise it is the wall clock's date.
- ``now()``: when something happens. Audit entries, sign-in and lockout, the idle timeout, import
  batches, draws and status history are stamped with it, and "not in the future" means "not after
  its date". ``[clock] wall_clock`` fixes it, for tests and rehearsals only (production refuses it).

Both are read in the county's time zone (``[clock] time_zone``) whatever time zone the server
runs in. Record times are stored as naive county-local times, so they are shown as stored.
Elapsed-time measurements (the wall's refresh timer, the bench) use ``time.monotonic`` or
``time.perf_counter``: they ask "how long", not "when".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clock:
    # An IANA time zone name, e.g. "Asia/Shanghai".
    time_zone: str
    # Fixed readings; None reads the system clock.
    fixed_reporting_date: date | None = None
    fixed_now: datetime | None = None

    def now(self) -> datetime:
        """The wall clock: the county's local time, naive, to the second."""
        if self.fixed_now is not None:
            return self.fixed_now
        # The one place that reads the system clock.
        local = datetime.now(ZoneInfo(self.time_zone))
        return local.replace(tzinfo=None, microsecond=0)

    def wall_date(self) -> date:
        """The wall clock's date: a record dated after it lies in the future."""
        return self.now().date()

    def reporting_date(self) -> date:
        """The day countdowns, 逾期 and the default month are reckoned from."""
        return self.fixed_reporting_date or self.wall_date()

    @property
    def fixed(self) -> bool:
        """True when the wall clock does not move (tests and rehearsals)."""
        return self.fixed_now is not None
