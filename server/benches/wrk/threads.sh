#!/usr/bin/env bash
# Where a notification's CPU goes, thread by thread: the release binary on a fresh SQLite
# database with the demo data, Debian's wrk -t1 -c64 for 10 s with notify.lua, and each of the
# server's threads' user and system time from /proc divided by the requests answered; also
# the writer's commits in those 10 s and writes a commit, and the log's flushes (/metrics).
#   server/benches/wrk/threads.sh SERVER_BINARY [VAR=value ...]
# (a VAR=value such as TXSTATE_DATABASE_URL=postgres://... runs it on another database).
# Needs wrk, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1; shift
# shellcheck source=server.sh
. "$here/server.sh"
start_server -- "$server" RUST_LOG=warn "$@"
snapshot() {
  local t
  for t in /proc/"$pid"/task/*; do
    echo "$(basename "$t") $(tr ' ' _ < "$t/comm") $(awk '{print $14, $15}' "$t/stat")"
  done
}
# The batch and flush series of /metrics, one "name{labels} value" a line.
batches() {
  curl -s "http://127.0.0.1:$port/metrics" |
    grep -E '^txstate_(write_batch_size|sqlite_log_flush_seconds)_(sum|count)' || true
}
before=$(snapshot); m0=$(batches)
out=$(KEY=$key wrk -t1 -c64 -d10s --latency -s "$here/notify.lua" "http://127.0.0.1:$port/")
after=$(snapshot); m1=$(batches)
python3 - "$(getconf CLK_TCK)" "$out" "$before" "$after" "$m0" "$m1" <<'PY'
import re, sys
tck, out, before, after, m0, m1 = int(sys.argv[1]), *sys.argv[2:7]
n = int(re.search(r"(\d+) requests in", out).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
print(f"{rate:,.0f} req/s, p99 {p99}; CPU a request by thread (µs):")
t0 = {l.split()[0]: l.split() for l in before.splitlines()}
total = [0.0, 0.0]
for line in after.splitlines():
    tid, name, u1, s1 = line.split()
    if tid not in t0:
        continue
    u = (int(u1) - int(t0[tid][2])) * 1e6 / tck / n
    s = (int(s1) - int(t0[tid][3])) * 1e6 / tck / n
    total[0] += u; total[1] += s
    if u + s >= 0.2:
        print(f"  {name:<16} user {u:5.1f}  system {s:5.1f}")
print(f"  {'all':<16} user {total[0]:5.1f}  system {total[1]:5.1f}")
def series(text):
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l}
d0, d1 = series(m0), series(m1)
delta = lambda name: d1.get(name, 0.0) - d0.get(name, 0.0)
for writer in ("sqlite", "postgres"):
    commits = delta(f'txstate_write_batch_size_count{{writer="{writer}"}}')
    if commits:
        writes = delta(f'txstate_write_batch_size_sum{{writer="{writer}"}}')
        print(f"{writer} writer: {commits:,.0f} batches, {writes / commits:.1f} writes a batch")
flushes = delta("txstate_sqlite_log_flush_seconds_count")
if flushes:
    took = delta("txstate_sqlite_log_flush_seconds_sum")
    print(f"log flushes: {flushes:,.0f}, {took * 1e6 / flushes:,.0f} µs each, busy {took * 10:.0f} % of the run")
PY
