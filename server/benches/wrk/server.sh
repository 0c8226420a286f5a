# Sourced by the scripts beside it.
#   start_server [WRAPPER...] -- BINARY [VAR=value ...]
# starts BINARY (under WRAPPER, e.g. valgrind) on a fresh SQLite database with the demo data
# (a VAR=value can name another database: TXSTATE_DATABASE_URL=postgres://...), waits for
# /readyz and creates an API user without a throttle, unless $key is already set (a second
# server on the same database). Sets $dir, $port, $pid and $key; every server started is
# stopped, and its directory removed, on exit.
started=()
stop_all() {
  local p
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "${dirs[@]}"
}
dirs=()
trap stop_all EXIT
start_server() {
  local wrapper=()
  while [ "$1" != "--" ]; do wrapper+=("$1"); shift; done
  shift
  local bin=$1; shift
  dir=$(mktemp -d); dirs+=("$dir"); port=$((20000 + RANDOM % 10000))
  local admin=bench-admin-token-0123456789
  env TXSTATE_DATABASE_URL="sqlite://$dir/t.db" TXSTATE_DEMO=true "$@" \
    TXSTATE_BIND=127.0.0.1:$port TXSTATE_ADMIN_TOKEN=$admin "${wrapper[@]}" "$bin" > "$dir/log" 2>&1 &
  pid=$!; started+=("$pid")
  local i
  for i in $(seq 600); do  # polls readiness for up to 2 minutes (valgrind starts slowly)
    curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log"; return 1; }
    sleep 0.2
  done
  if [ -z "${key:-}" ]; then
    key=$(curl -s -X POST "http://127.0.0.1:$port/admin/api/api-users" -H "authorization: Bearer $admin" \
      -H 'content-type: application/json' \
      -d '{"name":"bench","grants":["notify"],"rateLimit":{"requests":1000000000,"perSeconds":1}}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey1"])')
  fi
}

# cpu_ticks PID... : the user and system clock ticks those processes have used (0 for one gone).
cpu_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $t
}

# fresh_database PREFIX [track] : a new database PREFIX_<pid> beside the one $pg names (the
# URL's query, such as ?sslmode=disable, kept for it), dropped on exit after every server has
# stopped; `track` turns track_functions on in it. Sets $db and $url, and clears $key so the
# first server started on it makes an API user.
fresh_database() {
  db="$1_$$"
  psql -q "$pg" -c "CREATE DATABASE $db"
  if [ "${2:-}" = track ]; then psql -q "$pg" -c "ALTER DATABASE $db SET track_functions = 'all'"; fi
  trap 'stop_all; psql -q "$pg" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  local query="" base=${pg%%\?*}
  case $pg in *\?*) query="?${pg#*\?}" ;; esac
  url="${base%/*}/$db$query"; key=
}

# commits : the transactions committed in $db so far.
commits() { psql -tA "$url" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'"; }

# measure LABEL "PID..." URL... : wrk on each URL at once (64 connections split over them) for
# $seconds (10) s with notify.lua and $key; prints req/s, p50, p99, non-2xx and the servers' CPU a
# request (from /proc) on one line, and sets $rps.
measure() {
  local label=$1 pids=$2; shift 2
  local n=$# outs=() wrks=() i=0 url t0 t1
  t0=$(cpu_ticks $pids)
  for url in "$@"; do
    outs+=("$(mktemp)")
    RUN=$RANDOM$i KEY=${key:-} wrk -t1 -c$((64 / n)) -d"${seconds:-10}s" --latency -s "$here/notify.lua" "$url" > "${outs[$i]}" 2>&1 &
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
