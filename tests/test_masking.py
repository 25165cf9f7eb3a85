"""Masking of 户主姓名 and 身份证号: the pure rule, and the SQL form agreeing with it on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import String, literal, select, text

from data_access.masking import (
    id_number_column,
    mask_id_number,
    mask_name,
    masked_id_sql,
    masked_name_sql,
    name_column,
)
from data_access.models import Household

NAMES = [("张三明", "张*明"), ("张三", "张*"), ("欧阳小明", "欧**明"), ("张", "*"), ("", "")]
ID_NUMBERS = [
    ("452731197001011234", "4527**********1234"),
    ("45273119700101123X", "4527**********123X"),
    ("452731700101123", "4527*******1123"),
    ("12345678", "********"),
]


@pytest.mark.parametrize(("name", "masked"), NAMES)
def test_a_name_keeps_only_its_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(("id_number", "masked"), ID_NUMBERS)
def test_an_id_number_keeps_only_its_first_four_and_last_four_characters(id_number, masked):
    assert mask_id_number(id_number) == masked


def test_the_sql_masks_agree_with_the_python_rule(demo_engine):
    cases = [name for name, _ in NAMES if name] + [number for number, _ in ID_NUMBERS]
    with demo_engine.connect() as conn:
        for value in cases:
            masked_name, masked_id = conn.execute(
                select(
                    masked_name_sql(literal(value, String)), masked_id_sql(literal(value, String))
                )
            ).one()
            assert masked_name == mask_name(value)
            assert masked_id == mask_id_number(value)


def test_every_household_head_is_masked_in_sql_as_in_python(demo_engine):
    with demo_engine.connect() as conn:
        full = conn.execute(text("SELECT id, head_name, head_id_number FROM households")).all()
        masked = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                select(
                    Household.id,
                    name_column(Household.head_name, personal_data=False),
                    id_number_column(Household.head_id_number, personal_data=False),
                )
            ).all()
        }
    assert len(full) > 100
    for household_id, name, id_number in full:
        assert masked[household_id] == (mask_name(name), mask_id_number(id_number))
        assert masked[household_id][0] != name
        assert masked[household_id][1] != id_number


def test_the_full_values_show_only_with_the_right_to_personal_data(demo_engine):
    query = select(
        name_column(Household.head_name, personal_data=True),
        id_number_column(Household.head_id_number, personal_data=True),
        Household.head_name,
        Household.head_id_number,
    ).limit(5)
    with demo_engine.connect() as conn:
        for shown_name, shown_id, name, id_number in conn.execute(query):
            assert (shown_name, shown_id) == (name, id_number)
