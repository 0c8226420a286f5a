#!/usr/bin/env bash
# One PostgreSQL server, then two on the same database (wrk's 64 connections split over them),
# then the first alone again, each for 10 s with notify.lua: req/s, and per request the
# servers' CPU, wrk's, the rest of the busy machine (PostgreSQL and the kernel: this machine's
# CPU from /proc/stat less the servers' and wrk's), the idle time, the database's transactions
# and the calls of our functions. Run it on a quiet cluster; alternate builds to compare them.
#   server/benches/wrk/pg_servers.sh SERVER_BINARY [POSTGRES_URL]
# ONE=1 stops after the first step. A query in POSTGRES_URL (?sslmode=disable) is the servers'
# too. Needs wrk, curl, psql, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1
pg=${2:-${TXSTATE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
# shellcheck source=server.sh
. "$here/server.sh"
fresh_database txstate_servers track
machine() { awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }

# step LABEL "SERVER_PIDS" URL... : wrk on each URL at once for 10 s; wrk's own CPU is read
# between its 5th and 9.5th second (it exits with its counters) and scaled to the 10.
step() {
  local label=$1 pids=$2; shift 2
  local n=$# outs=() wrks=() i=0 u
  psql -q "$url" -c 'SELECT pg_stat_reset()' > /dev/null
  local x0 s0 m0; x0=$(commits); s0=$(cpu_ticks $pids); m0=$(machine)
  for u in "$@"; do
    outs+=("$(mktemp)")
    RUN=$RANDOM$i KEY=$key wrk -t1 -c$((64 / n)) -d10s -s "$here/notify.lua" "$u" > "${outs[$i]}" &
    wrks+=($!); i=$((i + 1))
  done
  sleep 5; local w0; w0=$(cpu_ticks "${wrks[@]}"); sleep 4.5; local w1; w1=$(cpu_ticks "${wrks[@]}")
  wait "${wrks[@]}"
  local x1 s1 m1; x1=$(commits); s1=$(cpu_ticks $pids); m1=$(machine)
  local reqs=0 f
  for f in "${outs[@]}"; do reqs=$((reqs + $(awk '/requests in/ {print $1}' "$f"))); done
  rm -f "${outs[@]}"
  python3 - "$label" "$reqs" "$x0" "$x1" "$s0" "$s1" "$w0" "$w1" "$(getconf CLK_TCK)" $m0 $m1 <<'PY'
import sys
label = sys.argv[1]
reqs, x0, x1, s0, s1, w0, w1, tck, b0, i0, b1, i1 = map(int, sys.argv[2:])
us = lambda ticks: ticks * 1e6 / tck / reqs
wrk = (w1 - w0) * 10 / 4.5        # wrk's 4.5 s read, scaled to its 10
rest = (b1 - b0) - (s1 - s0) - wrk
print(f"{label}: {reqs / 10:,.0f} req/s; a request: servers {us(s1 - s0):.1f} µs, wrk {us(wrk):.1f}, "
      f"the rest {us(rest):.1f}, idle {us(i1 - i0):.1f}; {(x1 - x0) / reqs:.3f} transactions")
PY
  psql -tA -F ' ' "$url" -c "SELECT funcname, calls, round($reqs::numeric / calls, 1), round(self_time) FROM pg_stat_user_functions ORDER BY funcname" |
    awk '{printf "    %-22s %7d calls, %5s requests a call, %6d ms\n", $1, $2, $3, $4}'
}

start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url"
first=$pid; first_port=$port
step "1 server" "$first" "http://127.0.0.1:$first_port/"
[ -n "${ONE:-}" ] && exit 0
start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url" TXSTATE_DEMO=false
step "2 servers" "$first $pid" "http://127.0.0.1:$first_port/" "http://127.0.0.1:$port/"
kill "$pid"
step "1 server again" "$first" "http://127.0.0.1:$first_port/"
