"""Meta-tests that keep the project's conventions true."""

from __future__ import annotations

import re

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
