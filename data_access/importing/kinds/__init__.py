"""The kinds of ledger the county imports, in the order the page offers them."""

from __future__ import annotations

from data_access.importing.base import Kind
from data_access.importing.kinds.activity import Meetings, Registers, Visits
from data_access.importing.kinds.households import Households
from data_access.importing.kinds.income_years import IncomeYears
from data_access.importing.kinds.national import NationalExport
from data_access.importing.kinds.office import Benchmarks, Circulars, Findings, Rectification
from data_access.importing.kinds.people import Cadres
from data_access.importing.kinds.places import Places

KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Places(),
        Cadres(),
        Households(),
        NationalExport(),
        Registers(),
        IncomeYears(),
        Visits(),
        Rectification(),
        Circulars(),
        Meetings(),
        Findings(),
        Benchmarks(),
    )
}


class UnknownKindError(KeyError):
    """No kind of ledger has that name."""


def kind_named(name: str) -> Kind:
    """A kind by its key (registers) or its Chinese label (收支登记)."""
    wanted = name.strip()
    for kind in KINDS.values():
        if wanted in (kind.key, kind.label):
            return kind
    choices = "、".join(f"{k.label}（{k.key}）" for k in KINDS.values())
    raise UnknownKindError(f"没有“{wanted}”这类台账；可选：{choices}")
