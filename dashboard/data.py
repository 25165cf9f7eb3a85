"""The one way pages reach the database: cached calls of data_access functions.

Results are cached per function, arguments (the viewer's scope among them) and data version, so a
commit that bumps the version makes every cached figure stale, and one viewer's cache never serves
another scope.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine

from data_access.db import make_engine

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def engine_for(database_url: str) -> Engine:
    return make_engine(database_url)


@st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)
def _cached_call(
    module: str, name: str, database_url: str, data_version: int, kwargs: dict[str, Any]
) -> Any:
    query = getattr(importlib.import_module(module), name)
    with engine_for(database_url).connect() as conn:
        return query(conn=conn, **kwargs)


def fetch(query: Callable[..., T], *, database_url: str, data_version: int, **kwargs: Any) -> T:
    """``query(conn=..., **kwargs)``, cached until the data version changes."""
    return _cached_call(query.__module__, query.__name__, database_url, data_version, kwargs)
