#!/usr/bin/env bash
# Throughput of notify on a release binary, driven by Debian's wrk from another process.
#   server/benches/wrk/run.sh BINARY LABEL [VAR=value ...]
# A fresh SQLite database with the demo data, one API user without a throttle, then
# `wrk -t1 -c64 -d10s` sending new transactions (a quarter failures). Prints req/s, p50, p99
# and the server's CPU time per request (from /proc). Needs wrk (apt-get install wrk).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; label=$2; shift 2
# shellcheck source=server.sh
. "$here/server.sh"
start_server -- "$bin" "$@"
t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
out=$(KEY=$key wrk -t1 -c64 -d10s --latency -s "$here/notify.lua" "http://127.0.0.1:$port/" 2>&1)
t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
ticks=$(getconf CLK_TCK)
echo "$label rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
  "p50=$(echo "$out" | awk '$1=="50%" {print $2}') p99=$(echo "$out" | awk '$1=="99%" {print $2}')" \
  "non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}' | grep . || echo 0)" \
  "cpu_us_per_request=$(python3 -c "print(round(($t1-$t0)*1e6/$ticks/$reqs,1))")"
