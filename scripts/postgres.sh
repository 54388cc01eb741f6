#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback for corsd's tests and benches.
#
#   scripts/postgres.sh start DIR     initdb in DIR (created; owned by the
#                                     postgres user when run as root), start
#                                     on a free 127.0.0.1 port, create database
#                                     "corsd", print its URL (also in DIR/url)
#   scripts/postgres.sh stop DIR      fast shutdown
#   scripts/postgres.sh crash DIR     immediate shutdown (no checkpoint: like
#                                     a crash; the WAL replays on start)
#   scripts/postgres.sh restart DIR   start again on the same port (after
#                                     stop or crash)
#   scripts/postgres.sh url DIR       print the URL
#
# Installs the Debian package `postgresql` with apt-get when the server is
# missing. initdb refuses root, so as root every server command runs as the
# `postgres` user (runuser). Logs: DIR/log. Exit status non-zero on failure.
set -euo pipefail

usage() { echo "usage: $0 start|stop|crash|restart|url DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
dir=$(realpath -m "$2")

pgbin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do
    [[ -x $b/initdb ]] && { echo "$b"; return 0; }
  done
  return 1
}

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
  if ! pgbin >/dev/null; then
    echo "postgres.sh: installing postgresql from Debian" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_server() {
  local bin port
  bin=$(pgbin)
  port=$(cat "$dir/port")
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200" >&2
}

case $cmd in
  start)
    ensure_installed
    bin=$(pgbin)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    chmod 0755 "$dir"
    if ! as_pg test -x "$dir"; then
      echo "postgres.sh: the postgres user cannot reach $dir (check the" \
        "parent directories' permissions)" >&2
      exit 1
    fi
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2; exit 1; }
    free_port | as_pg tee "$dir/port" >/dev/null
    start_server
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U postgres corsd
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/corsd" |
      as_pg tee "$dir/url"
    ;;
  stop)
    as_pg "$(pgbin)/pg_ctl" -D "$dir/data" -w -m fast stop >&2
    ;;
  crash)
    as_pg "$(pgbin)/pg_ctl" -D "$dir/data" -w -m immediate stop >&2
    ;;
  restart)
    start_server
    ;;
  url)
    cat "$dir/url"
    ;;
  *) usage ;;
esac
