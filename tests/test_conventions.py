"""Meta-tests that keep the project's conventions true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dashboard.navigation import PAGES, PROJECT_ROOT

PAGE_FILES = sorted(
    p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "pages").glob("*.py")
)


def test_every_file_in_pages_is_registered_in_navigation():
    assert sorted(spec.file for spec in PAGES) == PAGE_FILES


def test_url_paths_are_unique_and_there_is_one_default_page():
    assert len({spec.url_path for spec in PAGES}) == len(PAGES)
    assert sum(spec.default for spec in PAGES) == 1


def test_every_page_is_named_in_a_test():
    tests = "\n".join(
        path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "tests").rglob("test_*.py")
    )
    missing = [f for f in PAGE_FILES if f.split("/")[1].removesuffix(".py") not in tests]
    assert missing == []


def test_pages_hold_no_sql_and_read_no_files():
    forbidden = re.compile(
        r"sqlalchemy|read_sql|\.execute\(|\bSELECT\b|\bselect\(|\bopen\(|pd\.read_|import sqlite3"
    )
    offenders = {
        f: forbidden.findall((PROJECT_ROOT / f).read_text(encoding="utf-8")) for f in PAGE_FILES
    }
    assert {f: found for f, found in offenders.items() if found} == {}


def test_every_page_shows_the_header_with_the_data_stamp():
    missing = [
        f
        for f in PAGE_FILES
        if "page_header(" not in (PROJECT_ROOT / f).read_text(encoding="utf-8")
    ]
    assert missing == []


# What reads the system clock: the calls, and the SQL that does it on the database's side.
_CLOCK_CALLS = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("Timestamp", "now"),
    ("Timestamp", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("settings", "today"),
    ("func", "now"),
    ("func", "current_timestamp"),
    ("func", "current_date"),
    ("func", "localtimestamp"),
}
_CLOCK_WORDS = re.compile(r"^(now|today)$|CURRENT_TIMESTAMP|CURRENT_DATE|\bnow\(\)", re.IGNORECASE)
# The app's code: everything but the tests. config/clock.py is the one place that may read it.
_APP_DIRS = ("config", "dashboard", "data_access", "pages", "bench")
_CLOCK_MODULE = "config/clock.py"


def _clock_readings(path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else ""
            )
            if (owner_name, node.func.attr) in _CLOCK_CALLS:
                found.append(f"line {node.lineno}: {owner_name}.{node.func.attr}()")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _CLOCK_WORDS.search(node.value)
        ):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_only_the_clock_reads_the_system_time():
    offenders = {}
    for folder in _APP_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            found = _clock_readings(path)
            if name != _CLOCK_MODULE and found:
                offenders[name] = found
    assert offenders == {}


def test_the_convention_check_finds_a_clock_reading(tmp_path):
    # The check above must be able to fail.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime, time\n"
        "a = datetime.date.today()\n"
        "b = time.time()\n"
        "c = settings.today()\n"
        "d = select(func.now())\n"
        "e = np.datetime64('today')\n",
        encoding="utf-8",
    )
    assert len(_clock_readings(sample)) == 5


_CHOICE_WIDGETS = {
    "selectbox",
    "multiselect",
    "radio",
    "segmented_control",
    "pills",
    "select_slider",
}
_CHOICE_HELPERS = "dashboard/components/layout.py"


def _choice_widget_calls(path: Path) -> list[str]:
    """Calls of a Streamlit choice widget (``x.selectbox(…)`` and the like) in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"line {node.lineno}: {node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _CHOICE_WIDGETS
    ]


def test_every_choice_widget_refuses_a_value_it_never_offered():
    # A forged browser message hands a select back any text; choose/choose_many stop on it.
    offenders = {}
    for folder in ("dashboard", "pages"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            found = _choice_widget_calls(path)
            if name != _CHOICE_HELPERS and found:
                offenders[name] = found
    assert offenders == {}


def test_the_choice_widget_check_finds_a_bare_select(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "a = st.selectbox('x', [1])\nb = column.multiselect('y', [2])\nc = choose('z', [3])\n",
        encoding="utf-8",
    )
    assert len(_choice_widget_calls(sample)) == 2


def test_every_data_grid_marks_an_empty_cell_in_chinese_terms():
    # Streamlit writes "None" into an empty cell; show_table gives every grid the "—" mark.
    offenders = {}
    for folder in ("dashboard", "pages"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found = [
                f"line {node.lineno}: {node.func.attr}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"dataframe", "data_editor"}
            ]
            if name != _CHOICE_HELPERS and found:
                offenders[name] = found
    assert offenders == {}
