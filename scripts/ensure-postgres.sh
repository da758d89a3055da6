#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at ENTEVENTS_PG_DSN (default
# postgres@127.0.0.1:5432, trust auth) before the tests run. If none answers it
# starts the machine's cluster, or else initialises a throwaway one in a temp dir.
set -euo pipefail

host=127.0.0.1
port=5432
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  if [ -d /usr/lib/postgresql ]; then
    PATH="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1):$PATH"
  fi
fi
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL client tools not found; install postgresql (apt-get install -y postgresql)" >&2
  exit 0
fi
ready && exit 0

if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "ensure-postgres: starting cluster $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$bin" ] && [ -x "$bin/initdb" ]; then
  dir=$(mktemp -d /tmp/entevents-pg.XXXXXX)
  echo "ensure-postgres: initialising a temporary cluster in $dir" >&2
  runas=()
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir" 2>/dev/null && runas=(su postgres -s /bin/sh -c); fi
  cmd="$bin/initdb -D $dir/data -U postgres --auth=trust >/dev/null && $bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=$host' -l $dir/log start >/dev/null"
  if [ ${#runas[@]} -gt 0 ]; then "${runas[@]}" "$cmd"; else sh -c "$cmd"; fi
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "ensure-postgres: no PostgreSQL server could be started; PostgreSQL tests will skip (or fail with CI=true)" >&2
exit 0
