#!/usr/bin/env bash
# The server against axum's hello-world, driven by the same external generator (Debian's wrk,
# one thread, 64 connections, 10 s each) in one run, so the ratios hold on a noisy machine:
#   server/benches/wrk/compare.sh SERVER_BINARY HELLO_BINARY [POSTGRES_URL]
# 1. hello-world (`server/examples/hello.rs`);
# 2. notify on SQLite (a fresh file with the demo data, durable commits);
# 3. notify on PostgreSQL, one server (a fresh database, dropped afterwards);
# 4. notify on PostgreSQL, two servers on one database, wrk's connections split over both;
# 5. the first server alone again: each run grows the database (one server ran 6-17 % slower
#    after the two-server run than before it), so two servers are compared with the mean of
#    one server's runs before and after them.
# New transaction ids, a quarter failures (notify.lua). Prints req/s, p50, p99, p99.9, the
# servers' CPU time per request (from /proc) and the ratios. Needs wrk, curl, psql, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1; hello=$2
pg=${3:-${TXSTATE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
seconds=${WRK_SECONDS:-10}
# shellcheck source=server.sh
. "$here/server.sh"

ratio() { python3 -c "print(f'{($1) / ($2):.2f}')"; }

port=$((20000 + RANDOM % 10000))
"$hello" "127.0.0.1:$port" & hello_pid=$!; started+=("$hello_pid")
# Polls until it answers (or has died).
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do kill -0 "$hello_pid"; sleep 0.1; done
measure "axum hello-world" "$hello_pid" "http://127.0.0.1:$port/"; hello_rps=$rps
kill "$hello_pid"

start_server -- "$server" RUST_LOG=warn
measure "notify, SQLite" "$pid" "http://127.0.0.1:$port/"; sqlite_rps=$rps
kill "$pid"

fresh_database txstate_wrk
start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url"
measure "notify, PostgreSQL, 1 server" "$pid" "http://127.0.0.1:$port/"; pg1_rps=$rps
a_pid=$pid; a_port=$port
start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url" TXSTATE_DEMO=false
measure "notify, PostgreSQL, 2 servers" "$a_pid $pid" "http://127.0.0.1:$a_port/" "http://127.0.0.1:$port/"; pg2_rps=$rps
kill "$pid"
measure "notify, PostgreSQL, 1 server again" "$a_pid" "http://127.0.0.1:$a_port/"; pg1_again_rps=$rps

echo "ratios: SQLite / hello-world $(ratio "$sqlite_rps" "$hello_rps")" \
  " PostgreSQL / SQLite $(ratio "$pg1_rps" "$sqlite_rps")" \
  " two PostgreSQL servers / one $(ratio "$pg2_rps" "($pg1_rps + $pg1_again_rps) / 2")"
