#!/usr/bin/env bash
# Exit 0 when the PostgreSQL of $1 answers; start a local Debian cluster first if one is installed.
url="${1:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null || (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1; done
  for _ in $(seq 1 20); do ready && exit 0; sleep 0.5; done
fi
exit 1
