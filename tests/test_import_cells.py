"""Reading one cell of a real-world ledger: numbers, dates, 身份证号, codes, yes/no."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data_access.demo.ids import id_check_character
from data_access.importing import cells
from data_access.importing.cells import CellError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1200, 1200.0),
        (1200.5, 1200.5),
        ("1,200.50", 1200.5),
        ("１２００", 1200.0),
        (" 300 ", 300.0),
        ("1，234", 1234.0),
        ("¥1,000元", 1000.0),
    ],
)
def test_numbers_written_as_text_with_separators_or_full_width_digits_are_read(value, expected):
    assert cells.number(value, minimum=0) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("-5", "不能为负数"), ("十二", "应为数字"), (True, "应为数字"), ("1.2.3", "应为数字")],
)
def test_a_number_that_is_negative_or_not_a_number_is_refused(value, reason):
    with pytest.raises(CellError, match=reason):
        cells.number(value, minimum=0)


@pytest.mark.parametrize(
    "value",
    [
        44752,
        "44752",
        datetime(2022, 7, 10),
        date(2022, 7, 10),
        "2022-07-10",
        "2022/7/10",
        "2022.7.10",
        "2022年7月10日",
        "２０２２年７月１０日",
        "20220710",
        20220710,
        "2022-07-10 00:00:00",
    ],
)
def test_every_spelling_of_a_date_in_real_ledgers_is_read(value):
    assert cells.day(value) == date(2022, 7, 10)


def test_a_date_with_a_time_keeps_the_time():
    assert cells.moment("2026/10/28 15:30") == datetime(2026, 10, 28, 15, 30)


@pytest.mark.parametrize("value", ["2022-02-30", "2022/13/1", "明天", "7月10日", 0, -3])
def test_an_impossible_or_unreadable_date_is_refused(value):
    with pytest.raises(CellError):
        cells.day(value)


@pytest.mark.parametrize(
    "value", ["2026-10", "2026/10", "2026.10", "2026年10月", "202610", date(2026, 10, 28)]
)
def test_a_month_is_read_as_its_first_day(value):
    assert cells.month(value) == date(2026, 10, 1)


def _id_number(stem: str) -> str:
    return stem + id_check_character(stem)


def test_an_id_number_with_a_lower_case_x_is_stored_upper_case():
    stem = next(
        f"45273119800101{n:03d}"
        for n in range(1000)
        if id_check_character(f"45273119800101{n:03d}") == "X"
    )
    assert cells.id_number(stem + "x") == stem + "X"
    assert cells.id_number(f" {stem}x ") == stem + "X"


def test_an_id_number_stored_as_a_number_has_lost_its_digits_and_is_refused():
    number = float(_id_number("45273119700101123"))
    with pytest.raises(CellError, match="15 位有效数字"):
        cells.id_number(number)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("45273119700101123", "应为 18 位"),
        ("45273119701301123" + "5", "出生日期无效"),
        ("452731197001011230", "校验位不正确"),
        ("45273119700101123Y", "末位为数字或 X"),
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(value, reason):
    with pytest.raises(CellError, match=reason):
        cells.id_number(value)


def test_a_long_code_stored_as_a_number_is_refused_and_a_short_one_read():
    with pytest.raises(CellError, match="末几位已丢失"):
        cells.code(4527311012010001.0, max_length=24)
    assert cells.code(452731101.0, max_length=12) == "452731101"
    assert cells.code(" ４５２７ ３１ ", max_length=12) == "452731"


@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("否", False), ("√", True), ("无", False), ("Y", True)]
)
def test_yes_and_no_are_read_in_their_usual_spellings(value, expected):
    assert cells.flag(value) is expected


def test_text_beginning_with_a_formula_sign_is_kept_as_typed():
    assert cells.text('=HYPERLINK("http://x")', max_length=100) == '=HYPERLINK("http://x")'
    assert cells.text("-", max_length=5) == "-"


def test_a_dash_alone_counts_as_a_blank_cell():
    assert cells.is_blank("-")
    assert cells.is_blank("／")
    assert cells.is_blank("  ")
    assert not cells.is_blank("无")


def test_several_codes_in_one_cell_are_split_on_the_usual_separators():
    assert cells.code_list("001、002，003 004;002", max_length=5) == ("001", "002", "003", "004")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<img src=http://198.51.100.7/x.png>", "<、>"),
        ("<style>h1{display:none}</style>", "<、>"),
        ("六合村<a href=x>", "<、>"),
        ("六合\x07村", "'\\x07'"),
    ],
)
def test_a_name_with_angle_brackets_or_control_characters_is_refused(value, shown):
    with pytest.raises(CellError, match="尖括号或控制字符") as refused:
        cells.name(value, max_length=80)
    assert shown in str(refused.value)


@pytest.mark.parametrize("value", ["六合村", "第一(二)组", "A-3 组", "张三·李四", "**粗体**"])
def test_names_without_markup_characters_are_kept(value):
    assert cells.name(value, max_length=80) == value.replace(" ", "")
