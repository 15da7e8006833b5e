#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (no Docker here: Debian's server, run by hand).
#
#   scripts/pg.sh install      installs Debian's PostgreSQL server when its binaries are missing
#   scripts/pg.sh available    exits 0 when the server binaries are there (installs nothing)
#   scripts/pg.sh start        creates and starts a cluster in a new temp dir on a free loopback
#                              port; prints two lines:
#                                BLOCKPLANE_TEST_DATABASE_URL=postgres://...
#                                BLOCKPLANE_TEST_PG_DIR=/tmp/...
#   scripts/pg.sh stop DIR     stops the cluster in DIR and removes DIR (fine if already gone)
#
# With BLOCKPLANE_PG_OWNER_PID set, `start` ties the cluster to that process: a later `start` removes
# clusters whose owner has died without stopping them (killed with SIGKILL, say). Clusters started
# without it are left alone until stopped by hand.
#
# The server refuses to run as root, so as root the cluster belongs to the `postgres` system user
# that the Debian package creates. Logs go to DIR/log; the socket lives in DIR, not /var/run.
set -euo pipefail

READY_TIMEOUT_S="${BLOCKPLANE_PG_READY_TIMEOUT_S:-30}"
TEST_ROLE="blockplane"
TEST_DB="blockplane"

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

# The newest installed server's bin dir, or nothing.
bin_dir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/pg_isready" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

install_server() {
  if bin_dir >/dev/null; then return 0; fi
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
  echo "pg.sh: installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null || die "apt-get install postgresql failed"
  bin_dir >/dev/null || die "PostgreSQL was installed but initdb/pg_ctl are not under /usr/lib/postgresql/*/bin"
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (from the postgresql package)"
    # runuser needs no PAM session or password, unlike su; keep the environment small.
    # From / so that the server tools never trip over a working directory they may not enter.
    (cd / && runuser -u postgres -- env -i PATH="$PATH" LANG=C.UTF-8 "$@")
  else
    "$@"
  fi
}

free_port() {
  node -e '
    const s = require("node:net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
  '
}

# Stops the clusters of earlier runs whose owning process is gone.
sweep_orphans() {
  local owner d pid
  for owner in /tmp/blockplane-pg.*/owner; do
    [[ -f "$owner" ]] || continue
    d="$(dirname "$owner")"
    pid="$(cat "$owner" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "pg.sh: removing $d, left by process $pid that has ended" >&2
      stop_cluster "$d" >/dev/null 2>&1 || true
    fi
  done
}

start_cluster() {
  install_server
  sweep_orphans
  local bin dir port
  bin="$(bin_dir)" || die "PostgreSQL server binaries not found"
  # Under /tmp rather than $TMPDIR: the server's socket lives in this dir, and a socket path may not
  # exceed 107 bytes.
  dir="$(mktemp -d /tmp/blockplane-pg.XXXXXX)"
  # From here on a failure (die exits) must not leave a half-made cluster behind.
  STARTING_DIR="$dir"
  trap 'if [[ -n "${STARTING_DIR:-}" ]]; then stop_cluster "$STARTING_DIR" >/dev/null 2>&1 || true; fi' EXIT
  if [[ -n "${BLOCKPLANE_PG_OWNER_PID:-}" ]]; then echo "$BLOCKPLANE_PG_OWNER_PID" >"$dir/owner"; fi
  chmod 700 "$dir"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi

  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -5 "$dir/initdb.log")"

  # Port picking can race another process; try a few ports before giving up. fsync and friends
  # off: the cluster is thrown away, and durability would cost the tests seconds on every commit.
  local tries=0
  while :; do
    port="$(free_port)"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t "$READY_TIMEOUT_S" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null 2>&1; then
      break
    fi
    tries=$((tries + 1))
    if ((tries >= 3)); then die "the server did not start; its log says: $(tail -5 "$dir/log" 2>/dev/null)"; fi
  done

  local waited=0
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; do
    waited=$((waited + 1))
    ((waited < READY_TIMEOUT_S)) || die "the server on port $port was not ready within ${READY_TIMEOUT_S}s; log: $dir/log"
    sleep 1
  done

  "$bin/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "create role $TEST_ROLE superuser login" -c "create database $TEST_DB owner $TEST_ROLE" >/dev/null ||
    die "creating the test role and database failed"
  echo "$port" >"$dir/port"
  STARTING_DIR=""

  echo "BLOCKPLANE_TEST_DATABASE_URL=postgres://$TEST_ROLE@127.0.0.1:$port/$TEST_DB"
  echo "BLOCKPLANE_TEST_PG_DIR=$dir"
}

stop_cluster() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || die "usage: pg.sh stop DIR"
  # Refuse anything that is not one of our clusters: this removes the directory.
  [[ "$(basename "$dir")" == blockplane-pg.* ]] || die "$dir is not a cluster made by pg.sh start"
  [[ -d "$dir" ]] || return 0
  local bin
  if bin="$(bin_dir)" && [[ -f "$dir/data/postmaster.pid" ]]; then
    # fast: disconnect clients and stop at once; immediate if that does not finish in time.
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 15 stop >/dev/null 2>&1 ||
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 15 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
install) install_server ;;
available) bin_dir >/dev/null ;;
start) start_cluster ;;
stop) stop_cluster "${2:-}" ;;
*)
  echo "usage: scripts/pg.sh install | available | start | stop DIR" >&2
  exit 2
  ;;
esac
