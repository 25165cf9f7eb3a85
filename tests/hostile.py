"""Names and texts with HTML, markdown and directives, put straight into a demo database (as a
careless ledger or an old version of the importer would have left them): the AppTest sweep
(test_hostile_strings) and the browser's (browser/test_hostile_browser) show that every page
renders them as the text they are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from data_access.commands import change
from data_access.models import DataSource

IMAGE = "<img src=http://198.51.100.7/t.png>"
LINK = "[重新登录](http://198.51.100.7/login)"
PICTURE = "![x](http://198.51.100.7/a.png)"
BOLD = "**加粗**"
DIRECTIVE = ":red[红字]"
STYLE = "<style>h1{display:none}</style>"
# Where the payloads would send a browser if they became markup.
HOSTILE_HOST = "198.51.100.7"


def plant_hostile_strings(engine: Engine, *, at: datetime) -> None:
    """The first township, its villages, every assisting unit, rectification item and milestone
    get a payload in their names or texts: through the write door, so that every stored summary
    that shows a name goes stale as after a real import."""
    with change(engine, by="test", at=at) as write:
        write.touch(DataSource.PLACES, DataSource.PEOPLE, DataSource.RECTIFICATION)
        _plant(write.conn)


def _plant(conn) -> None:
    first_township = conn.execute(text("SELECT min(id) FROM townships")).scalar_one()
    conn.execute(
        text("UPDATE townships SET name = :name WHERE id = :id"),
        {"name": f"六合镇{IMAGE}{BOLD}", "id": first_township},
    )
    conn.execute(
        text(
            "UPDATE villages SET name = :name WHERE id IN "
            "(SELECT id FROM villages WHERE township_id = :id)"
        ),
        {"name": f"村{LINK}{DIRECTIVE}", "id": first_township},
    )
    conn.execute(text("UPDATE assisting_units SET name = name || :tail"), {"tail": PICTURE})
    conn.execute(text("UPDATE rectification_items SET description = :d"), {"d": PICTURE})
    conn.execute(text("UPDATE milestones SET name = name || :tail"), {"tail": STYLE})
