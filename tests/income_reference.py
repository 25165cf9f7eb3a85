"""An independent computation of every household's income for the year, in pandas from the raw
tables, for checking the SQL of data_access/income/ against (tests only: it reads every
register of the demo county)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from config.settings import IncomeSettings
from data_access.periods import month_end
from tests.independent import ON_RECORD


def reference_incomes(engine: Engine, *, month: date, settings: IncomeSettings) -> pd.DataFrame:
    """One row per household on record by the month's end (independent.ON_RECORD):
    household_id, township_id, village_id, household_type, members, months, ytd_net,
    projected_per_capita (NaN = no data), last_year_per_capita (NaN = unknown), band, fell,
    below_line."""
    with engine.connect() as conn:
        households = pd.DataFrame(
            conn.execute(
                text(
                    "SELECT id AS household_id, township_id, village_id, household_type, members "
                    f"FROM households h WHERE {ON_RECORD}"
                ),
                {"end": month_end(month)},
            )
            .mappings()
            .all()
        )
        registers = pd.DataFrame(
            conn.execute(
                text(
                    "SELECT household_id, month, "
                    "wage + business + property + transfer - production_cost AS net "
                    "FROM income_registers"
                )
            )
            .mappings()
            .all()
        )
        last_year = pd.DataFrame(
            conn.execute(
                text(
                    "SELECT household_id, members AS last_members, "
                    "wage + business + property + transfer - production_cost AS last_total "
                    "FROM income_years WHERE year = :year"
                ),
                {"year": month.year - 1},
            )
            .mappings()
            .all()
        )
    registers["month"] = pd.to_datetime(registers["month"]).dt.date
    this_year = registers[
        (registers["month"] >= date(month.year, 1, 1)) & (registers["month"] <= month)
    ]
    same_months = registers[
        (registers["month"] >= date(month.year - 1, 1, 1))
        & (registers["month"] <= date(month.year - 1, month.month, 1))
    ]
    frame = (
        households.merge(
            this_year.groupby("household_id")["net"].agg(months="count", ytd_net="sum"),
            on="household_id",
            how="left",
        )
        .merge(
            same_months.groupby("household_id")["net"].sum().rename("same_months"),
            on="household_id",
            how="left",
        )
        .merge(last_year, on="household_id", how="left")
    )
    frame["months"] = frame["months"].fillna(0).astype(int)
    months = frame["months"].replace(0, np.nan)
    linear = frame["ytd_net"] * 12 / months
    if settings.projection_method == "linear":
        projected = linear
    else:
        usable = (frame["same_months"] > 0) & (frame["last_total"] > 0)
        scaled = (
            frame["ytd_net"] * month.month / months * frame["last_total"] / frame["same_months"]
        )
        projected = scaled.where(usable, linear)
    projected = projected.where(frame["months"] >= settings.projection_min_months)
    frame["projected_per_capita"] = projected / frame["members"]
    frame["last_year_per_capita"] = frame["last_total"] / frame["last_members"]
    edges = settings.band_edges_for(month.year)
    per_capita = frame["projected_per_capita"]
    frame["band"] = [
        -1 if pd.isna(value) else sum(value >= edge for edge in edges) for value in per_capita
    ]
    frame["fell"] = per_capita < frame["last_year_per_capita"]
    frame["below_line"] = per_capita < settings.line_for(month.year)
    return frame
