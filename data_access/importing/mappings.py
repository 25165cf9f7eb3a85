"""Column mappings: which field a file's header stands for when it is not the template's.

A county's ledgers come with their own headers. The clerk maps them once (on the page, or with
``--map 表头=字段`` and ``--drop 表头`` on the command line); a committed import keeps the mapping
under the kind and the file's set of headers, and the next file with the same headers is read
with it. A mapping is a dict of header key (``workbook.header_key``) → field key, or None for a
column deliberately left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from data_access.importing.base import Kind
from data_access.importing.workbook import ImportRefusedError, header_key
from data_access.models import ImportMapping

Mapping = dict[str, str | None]
# What a user types to leave a column out.
DROP_WORDS = frozenset({"不导入", "忽略", "-", "无"})


@dataclass(frozen=True)
class SavedMapping:
    mapping: Mapping
    saved_by: str
    saved_at: datetime

    def note(self) -> str:
        return (
            f"已套用 {self.saved_at:%Y-%m-%d %H:%M} 由 {self.saved_by} 确认的列对应"
            "（本类台账、相同表头的文件沿用；可在下方修改）"
        )


def header_set_id(header_set: Iterable[str]) -> str:
    """The key a mapping is kept under: a digest of the sorted header keys."""
    joined = "\n".join(sorted(set(header_set)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def saved_mapping(
    *, conn: Connection, kind: Kind, header_set: Iterable[str]
) -> SavedMapping | None:
    """The mapping last confirmed for ``kind`` and this set of headers, if any."""
    row = conn.execute(
        select(ImportMapping.mapping, ImportMapping.saved_by, ImportMapping.saved_at).where(
            ImportMapping.kind == kind.key,
            ImportMapping.header_set == header_set_id(header_set),
        )
    ).one_or_none()
    if row is None:
        return None
    return SavedMapping(dict(row.mapping), row.saved_by, row.saved_at)


def save_mapping(
    *,
    conn: Connection,
    kind: Kind,
    header_set: Iterable[str],
    mapping: Mapping,
    saved_by: str,
    at: datetime,
) -> bool:
    """Keep ``mapping`` for ``kind`` and this set of headers (in the caller's transaction),
    replacing the one kept before. Returns whether anything changed."""
    headers = sorted(set(header_set))
    identity = header_set_id(headers)
    before = saved_mapping(conn=conn, kind=kind, header_set=headers)
    if before is not None and before.mapping == mapping:
        return False
    table = ImportMapping.__table__
    conn.execute(delete(table).where(table.c.kind == kind.key, table.c.header_set == identity))
    conn.execute(
        insert(table).values(
            kind=kind.key,
            header_set=identity,
            headers=headers,
            mapping=mapping,
            saved_by=saved_by[:40],
            saved_at=at,
        )
    )
    return True


def field_named(kind: Kind, name: str) -> str | None:
    """The field a user means by ``name`` (its title, an alias or its key); None for a word
    that leaves the column out. Raises ImportRefusedError for a name of no field."""
    wanted = name.strip()
    if wanted in DROP_WORDS:
        return None
    key = header_key(wanted)
    for field in kind.fields:
        spellings = {field.key, *(header_key(t) for t in (field.title, *field.aliases))}
        if wanted == field.key or key in spellings:
            return field.key
    choices = "、".join(field.title for field in kind.fields)
    raise ImportRefusedError(
        f"“{kind.label}”没有名为“{wanted}”的字段；可选：{choices}，或“不导入”。"
    )


def mapping_from_arguments(
    kind: Kind, pairs: Iterable[str] = (), dropped: Iterable[str] = ()
) -> Mapping:
    """A mapping from the command line: ``表头=字段`` pairs and headers to leave out.

    Raises ImportRefusedError for a pair without "=" or a field the kind does not have.
    """
    mapping: Mapping = {}
    for pair in pairs:
        header, sign, name = pair.partition("=")
        if not sign or not header.strip():
            raise ImportRefusedError(f"--map 应写作“表头=字段”，实为“{pair}”。")
        mapping[header_key(header)] = field_named(kind, name)
    for header in dropped:
        mapping[header_key(header)] = None
    return mapping
