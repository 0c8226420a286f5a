#!/usr/bin/env bash
# One step of notify on a fresh SQLite database: the release binary with the settings given
# (RUST_LOG=info, as an operator runs it, or RUST_LOG=warn, as compare.sh does), 3 s of wrk to
# warm up, then 10 s of `wrk -t1 -c64` with notify.lua: req/s, p99 and the server's CPU a
# request (from /proc). Alternate two binaries or two settings to compare them.
#   server/benches/wrk/step.sh SERVER_BINARY [VAR=value ...]
# Needs wrk, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; shift
# shellcheck source=server.sh
. "$here/server.sh"
start_server -- "$bin" "$@"
KEY=$key wrk -t1 -c64 -d3s -s "$here/notify.lua" "http://127.0.0.1:$port/" > /dev/null
t0=$(cpu_ticks "$pid")
out=$(KEY=$key wrk -t1 -c64 -d10s --latency -s "$here/notify.lua" "http://127.0.0.1:$port/")
t1=$(cpu_ticks "$pid")
python3 - "$*" "$t0" "$t1" "$(getconf CLK_TCK)" "$out" <<'PY'
import re, sys
label, t0, t1, tck, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
n = int(re.search(r"(\d+) requests in", out).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
print(f"{label or 'defaults'}: {rps:,.0f} req/s, p99 {p99}, server {(t1 - t0) * 1e6 / tck / n:.1f} µs a request")
PY
