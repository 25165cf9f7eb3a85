"""Stored text never becomes markup: names and texts with HTML, markdown, directives and formulas
put straight into the database (as a careless ledger or an old version of the importer would have
left them) render on every page as the text they are.

Each page is rendered through AppTest as the administrator (every page, personal data shown), and
every element that Streamlit or the browser reads as markup (markdown, captions, alerts,
headings, HTML, plotly figures, labels) is searched for the payloads as typed: an escaped payload
no longer contains itself (escaping.markdown puts a backslash before each mark, escaping.html and
escaping.plotly turn ``<`` into ``&lt;``). Plain-text elements (data grids, select options, text
inputs) show the text as typed, which is what they are for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT
from tests.clock import WALL_CLOCK
from tests.hostile import (
    BOLD,
    DIRECTIVE,
    IMAGE,
    LINK,
    PICTURE,
    STYLE,
    plant_hostile_strings,
)
from tests.import_helpers import writable_demo
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")

# HTML payloads matter wherever HTML is read (markdown too: Streamlit passes some tags through);
# markdown payloads only where markdown is (HTML and plotly read ** and [..](..) as text).
HTML_PAYLOADS = (IMAGE, STYLE)
MARKDOWN_PAYLOADS = (LINK, PICTURE, BOLD, DIRECTIVE)
# Elements that read HTML, not markdown.
HTML_ONLY = {"html", "plotly_chart"}

# Elements that show their text as plain text: the payload may stand there as typed.
PLAIN_TEXT = {
    "arrow_data_frame",
    "dataframe",
    "table",
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "code",  # a code block shows its text as typed (the 总览 summary paragraph to copy)
    "deck_gl_json_chart",  # names only as TextLayer glyphs; its tooltip is tested on its own
}


@pytest.fixture(scope="module")
def hostile_demo(demo_sqlite_path: Path, tmp_path_factory) -> Path:
    engine = writable_demo(demo_sqlite_path, tmp_path_factory.mktemp("hostile"))
    plant_hostile_strings(engine, at=WALL_CLOCK)
    path = Path(engine.url.database)
    engine.dispose()
    return path


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _markup_texts(app: AppTest) -> list[tuple[str, str]]:
    return [
        (node.type, str(node.proto))
        for node in _nodes(app._tree)
        if getattr(node, "type", None) not in PLAIN_TEXT and getattr(node, "proto", None)
    ]


@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path for spec in PAGES])
def test_no_page_renders_stored_text_as_markup(
    hostile_demo, monkeypatch, any_day_config_path, spec
):
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{hostile_demo}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(any_day_config_path))
    app = AppTest.from_file(APP, default_timeout=90)
    if not spec.default:
        app.switch_page(str(spec.path))
    logged_in(app, "admin")
    assert not app.exception
    shown = _markup_texts(app)
    assert shown, "the page showed nothing to check"
    leaks = [
        (element, payload, body[max(0, body.find(payload) - 80) : body.find(payload) + 80])
        for element, body in shown
        for payload in HTML_PAYLOADS + (() if element in HTML_ONLY else MARKDOWN_PAYLOADS)
        if payload in body
    ]
    assert leaks == []
