#!/usr/bin/env bash
# What one server's notifications cost PostgreSQL: the release binary on a fresh database,
# Debian's wrk -t1 -c64 for 10 s with notify.lua, then per request: the database's
# transactions, its CPU time (every postgres process of this machine, from /proc: run it on
# a quiet cluster) and the calls of each of our functions.
#   server/benches/wrk/pg_profile.sh SERVER_BINARY [POSTGRES_URL]
# Needs wrk, curl, psql, pgrep.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1
pg=${2:-${TXSTATE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
# shellcheck source=server.sh
. "$here/server.sh"
fresh_database txstate_profile track
start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url"
postgres_ticks() { cpu_ticks $(pgrep -x postgres); }
x0=$(commits); c0=$(postgres_ticks)
out=$(RUN=$RANDOM KEY=$key wrk -t1 -c64 -d10s --latency -s "$here/notify.lua" "http://127.0.0.1:$port/")
c1=$(postgres_ticks); x1=$(commits)
reqs=$(grep -oE '[0-9]+ requests in' <<<"$out" | grep -oE '^[0-9]+')
python3 - "$reqs" "$x0" "$x1" "$c0" "$c1" "$(getconf CLK_TCK)" <<'PY'
import sys
reqs, x0, x1, c0, c1, tck = map(int, sys.argv[1:])
print(f"{reqs:,} requests in 10 s ({reqs / 10:,.0f}/s); per request: "
      f"{(x1 - x0) / reqs:.3f} transactions, PostgreSQL CPU {(c1 - c0) * 1e6 / tck / reqs:.0f} µs")
PY
psql -tA -F ' ' "$url" -c "SELECT funcname, calls, round($reqs::numeric / calls, 1) AS requests_per_call, round(self_time) AS ms FROM pg_stat_user_functions ORDER BY funcname" |
  awk '{printf "  %-22s %7d calls, %5s requests a call, %6d ms\n", $1, $2, $3, $4}'
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^txstate_throttle_admitted_ahead_total' | sed 's/^/  /'
