"""Print ``export PG...=...`` lines for the libpq tools (pg_dump, pg_restore, psql) from the
dashboard's database URL in ``DASHBOARD_DB_URL``, so the backup scripts never put the password
on a command line (where any user of the machine could read it in ``ps``).

    eval "$(python3 deploy/pgenv.py)"

Standard library only: it runs with any Python 3, with or without the dashboard's virtualenv.
Exit status 2 and a message on stderr when the URL is not a PostgreSQL URL.
"""

from __future__ import annotations

import os
import shlex
import sys
from urllib.parse import unquote, urlsplit

# URL query parameters that libpq tools also take from the environment.
QUERY_VARIABLES = {
    "host": "PGHOST",
    "port": "PGPORT",
    "options": "PGOPTIONS",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
SCHEMES = ("postgresql", "postgres")


class NotPostgresError(ValueError):
    """The URL does not name a PostgreSQL database."""


def pg_environment(url: str) -> dict[str, str]:
    """libpq environment variables for ``url`` (``postgresql[+driver]://user:pw@host:port/db``);
    raises NotPostgresError for any other URL."""
    parts = urlsplit(url.strip())
    if parts.scheme.split("+", 1)[0] not in SCHEMES:
        raise NotPostgresError(
            f"不是 PostgreSQL 数据库地址（{parts.scheme or '无协议'}://…）："
            "备份与恢复只支持 PostgreSQL"
        )
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise NotPostgresError("数据库地址缺少数据库名（…:5432/数据库名）")
    environment = {"PGDATABASE": database}
    if parts.hostname:
        environment["PGHOST"] = parts.hostname
    if parts.port:
        environment["PGPORT"] = str(parts.port)
    if parts.username:
        environment["PGUSER"] = unquote(parts.username)
    if parts.password:
        environment["PGPASSWORD"] = unquote(parts.password)
    # Percent-decoding only, as libpq does ("+" stays "+", unlike form decoding).
    for pair in filter(None, parts.query.split("&")):
        key, _, value = (unquote(piece) for piece in pair.partition("="))
        if key not in QUERY_VARIABLES:
            raise NotPostgresError(f"数据库地址中有备份脚本不认识的参数：{key}")
        environment[QUERY_VARIABLES[key]] = value
    return environment


def main() -> int:
    url = os.environ.get("DASHBOARD_DB_URL", "").strip()
    if not url:
        print("DASHBOARD_DB_URL 未设置（见 /etc/dashboard/dashboard.env）", file=sys.stderr)
        return 2
    try:
        environment = pg_environment(url)
    except NotPostgresError as error:
        print(error, file=sys.stderr)
        return 2
    for name, value in environment.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
