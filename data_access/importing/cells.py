"""Reading one cell of a real-world ledger into a typed value, or saying in Chinese why not.

Ledgers typed by hand and exported by other systems carry numbers as text, thousands separators,
full-width digits, dates in half a dozen spellings, and 身份证号 that Excel turned into a
floating-point number. Every converter here takes the raw value openpyxl read (str, int, float,
datetime, date, time, bool or None) and returns the value or raises CellError with the reason.
A converter never sees a blank cell: ``is_blank`` is checked first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Any

from openpyxl.utils.datetime import from_excel

from data_access.demo.ids import CHECK_CHARACTERS, CHECK_WEIGHTS

# Excel keeps 15 significant digits of a number: a longer code stored as a number lost its tail.
EXCEL_DIGITS = 15
# Serial numbers of 1900-01-01 and 9999-12-31 in Excel's 1900 date system.
FIRST_SERIAL, LAST_SERIAL = 1, 2_958_465
# Cells holding only a dash or a slash mean "nothing" in many ledgers.
NOTHING_MARKS = frozenset({"-", "—", "–", "/", "－", "／"})
_SPACES = re.compile(r"\s+")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.\d+)?)?)?"
)
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_COMPACT_MONTH = re.compile(r"(\d{4})(\d{2})")
_TRUE = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对"})
_FALSE = frozenset({"否", "无", "没有", "n", "no", "false", "0", "×", "✗", "✘", "x", "不是"})
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_TEN_THOUSANDS = re.compile(r"(\d+(?:\.\d+)?)万")
_COUNT_UNIT = re.compile(r"(?<=\d)\s*[人口户个]$")


class CellError(ValueError):
    """A cell's value cannot be read as what its column holds; the message says why, in Chinese."""


class Percent(float):
    """A number whose cell is formatted as a percentage: Excel stores 7.5% as 0.075.

    It behaves as the stored fraction; ``shown`` is the number the person sees and typed (7.5).
    """

    @property
    def shown(self) -> float:
        return round(float(self) * 100, 10)


# Every format character (Unicode category Cf) of the Basic Multilingual Plane, as one class.
_INVISIBLE = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")
    + "]"
)


def _visible(text: str) -> str:
    """``text`` without the invisible characters copied along from web pages and chat: zero-width
    spaces and joiners, the byte-order mark, soft hyphens (Unicode category Cf)."""
    return _INVISIBLE.sub("", text)


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation folded to ASCII (NFKC; a no-break space becomes
    a space), invisible characters removed, ends stripped."""
    return _visible(unicodedata.normalize("NFKC", text)).strip()


def key_text(value: Any) -> str:
    """A value that identifies something (a code, a 文号, a name), folded so that what a person
    reads as the same key is the same key: NFKC, no invisible characters, no white space at all."""
    return _SPACES.sub("", normalise(display(value)))


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if not isinstance(value, str):
        return False
    folded = normalise(value)
    return not folded or folded in NOTHING_MARKS


def display(value: Any) -> str:
    """The value as a person would read it in the cell (for messages and the rejected rows)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, Percent):
        return f"{value.shown:g}%"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10**EXCEL_DIGITS:
            return str(int(value))
        return f"{value:.15g}"
    return str(value)


# --- text ----------------------------------------------------------------------------------------


def text(value: Any, *, max_length: int) -> str:
    """Free text, stored as typed (a leading = + - @ included: it is never evaluated), less
    invisible characters and surrounding white space."""
    result = _visible(display(value)).strip()
    if len(result) > max_length:
        raise CellError(f"超过 {max_length} 个字（共 {len(result)} 个字）")
    return result


def name(value: Any, *, max_length: int) -> str:
    """A person's, unit's or place's name, folded as a key (spaces used to align names in a
    column, full-width letters and digits, invisible characters). A name with ``<`` or ``>``
    or a control character is refused: no real name has one, and in a page it would be markup."""
    result = key_text(value)
    if len(result) > max_length:
        raise CellError(f"超过 {max_length} 个字（共 {len(result)} 个字）")
    refused = sorted({ch for ch in result if ch in "<>" or unicodedata.category(ch) == "Cc"})
    if refused:
        shown = "、".join(repr(ch) if unicodedata.category(ch) == "Cc" else ch for ch in refused)
        raise CellError(f"名称中不能有 {shown}（尖括号或控制字符）")
    return result


def _digits_of_number(value: int | float, what: str) -> str:
    if isinstance(value, bool):
        raise CellError(f"{what}应为数字")
    if isinstance(value, float) and not value.is_integer():
        raise CellError(f"{what}不应有小数")
    # More than 15 digits stored as a number, as an int or a float alike: Excel kept only the
    # first 15 and filled the rest with zeros, so the value may equal another code.
    if abs(value) >= 10**EXCEL_DIGITS:
        raise CellError(
            f"{what}以数字格式保存，Excel 只保留 {EXCEL_DIGITS} 位有效数字，末几位已丢失"
            "（可能与别的编码相同）；请把该列设为“文本”格式后重新录入"
        )
    return str(int(value))


def code(value: Any, *, max_length: int, digits_only: bool = True) -> str:
    """An identifier such as 户编号, 村代码 or 问题编号 (digits, or letters, digits and dashes)."""
    if isinstance(value, int | float):
        result = _digits_of_number(value, "编码")
    else:
        result = key_text(value).upper()
    pattern = r"\d+" if digits_only else r"[0-9A-Z][0-9A-Z_\-]*"
    if not re.fullmatch(pattern, result):
        wanted = "只能由数字组成" if digits_only else "只能由字母、数字和短横线组成"
        raise CellError(f"编码{wanted}")
    if len(result) > max_length:
        raise CellError(f"编码超过 {max_length} 位")
    return result


def code_list(value: Any, *, max_length: int) -> tuple[str, ...]:
    """Several codes in one cell, separated by commas, 、, semicolons or spaces."""
    if isinstance(value, int | float):
        return (code(value, max_length=max_length),)
    parts = [part for part in _LIST_SEPARATORS.split(normalise(display(value))) if part]
    return tuple(dict.fromkeys(code(part, max_length=max_length) for part in parts))


def phone(value: Any) -> str:
    """A mobile (11 digits, starting with 1) or landline number (area code and dash allowed)."""
    if isinstance(value, int | float):
        result = _digits_of_number(value, "电话号码")
    else:
        result = key_text(value)
    digits = result.replace("-", "")
    if not digits.isdigit():
        raise CellError("电话号码只能由数字和短横线组成")
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and not digits.startswith("1"):
        return result
    raise CellError("应为 11 位手机号或带区号的固定电话")


# --- 身份证号 ------------------------------------------------------------------------------------


def id_check_ok(number: str) -> bool:
    """Whether the 18th character is the GB 11643 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(number[:17], CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11] == number[17]


def id_number(value: Any) -> str:
    """An 18-character 身份证号 (upper-case X), with a valid birth date and check character."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An 18-digit number cannot be stored in Excel: a number here has lost its last digits
        # (however it reads), and a shorter one is not a 身份证号 at all.
        if abs(value) >= 10**EXCEL_DIGITS:
            raise CellError(
                "身份证号以数字格式保存，Excel 只保留 15 位有效数字，末三位已丢失；"
                "请把该列设为“文本”格式后重新录入"
            )
        raise CellError(f"身份证号应为 18 位，实为 {len(display(value))} 位")
    result = key_text(value).upper()
    if len(result) != 18:
        raise CellError(f"身份证号应为 18 位，实为 {len(result)} 位")
    if not (result[:17].isdigit() and (result[17].isdigit() or result[17] == "X")):
        raise CellError("身份证号前 17 位应为数字，末位为数字或 X")
    try:
        date(int(result[6:10]), int(result[10:12]), int(result[12:14]))
    except ValueError:
        raise CellError("身份证号中的出生日期无效") from None
    if not id_check_ok(result):
        raise CellError("身份证号校验位不正确（可能有数字录错）")
    return result


# --- numbers -------------------------------------------------------------------------------------


def _number_text(value: Any) -> str:
    result = normalise(display(value))
    for noise in (",", " ", "\u3000", "元", "¥", "￥"):
        result = result.replace(noise, "")
    return result


def _not_a_number(value: Any) -> CellError:
    spelled = _number_text(value)
    if match := _TEN_THOUSANDS.fullmatch(spelled):
        # A guess at what "1.2万" means would be a guess: say how to write it instead.
        hint = f"{float(match.group(1)) * 10_000:,.0f}".replace(",", "")
        return CellError(f"应为数字（“{display(value).strip()}”请写作 {hint}）")
    return CellError("应为数字")


def number(value: Any, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """A number, written as a number or as text (thousands separators, full-width digits)."""
    if isinstance(value, bool):
        raise CellError("应为数字")
    if isinstance(value, int | float):
        result = float(value)
    else:
        try:
            result = float(_number_text(value))
        except ValueError:
            raise _not_a_number(value) from None
    if not math.isfinite(result):
        raise CellError("应为数字")
    if minimum is not None and result < minimum:
        raise CellError("不能为负数" if minimum == 0 else f"不能小于 {minimum:g}")
    if maximum is not None and result > maximum:
        raise CellError(f"不能大于 {maximum:,.0f}")
    return result


class WrittenAsPercent(float):
    """A number in percent that the sheet wrote as a percentage (a percent-formatted cell or
    text ending in %), so a column meant for yuan can tell it was given a rate."""


def percentage(value: Any, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """A number in percent as the person reads it: 7.5 for a cell showing 7.5% (stored 0.075
    with a percentage format) and for the text "7.5%" (both WrittenAsPercent), and for 7.5 typed
    plainly."""
    if isinstance(value, Percent):
        return WrittenAsPercent(number(value.shown, minimum=minimum, maximum=maximum))
    if isinstance(value, str) and normalise(value).endswith("%"):
        spelled = normalise(value)[:-1]
        return WrittenAsPercent(number(spelled, minimum=minimum, maximum=maximum))
    return number(value, minimum=minimum, maximum=maximum)


def integer(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number; a count written with its unit (4人, 3户) is read as the count."""
    if isinstance(value, str):
        value = _COUNT_UNIT.sub("", normalise(value))
    result = number(value, minimum=minimum, maximum=maximum)
    if not result.is_integer():
        raise CellError("应为整数")
    return int(result)


def flag(value: Any) -> bool:
    """是/否 (also 有/无, Y/N, 1/0, √/×)."""
    if isinstance(value, bool):
        return value
    word = normalise(display(value)).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError("应填“是”或“否”")


def choice(value: Any, *, options: tuple[str, ...]) -> str:
    word = _SPACES.sub("", normalise(display(value)))
    for option in options:
        if _SPACES.sub("", normalise(option)) == word:
            return option
    raise CellError(f"应为 {'、'.join(options)} 之一")


# --- dates ---------------------------------------------------------------------------------------


def _from_serial(value: float) -> datetime:
    if not FIRST_SERIAL <= value <= LAST_SERIAL:
        raise CellError("不是有效的日期")
    return from_excel(value)


def moment(value: Any) -> datetime:
    """A date and time: a date cell, an Excel serial number, or text such as 2022-07-10,
    2022/7/10, 2022.7.10, 2022年7月10日 or 20220710 (a time of day may follow)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time(0))
    if isinstance(value, time):
        raise CellError("只有时间，没有日期")
    if isinstance(value, bool):
        raise CellError("不是有效的日期")
    if isinstance(value, int) and 19000101 <= value <= 99991231:
        value = str(value)  # 20220710 typed as a number
    if isinstance(value, int | float):
        return _from_serial(float(value))
    spelled = normalise(display(value))
    parts: tuple[str | None, ...] | None = None
    if match := _DATE.fullmatch(spelled):
        parts = match.groups()
    elif match := _COMPACT_DATE.fullmatch(spelled):
        parts = (*match.groups(), None, None, None)
    elif re.fullmatch(r"\d{5}(\.\d+)?", spelled):
        return _from_serial(float(spelled))
    if parts is None:
        raise CellError("不是可识别的日期（示例：2022-07-10）")
    try:
        numbers = [int(part) if part else 0 for part in parts]
        return datetime(*numbers)  # type: ignore[arg-type]
    except ValueError:
        raise CellError("不是有效的日期") from None


def day(value: Any) -> date:
    return moment(value).date()


def month(value: Any) -> date:
    """The first day of a month: a date, 2022-07, 2022/7, 2022年7月, 202207 (as text or, as the
    national system exports it, as a number) or a full date."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 190001 <= value <= 999912:
        if not float(value).is_integer():
            raise CellError("不是有效的月份（示例：202207）")
        value = str(int(value))
    if isinstance(value, str):
        spelled = normalise(value)
        match = _MONTH.fullmatch(spelled) or _COMPACT_MONTH.fullmatch(spelled)
        if match:
            year, number_of_month = (int(part) for part in match.groups())
            if not 1 <= number_of_month <= 12:
                raise CellError("月份应在 1 到 12 之间")
            return date(year, number_of_month, 1)
    return day(value).replace(day=1)
