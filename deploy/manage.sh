#!/usr/bin/env bash
# The dashboard's command line (python -m data_access) with this deployment's environment:
#
#   sudo -u dashboard /opt/dashboard/deploy/manage.sh init-db
#   sudo -u dashboard /opt/dashboard/deploy/manage.sh users add wang --role 管理员 --name 王局长
#   sudo -u dashboard /opt/dashboard/deploy/manage.sh --database dashboard_drill init-db
#
# Reads /etc/dashboard/dashboard.env (DASHBOARD_DB_URL, DASHBOARD_CONFIG) like the services do,
# and runs in the virtualenv next to this script. --database NAME first: the same server, role
# and password, another database (a restore drill's scratch copy).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/env.sh
. "$here/env.sh"
load_dashboard_env
cd "$here/.."

if [[ "${1:-}" == "--database" ]]; then
    if [[ -z "${DASHBOARD_DB_URL:-}" ]]; then
        echo "DASHBOARD_DB_URL 未设置（见 /etc/dashboard/dashboard.env）" >&2
        exit 2
    fi
    if (($# < 3)); then
        echo "用法：deploy/manage.sh [--database 数据库名] 命令 …（命令见 python -m data_access --help）" >&2
        exit 2
    fi
    DASHBOARD_DB_URL="$(
        .venv/bin/python - "$2" <<'PY'
import os
import sys

from sqlalchemy.engine import make_url

url = make_url(os.environ["DASHBOARD_DB_URL"]).set(database=sys.argv[1])
print(url.render_as_string(hide_password=False))
PY
    )"
    export DASHBOARD_DB_URL
    shift 2
fi
exec .venv/bin/python -m data_access "$@"
