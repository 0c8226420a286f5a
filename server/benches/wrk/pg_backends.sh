#!/usr/bin/env bash
# Where PostgreSQL's CPU goes, by what each backend of the database last ran: one server, then
# two on the same database (wrk's 64 connections split over them), 10 s of notify.lua each;
# per request, the CPU of the backends grouped by the start of their last statement (the
# batch function's own connections; the log's COPY, the throttle and the publisher share
# the relaxed pool, so read those three together). Run it on a quiet cluster.
#   server/benches/wrk/pg_backends.sh SERVER_BINARY [POSTGRES_URL]
# Needs wrk, curl, psql, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1
pg=${2:-${TXSTATE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}}
# shellcheck source=server.sh
. "$here/server.sh"
fresh_database txstate_backends

# backends : "pid|ticks|statement" for each backend of $db.
backends() {
  psql -tA -F '|' "$url" -c "SELECT pid, left(regexp_replace(query, '\s+', ' ', 'g'), 40)
                             FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()" |
    while IFS='|' read -r p q; do echo "$p|$(cpu_ticks "$p")|$q"; done
}

# measure LABEL URL... : wrk on each URL at once for 10 s, then the backends' CPU a request.
measure() {
  local label=$1; shift
  local before outs=() loads=() n=$# u
  before=$(backends)
  for u in "$@"; do
    outs+=("$(mktemp)")
    RUN=$RANDOM${#outs[@]} KEY=$key wrk -t1 -c$((64 / n)) -d10s -s "$here/notify.lua" "$u" > "${outs[-1]}" &
    loads+=($!)
  done
  wait "${loads[@]}"
  local reqs=0 f
  for f in "${outs[@]}"; do reqs=$((reqs + $(awk '/requests in/ {print $1}' "$f"))); done
  rm -f "${outs[@]}"
  python3 - "$label" "$reqs" "$(getconf CLK_TCK)" "$before" "$(backends)" <<'PY'
import collections, sys
label, reqs, tck, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
start = {l.split('|')[0]: int(l.split('|')[1]) for l in before.splitlines() if l}
cpu, count = collections.Counter(), collections.Counter()
for line in filter(None, after.splitlines()):
    pid, ticks, query = line.split('|', 2)
    kind = query.split('(')[0].strip() or '(idle)'
    cpu[kind] += int(ticks) - start.get(pid, 0)
    count[kind] += 1
print(f"{label}: {reqs / 10:,.0f} req/s; PostgreSQL {sum(cpu.values()) * 1e6 / tck / reqs:.1f} µs a request")
for kind, ticks in cpu.most_common():
    print(f"  {ticks * 1e6 / tck / reqs:6.1f} µs  {count[kind]:2d} backends  {kind}")
PY
}

start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url"
first_port=$port
measure "1 server" "http://127.0.0.1:$first_port/"
start_server -- "$server" RUST_LOG=warn TXSTATE_DATABASE_URL="$url" TXSTATE_DEMO=false
measure "2 servers" "http://127.0.0.1:$first_port/" "http://127.0.0.1:$port/"
