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


# measure LABEL "PID..." URL... : wrk on each URL at once (64 connections split over them);
# prints one line and sets $rps.
measure() {
  local label=$1 pids=$2; shift 2
  local n=$# outs=() wrks=() i=0 url t0 t1
  t0=$(cpu_ticks $pids)
  for url in "$@"; do
    outs+=("$(mktemp)")
    RUN=$RANDOM$i KEY=${key:-} wrk -t1 -c$((64 / n)) -d"${seconds}s" --latency -s "$here/notify.lua" "$url" > "${outs[$i]}" 2>&1 &
    wrks+=($!); i=$((i + 1))
  done
  wait "${wrks[@]}"
  t1=$(cpu_ticks $pids)
  local report
  report=$(python3 - "$label" "$t0" "$t1" "$(getconf CLK_TCK)" "${outs[@]}" <<'PY'
import re, sys
label, t0, t1, tck, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
rps = reqs = non2xx = 0; p = {}
for f in files:
    t = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    reqs += int(re.search(r"(\d+) requests in", t).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t); non2xx += int(m.group(1)) if m else 0
    for q in ("50", "99"):
        p[q] = max(p.get(q, 0), ms(re.search(rf"\s{q}%\s+(\S+)", t).group(1)))
cpu = (t1 - t0) * 1e6 / tck / max(reqs, 1)
print(f"{label:<34} {rps:>10,.0f} req/s  p50 {p['50']:.2f} ms  p99 {p['99']:.2f} ms  "
      f"non-2xx {non2xx}  server CPU {cpu:.0f} µs/request")
print(rps)
PY
)
  rm -f "${outs[@]}"
  echo "${report%$'\n'*}"   # the line; the last one is the rate, for the ratios
  rps=${report##*$'\n'}
}

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
