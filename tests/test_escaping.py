"""Stored text shown as text: the three helpers of dashboard.escaping against hostile strings, and
the figures and the map built from a hostile township or village name."""

from __future__ import annotations

import html
import json
import re
import string
import unicodedata
from datetime import date
from html.parser import HTMLParser

import pandas as pd
import pytest

from dashboard import escaping
from dashboard.charts.overview import township_rates_figure
from dashboard.charts.rankings import contributions_figure, rank_trend_figure
from dashboard.charts.rectification import burndown_figure, progress_figure
from dashboard.charts.visits_map import LABEL_LAYER, TOOLTIP, VILLAGE_LAYER, coverage_deck
from dashboard.charts.wall import overdue_figure
from dashboard.meeting.screen import DESIGN_SCREEN
from data_access.rankings import INDICATOR_DEFINITIONS

HOSTILE = [
    "<img src=http://198.51.100.7/x.png>",
    "![x](http://198.51.100.7/a.png)",
    "**粗体**",
    "[重新登录](http://evil)",
    ":red[红]",
    "$x$",
    "<style>h1{display:none}</style>",
    "马庄镇\n# 标题",
    "<a href='http://evil'>点我</a>",
    "%{x}%{y:.1f}<br>注入",
    "a\x00b\x07c\x1b[31md\u2028e\r\nf\tg",
    "&lt;已转义&gt; & 1 < 2",
    "\\*反斜杠\\",
]
# A township name that is an image, a link and a plotly template at once.
EVIL_TOWNSHIP = "<img src=http://198.51.100.7/x.png>马庄镇%{x}"
EVIL_VILLAGE = "<a href='http://198.51.100.7/'>东风村</a>"


def printable(value: str) -> str:
    """What the helpers keep of ``value``: line breaks as one space, control characters gone."""
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", value)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


class _Markup(HTMLParser):
    """Everything an HTML parser reads as markup rather than text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.append(f"<{tag}>")

    def handle_endtag(self, tag):
        self.found.append(f"</{tag}>")

    def handle_comment(self, data):
        self.found.append("<!--")

    def handle_decl(self, decl):
        self.found.append("<!")

    def handle_pi(self, data):
        self.found.append("<?")

    def handle_data(self, data):
        self.text.append(data)


def parsed(markup: str) -> _Markup:
    parser = _Markup()
    parser.feed(markup)
    parser.close()
    return parser


def unescaped_punctuation(text: str) -> list[str]:
    """The ASCII punctuation marks of ``text`` not preceded by a backslash (a backslash itself
    must escape a punctuation mark)."""
    bad, position = [], 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following not in set(string.punctuation):
                bad.append("\\")
            position += 2
            continue
        if char in string.punctuation:
            bad.append(char)
        position += 1
    return bad


def no_controls(text: str) -> bool:
    return all(unicodedata.category(ch) != "Cc" for ch in text) and "\u2028" not in text


@pytest.mark.parametrize("value", HOSTILE)
def test_html_leaves_no_tag_and_reads_back_as_the_text(value):
    escaped = escaping.html(value)
    assert "<" not in escaped
    assert ">" not in escaped
    assert '"' not in escaped
    assert "'" not in escaped
    assert no_controls(escaped)
    # Element content or a quoted attribute: the parser sees text only, the text typed.
    for markup in (f"<div>{escaped}</div>", f'<span title="{escaped}"></span>'):
        result = parsed(markup)
        assert len(result.found) == 2
    assert "".join(parsed(f"<div>{escaped}</div>").text) == printable(value)
    assert html.unescape(escaped) == printable(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_escapes_every_punctuation_mark(value):
    escaped = escaping.markdown(value)
    assert unescaped_punctuation(escaped) == []
    # One line: no heading, list or block can start inside it.
    assert "\n" not in escaped
    assert "\r" not in escaped
    assert no_controls(escaped)
    # CommonMark reads a backslash-escaped mark as the mark itself: the text as typed (with the
    # invisible word joiners that keep a URL from becoming a link).
    assert re.sub(r"\\(.)", r"\1", escaped).replace("\u2060", "") == printable(value)


def test_markdown_leaves_no_link_image_emphasis_directive_or_formula():
    for value, start in [
        ("![x](http://198.51.100.7/a.png)", "\\!\\[x\\]\\(http\u2060\\:"),
        ("[重新登录](http://evil)", "\\[重新登录\\]\\(http"),
        ("**粗体**", "\\*\\*粗体\\*\\*"),
        (":red[红]", "\\:red\\[红\\]"),
        ("$x$", "\\$x\\$"),
        ("<img src=x>", "\\<img src\\=x\\>"),
        ("马庄镇\n# 标题", "马庄镇 \\# 标题"),
    ]:
        assert escaping.markdown(value).startswith(start)


@pytest.mark.parametrize(
    "value",
    [
        "http://198.51.100.7/a.png",
        "见HTTPS://evil.example/x",
        "www.evil.example",
        "联系 admin@evil.example",
        "六合镇<img src=http://198.51.100.7/t.png>",
    ],
)
def test_markdown_leaves_no_url_or_address_for_the_autolinker(value):
    # remark-gfm links a URL, www. or an e-mail address in the text it parsed, escapes or not.
    read = re.sub(r"\\(.)", r"\1", escaping.markdown(value))
    assert re.search(r"(?i)https?:|www\.|@[\w-]", read) is None


def test_plain_chinese_names_are_unchanged():
    for name in ["马庄镇", "东风村", "县乡村振兴局", "张三", "第一季度节点"]:
        assert escaping.html(name) == name
        assert escaping.markdown(name) == name
        assert escaping.plotly(name) == name


@pytest.mark.parametrize("value", HOSTILE)
def test_plotly_leaves_no_tag(value):
    escaped = escaping.plotly(value)
    assert "<" not in escaped
    assert ">" not in escaped
    assert no_controls(escaped)
    assert html.unescape(escaped) == printable(value)


def test_none_is_empty():
    assert escaping.html(None) == escaping.markdown(None) == escaping.plotly(None) == ""


# --- figures and the map ---------------------------------------------------------------------


def strings(node) -> list[str]:
    """Every string in a JSON document (keys and values)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [key, *strings(value)]]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def assert_no_markup_from(document, *names: str) -> None:
    """No raw tag of the hostile names anywhere in ``document`` (a figure's or a deck's JSON)."""
    for text in strings(document):
        assert "<img" not in text, text
        assert "<a " not in text, text
        for name in names:
            assert name not in text, text


def figure_json(figure) -> dict:
    return json.loads(figure.to_json())


def hovertemplates(figure) -> list[str]:
    return [trace.hovertemplate or "" for trace in figure.data]


def ranked(names: list[str]) -> pd.DataFrame:
    rows = []
    for place, name in enumerate(names):
        row = {"rank": place + 1, "name": name, "circular_points": -1.0 * place}
        for indicator in INDICATOR_DEFINITIONS:
            row[f"{indicator.key}_points"] = 10.0 - place
            row[f"{indicator.key}_rate"] = 0.9
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_ranking_chart_shows_a_hostile_name_as_text():
    figure = contributions_figure(
        ranked(["城关镇", EVIL_TOWNSHIP]), indicators=INDICATOR_DEFINITIONS
    )
    assert_no_markup_from(figure_json(figure), EVIL_TOWNSHIP)
    assert list(figure.data[0].y) == [f"2. {escaping.plotly(EVIL_TOWNSHIP)}", "1. 城关镇"]
    assert list(figure.layout.yaxis.tickvals) == list(figure.data[0].y)
    for template in hovertemplates(figure):
        assert template.startswith("%{y}<br>")
        assert "马庄镇" not in template


def test_the_rank_trend_reads_the_name_as_data_not_as_a_template():
    history = pd.DataFrame(
        {
            "name": [EVIL_TOWNSHIP, EVIL_TOWNSHIP, "城关镇"],
            "month": [date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 1)],
            "rank": [2, 1, 2],
        }
    )
    figure = rank_trend_figure(history, [EVIL_TOWNSHIP, "城关镇"])
    assert_no_markup_from(figure_json(figure), EVIL_TOWNSHIP)
    assert [trace.name for trace in figure.data] == [escaping.plotly(EVIL_TOWNSHIP), "城关镇"]
    assert hovertemplates(figure) == ["%{fullData.name}<br>%{x}：第 %{y} 名<extra></extra>"] * 2
    assert list(figure.data[0].y) == [2, 1]


def test_the_overview_chart_shows_a_hostile_name_as_text():
    frame = pd.DataFrame(
        {
            "name": ["城关镇", EVIL_TOWNSHIP],
            "register_rate": [0.9, 0.8],
            "visit_rate": [0.95, 0.7],
        }
    )
    figure = township_rates_figure(frame)
    assert_no_markup_from(figure_json(figure), EVIL_TOWNSHIP)
    assert escaping.plotly(EVIL_TOWNSHIP) in list(figure.data[1].y)
    assert list(figure.layout.yaxis.tickvals) == list(figure.data[1].y)
    assert all("马庄镇" not in template for template in hovertemplates(figure))


def test_the_rectification_charts_show_hostile_names_as_text():
    progress = pd.DataFrame(
        {
            "name": [EVIL_TOWNSHIP, "城关镇"],
            "total": [10, 8],
            "closed": [2, 6],
            "open": [8, 2],
            "overdue": [3, 0],
            "closed_share": [0.2, 0.75],
        }
    )
    figure = progress_figure(progress, title="按乡镇")
    assert_no_markup_from(figure_json(figure), EVIL_TOWNSHIP)
    assert escaping.plotly(EVIL_TOWNSHIP) in list(figure.data[0].y)
    assert all("马庄镇" not in template for template in hovertemplates(figure))

    days = pd.to_datetime(["2026-10-01", "2026-11-01"])
    history = pd.DataFrame({"day": days, "open": [10, 8]})
    target = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-11-01", "2026-12-31"]),
            "open": [8, 0],
            "name": ["", EVIL_VILLAGE],
        }
    )
    pace = pd.DataFrame({"day": days, "open": [8.0, 6.0]})
    burndown = burndown_figure(history, target, pace, today=date(2026, 11, 1))
    assert_no_markup_from(figure_json(burndown), EVIL_VILLAGE)
    assert [a.text for a in burndown.layout.annotations] == [escaping.plotly(EVIL_VILLAGE)]


def test_the_wall_chart_shows_a_hostile_name_as_text():
    by_township = pd.DataFrame(
        {"name": [EVIL_TOWNSHIP, "城关镇"], "overdue": [3, 1], "open": [5, 2]}
    )
    figure = overdue_figure(by_township, rows=5, screen=DESIGN_SCREEN, height=600)
    assert_no_markup_from(figure_json(figure), EVIL_TOWNSHIP)
    assert list(figure.data[0].y) == ["城关镇", escaping.plotly(EVIL_TOWNSHIP)]


def square(west: float, south: float, size: float) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_the_map_tooltip_reads_only_escaped_names():
    townships = pd.DataFrame(
        {
            "township_id": [1, 2],
            "township": [EVIL_TOWNSHIP, "城关镇"],
            "boundary": [square(107.0, 24.0, 0.3), square(107.3, 24.0, 0.3)],
            "center_lon": [107.15, 107.45],
            "center_lat": [24.15, 24.15],
        }
    )
    villages = pd.DataFrame(
        {
            "village_id": [11, 12],
            "village": [EVIL_VILLAGE, "东风村"],
            "township": [EVIL_TOWNSHIP, "城关镇"],
            "lon": [107.1, 107.4],
            "lat": [24.1, 24.1],
            "covered": [10, 20],
            "unvisited": [2, 0],
            "coverage": [0.8, 1.0],
        }
    )
    deck = coverage_deck(villages, townships, selected_village_id=11)
    spec = json.loads(deck.to_json())
    # The township labels are drawn as glyphs (deck.gl's TextLayer reads no markup): the one
    # layer that carries the names as they are.
    labels = [layer for layer in spec["layers"] if layer["id"] == LABEL_LAYER]
    assert [layer["@@type"] for layer in labels] == ["TextLayer"]
    assert_no_markup_from(
        [layer for layer in spec["layers"] if layer["id"] != LABEL_LAYER],
        EVIL_TOWNSHIP,
        EVIL_VILLAGE,
    )
    tooltip = deck._tooltip["html"]  # what streamlit sends to the browser
    assert tooltip == TOOLTIP["html"]
    assert "{village_html}" in tooltip
    assert "{township_html}" in tooltip
    assert not re.search(r"\{(village|township)\}", tooltip)
    # The tooltip as the browser fills it in for each point.
    [points] = [layer["data"] for layer in spec["layers"] if layer["id"] == VILLAGE_LAYER]
    for point in points:
        shown = re.sub(r"\{(\w+)\}", lambda match, p=point: str(p[match.group(1)]), tooltip)
        assert "<img" not in shown
        assert "<a " not in shown
    assert points[0]["village_html"] == escaping.html(EVIL_VILLAGE)
    assert points[0]["township_html"] == escaping.html(EVIL_TOWNSHIP)
    assert points[1]["village_html"] == "东风村"
