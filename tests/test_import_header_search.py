"""The header finder (data_access/importing/workbook.py: find_header) on sheets it has never seen:
whatever the header texts and however much the first data row looks like a header, the header it
settles on is the real one, or it asks."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.importing.batch import header_spec
from data_access.importing.kinds import KINDS
from data_access.importing.workbook import find_header

# Words a header or a data cell may hold: every kind's titles and aliases (a data row made of
# them is the adversary), and words no kind knows.
HEADER_WORDS = sorted(
    {title for kind in KINDS.values() for f in kind.fields for title in (f.title, *f.aliases)}
)
NOISE = ["序号", "备注", "其他", "情况说明", "所属组", "联系人", "是否", "类别二"]
TITLES = ["云岭县收支登记台账", "（2026年10月）", "填报单位：城关镇", None]


@st.composite
def sheets(draw):
    kind = draw(st.sampled_from(sorted(KINDS)))
    titles = draw(st.lists(st.sampled_from(TITLES), max_size=2))
    own = [f.title for f in KINDS[kind].fields]
    # A header of this kind: at least two of its own columns, among others and blanks.
    named = draw(st.lists(st.sampled_from(own), min_size=2, max_size=6, unique=True))
    others = draw(st.lists(st.one_of(st.sampled_from(NOISE), st.none()), max_size=4))
    header = draw(st.permutations([*named, *others]))
    # The first data row: header words of any kind, some blank, maybe a number.
    data = draw(
        st.lists(
            st.one_of(st.sampled_from(HEADER_WORDS), st.none(), st.integers(0, 99)),
            min_size=len(header),
            max_size=len(header),
        )
    )
    rows = [(title,) if title else () for title in titles]
    return kind, len(rows) + 1, [*rows, tuple(header), tuple(data)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_the_header_found_is_the_real_one_or_the_finder_asks(sheet):
    kind, header_row, rows = sheet
    search = find_header(rows, header_spec(KINDS[kind]))
    if search.header is not None:
        assert search.header.rows == (header_row,), rows


def test_a_data_row_of_header_words_under_a_real_header_makes_the_finder_ask():
    rows = [("户编号", "月份", "工资性收入（元）"), ("户主", "月份", "户编号")]
    search = find_header(rows, header_spec(KINDS["registers"]))
    assert search.header is None
    assert [h.rows for h in search.candidates] == [(1,), (2,)]


def test_a_title_that_names_a_field_above_the_header_makes_the_finder_ask():
    rows = [("月份", None, "收支情况"), ("户编号", "户主", "月份")]
    assert find_header(rows, header_spec(KINDS["registers"])).header is None
