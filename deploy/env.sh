# shellcheck shell=bash
# Sourced by the deploy scripts. Reads /etc/dashboard/dashboard.env (or $DASHBOARD_ENV_FILE) the
# way systemd's EnvironmentFile= does — KEY=value lines, # comments, optional quotes — without
# running it as shell code, so a password with $ or ; in it stays a password. A variable that is
# already set wins: under systemd the file has been read already, and an administrator can point
# one command elsewhere (DASHBOARD_DB_URL=... deploy/manage.sh ...).
load_dashboard_env() {
    local file="${DASHBOARD_ENV_FILE:-/etc/dashboard/dashboard.env}" line key value
    if [[ ! -e "$file" ]]; then
        return 0
    fi
    if [[ ! -r "$file" ]]; then
        echo "读不到 $file：请用 sudo -u dashboard 运行，或检查该文件的权限（root:dashboard 0640）" >&2
        return 1
    fi
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        key="${line%%=*}"
        value="${line#*=}"
        key="${key//[[:space:]]/}"
        if [[ "$line" != *=* || ! "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
            echo "$file 中这一行不是 KEY=value：$line" >&2
            return 1
        fi
        if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
            value="${BASH_REMATCH[1]}"
        fi
        if [[ ! -v "$key" ]]; then
            export "$key=$value"
        fi
    done <"$file"
}
