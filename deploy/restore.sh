#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into a PostgreSQL database, then print what it holds.
#
#   deploy/restore.sh DUMP_FILE [DATABASE]
#   deploy/restore.sh --clean DUMP_FILE [DATABASE]
#
# The server, role and password come from DASHBOARD_DB_URL (/etc/dashboard/dashboard.env);
# DATABASE, when given, replaces the database name in it — a restore drill restores into a
# scratch database (README 共享部署) and never touches the live one.
#
# Without --clean the target must not hold the dashboard's tables yet (a new, empty database).
# --clean drops the dump's objects in the target first: use it only with the dashboard
# processes stopped. Everything is restored in one transaction: on any error nothing changes.
# Objects end up owned by the role in DASHBOARD_DB_URL, whoever owned them where the dump was made.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="用法：deploy/restore.sh [--clean] 备份文件 [目标数据库名]"

clean=()
if [[ "${1:-}" == "--clean" ]]; then
    clean=(--clean --if-exists)
    shift
fi
if (($# < 1 || $# > 2)); then
    echo "$usage" >&2
    exit 2
fi
dump="$1"
if [[ ! -r "$dump" ]]; then
    echo "读不到备份文件：$dump" >&2
    exit 2
fi

# shellcheck source=deploy/env.sh
. "$here/env.sh"
load_dashboard_env
pg_exports="$(python3 "$here/pgenv.py")"
eval "$pg_exports"
if (($# == 2)); then
    export PGDATABASE="$2"
fi

has_tables="$(psql -X -At -c "SELECT to_regclass('alembic_version') IS NOT NULL")"
if [[ "$has_tables" == "t" && ${#clean[@]} -eq 0 ]]; then
    echo "数据库 $PGDATABASE 中已有看板的表。恢复到新建的空库，或先停止看板进程再加 --clean 覆盖。" >&2
    exit 1
fi

echo "正在把 $dump 恢复到数据库 $PGDATABASE ……"
pg_restore --dbname="$PGDATABASE" "${clean[@]}" --no-owner --no-privileges \
    --single-transaction --exit-on-error "$dump"

# What the restored database holds: the schema revision, how current its data is, and the sizes
# of the tables everyone asks about.
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SELECT (SELECT version_num FROM alembic_version) AS "数据库结构版本",
       (SELECT value FROM meta WHERE key = 'data_as_of') AS "数据截至",
       (SELECT value FROM meta WHERE key = 'data_version') AS "数据版本",
       (SELECT count(*) FROM households) AS "农户",
       (SELECT count(*) FROM income_registers) AS "收支登记",
       (SELECT count(*) FROM visits) AS "走访记录",
       (SELECT count(*) FROM rectification_items) AS "整改问题",
       (SELECT count(*) FROM users) AS "用户";
SQL
echo "恢复完成。接着运行 python -m data_access init-db（备份早于当前代码时升级结构），再重启看板进程。"
