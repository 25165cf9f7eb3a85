#!/usr/bin/env bash
# Nightly backup of the dashboard's PostgreSQL database: one pg_dump custom-format file
# (compressed, restorable table by table with pg_restore), checked, then old ones pruned.
#
#   deploy/backup.sh            # run by dashboard-backup.service; by hand: see README 共享部署
#
# Reads /etc/dashboard/dashboard.env (or $DASHBOARD_ENV_FILE; variables already set win):
#   DASHBOARD_DB_URL    the database to back up (postgresql+psycopg://user:pw@host:port/db)
#   BACKUP_DIR          where dumps go                      (default /var/backups/dashboard)
#   BACKUP_KEEP_DAYS    dumps older than this are deleted   (default 30; the newest is always kept)
# Prints the file it wrote; exits non-zero (and systemd marks the run failed) on any error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/env.sh
. "$here/env.sh"
load_dashboard_env
backup_dir="${BACKUP_DIR:-/var/backups/dashboard}"
keep_days="${BACKUP_KEEP_DAYS:-30}"
if ! [[ "$keep_days" =~ ^[0-9]+$ ]] || ((keep_days < 1)); then
    echo "BACKUP_KEEP_DAYS 应为正整数，实为 '$keep_days'" >&2
    exit 2
fi

# The connection goes to pg_dump through PG* variables, never on its command line.
pg_exports="$(python3 "$here/pgenv.py")"
eval "$pg_exports"

umask 077
mkdir -p "$backup_dir"
name="${PGDATABASE}-$(date +%Y%m%d-%H%M%S).dump"
partial="$backup_dir/.$name.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --file="$partial"
# A dump pg_restore cannot list is no backup; fail now rather than on the day it is needed.
entries="$(pg_restore --list "$partial" | grep -c ' TABLE DATA ')"
if ((entries == 0)); then
    echo "备份文件中没有任何表数据：$partial" >&2
    exit 1
fi
mv "$partial" "$backup_dir/$name"
echo "已备份 $PGDATABASE → $backup_dir/$name（$(du -h "$backup_dir/$name" | cut -f1)，$entries 张表的数据）"

# Retention: only this database's dumps, only older than keep_days, never the one just written.
find "$backup_dir" -maxdepth 1 -type f -name "${PGDATABASE}-*.dump" ! -name "$name" \
    -mtime "+$((keep_days - 1))" -print -delete | sed 's/^/已删除过期备份 /'
