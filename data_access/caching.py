"""Query results kept in the database per version of their sources and settings, shared by every
process.

Aggregating a year of registers and visits takes long at the scale of a county and grows with
the data; its result is small. So a result is computed once for the whole county, stored, and
read from the database until a source it is computed from changes (each caller names its
``sources``; data_access.versions) or the settings do: a 销号 leaves the register and income
results stored, an import of registers the rectification ones. Rows of the same result from
older versions are deleted when new ones are written. A reader with a narrower scope keeps its
own townships' rows afterwards, so one user's scope never shapes what another reads.

- ``snapshot``: integer counts per entity (township, unit, village), one row each
  (``indicator_snapshots``);
- ``cached_frame``: any small table, one row per result (``frame_snapshots``), kept decoded in
  the process as well.

Each store runs in a transaction of its own; two processes computing the same result at once
both succeed, and the second write is dropped (a unique violation or, on PostgreSQL, a deadlock
between the two is the other's success, never the reader's error).
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from data_access.models import DataSource, FrameSnapshot, IndicatorSnapshot
from data_access.scope import Scope
from data_access.versions import Window, sources_version

# What a concurrent store of the same rows can raise: the other one stored them (a unique
# violation), or PostgreSQL broke a deadlock between the two by failing one of them.
LOST_RACE = (IntegrityError, OperationalError)


def settings_key(*sections: object) -> str:
    """A short fingerprint of the settings a result is computed with: settings sections (frozen
    dataclasses) or single values (JSON-able). A changed threshold makes the stored result stale,
    like a new data version. Pass only what the computation reads, so that unrelated settings
    (the database URL, the meeting wall) leave every process with the same key."""
    parts = [asdict(section) if is_dataclass(section) else section for section in sections]
    canonical = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# The entity id of the row that stands for "counted, and nothing to count" (a month without
# circulars): its counts name the columns, so the empty result comes back with them.
_NOTHING = -1


def _stored(conn: Connection, where: list, key: str) -> pd.DataFrame | None:
    rows = conn.execute(
        select(IndicatorSnapshot.entity_id, IndicatorSnapshot.counts).where(*where)
    ).all()
    if not rows:
        return None
    frame = pd.DataFrame([{key: entity_id, **counts} for entity_id, counts in rows])
    return frame[frame[key] != _NOTHING].reset_index(drop=True).astype("int64")


def _store(engine: Engine, identity: dict, key: str, table: pd.DataFrame) -> None:
    """Write in a transaction of its own; a concurrent writer of the same rows wins harmlessly."""
    rows = [
        {
            **identity,
            "entity_id": int(record[key]),
            "counts": {name: int(value) for name, value in record.items() if name != key},
        }
        for record in table.to_dict("records")
    ] or [
        {
            **identity,
            "entity_id": _NOTHING,
            "counts": {name: 0 for name in table.columns if name != key},
        }
    ]
    stored = IndicatorSnapshot
    try:
        with engine.begin() as writer:
            writer.execute(
                delete(stored).where(
                    stored.kind == identity["kind"],
                    stored.month == identity["month"],
                    stored.sources_version < identity["sources_version"],
                )
            )
            writer.execute(insert(stored), rows)
    except LOST_RACE:
        pass  # another process stored the same snapshot first


def _snapshot_identity(
    conn: Connection,
    *,
    kind: str,
    month: date,
    fingerprint: str,
    sources: Iterable[DataSource],
    window: Window | None,
) -> dict:
    return {
        "sources_version": sources_version(conn, sources, window),
        "settings_key": fingerprint,
        "month": month,
        "kind": kind,
    }


def _matching(identity: dict) -> list:
    return [getattr(IndicatorSnapshot, name) == value for name, value in identity.items()]


def has_snapshot(
    conn: Connection,
    *,
    kind: str,
    month: date,
    fingerprint: str,
    sources: Iterable[DataSource],
    window: Window | None = None,
) -> bool:
    """Whether ``snapshot`` would read the counts of ``kind`` for ``month`` rather than compute."""
    identity = _snapshot_identity(
        conn, kind=kind, month=month, fingerprint=fingerprint, sources=sources, window=window
    )
    return bool(conn.execute(select(exists().where(*_matching(identity)))).scalar())


def snapshot(
    *,
    conn: Connection,
    kind: str,
    month: date,
    key: str,
    fingerprint: str,
    sources: Iterable[DataSource],
    compute: Callable[[], pd.DataFrame],
    window: Window | None = None,
) -> pd.DataFrame:
    """Integer counts per entity (column ``key``) of ``kind`` for ``month``: from the snapshot of
    the current versions of ``sources`` (every source ``compute`` reads; of their months, those
    in ``window``, when ``compute`` reads no other) and settings ``fingerprint``, or
    ``compute()``d and stored.

    ``compute`` must aggregate for the whole county; a reader with a narrower scope keeps its
    own townships' rows afterwards.
    """
    identity = _snapshot_identity(
        conn, kind=kind, month=month, fingerprint=fingerprint, sources=sources, window=window
    )
    stored = _stored(conn, _matching(identity), key)
    if stored is not None:
        return stored
    table = compute()
    _store(conn.engine, identity, key, table)
    return table


def _encode(frame: pd.DataFrame) -> bytes:
    """The frame as an Arrow IPC stream, with pandas' own metadata (column order and dtypes)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode(stored: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(stored).read_all()
    frame = table.to_pandas()
    # Arrow gives a column of lists back as numpy arrays; the computed frame held lists.
    for field in table.schema:
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            frame[field.name] = [
                None if value is None else value.tolist() for value in frame[field.name]
            ]
    return frame


# Decoded frames of this process, per engine and keyed like frame_snapshots (a new version of
# the sources or settings key misses): several functions of one page read the same county-wide
# result (the income bands by township, by village, the list size), and decoding thousands of
# rows again for each would cost more than the query. Each reader gets a copy.
_DECODED_ENTRIES = 64
_decoded: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple, pd.DataFrame]] = (
    weakref.WeakKeyDictionary()
)
_decoded_lock = threading.Lock()


def _recall(engine: Engine, key: tuple) -> pd.DataFrame | None:
    with _decoded_lock:
        frames = _decoded.get(engine)
        if frames is None or key not in frames:
            return None
        frames.move_to_end(key)
        return frames[key].copy()


def _keep(engine: Engine, key: tuple, frame: pd.DataFrame) -> None:
    with _decoded_lock:
        frames = _decoded.setdefault(engine, OrderedDict())
        frames[key] = frame.copy()
        while len(frames) > _DECODED_ENTRIES:
            frames.popitem(last=False)


def forget_decoded() -> None:
    """Empty this process's decoded frames (a benchmark's cold start; the stored rows stay)."""
    with _decoded_lock:
        _decoded.clear()


def cached_frame(
    *,
    conn: Connection,
    name: str,
    month: date,
    fingerprint: str,
    sources: Iterable[DataSource],
    compute: Callable[[], pd.DataFrame],
    window: Window | None = None,
) -> pd.DataFrame:
    """A county-wide result ``name`` for ``month``: from the snapshot of the current versions of
    ``sources`` (every source ``compute`` reads; of their months, those in ``window``, when
    ``compute`` reads no other) and settings ``fingerprint``, or ``compute()``d and stored (an
    empty result too).

    ``compute`` must aggregate for the whole county with a township column, so that a reader
    with a narrower scope can keep its own townships' rows; or, for a result that depends on
    the reader's scope as a whole (ranks among the townships one sees), the scope's townships
    must be part of ``fingerprint``.
    """
    version = sources_version(conn, sources, window)
    identity = {
        "sources_version": version,
        "settings_key": fingerprint,
        "month": month,
        "name": name,
    }
    key = tuple(identity.values())
    recalled = _recall(conn.engine, key)
    if recalled is not None:
        return recalled
    where = [getattr(FrameSnapshot, column) == value for column, value in identity.items()]
    stored = conn.execute(select(FrameSnapshot.frame).where(*where)).scalar_one_or_none()
    if stored is not None:
        frame = _decode(stored)
    else:
        frame = compute()
        stored = FrameSnapshot
        try:
            with conn.engine.begin() as writer:
                writer.execute(
                    delete(stored).where(
                        stored.name == name,
                        stored.month == month,
                        stored.sources_version < version,
                    )
                )
                writer.execute(insert(stored), {**identity, "frame": _encode(frame)})
        except LOST_RACE:
            pass  # another process stored the same result first
    _keep(conn.engine, key, frame)
    return frame


def in_scope(frame: pd.DataFrame, scope: Scope, column: str = "township_id") -> pd.DataFrame:
    """The rows of a county-wide result whose township lies in ``scope``."""
    return frame[frame[column].isin(scope.township_ids)].reset_index(drop=True)
