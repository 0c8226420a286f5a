#!/usr/bin/env bash
# Instructions per notification of a release binary, counted by callgrind (repeatable on a
# shared machine, unlike time):
#   server/benches/wrk/instructions.sh BINARY [VAR=value ...]
# A fresh SQLite database with the demo data; 200 notifications to warm up, then 2,000 sent
# one at a time over one keep-alive connection with instrumentation on. With WRK=N, instead:
# wrk with N connections for 20 s (batches form as under load; everything the process ran,
# divided by the requests answered). CALLGRIND_OUT=FILE keeps the profile.
set -euo pipefail
bin=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=server.sh
. "$here/server.sh"
counts=$(mktemp -d)
start_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$counts/cg.out" -- "$bin" "$@"
drive() {
  python3 - "$port" "$1" "$key" <<'PY'
import http.client, json, sys
port, n, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"responseState": "532" if i % 4 == 0 else "531",
                       "refTransId": f"CG_{n}_{i}", "deploymentId": "API_1605176965390000881"})
    c.request("POST", "/campaignapi/resources/v3/notifytransactionstate", body,
              {"authorization": "Bearer " + key, "content-type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}
drive 200
callgrind_control -i on $pid >/dev/null 2>&1
if [ -n "${WRK:-}" ]; then
  n=$(KEY=$key wrk -t1 -c"$WRK" -d20s -s "$here/notify.lua" "http://127.0.0.1:$port/" |
    awk '/requests in/ {print $1}')
else
  n=2000; drive 2000
fi
callgrind_control -i off $pid >/dev/null 2>&1
callgrind_control -d $pid >/dev/null 2>&1
total=$(grep -h '^totals:' "$counts"/cg.out.* | awk '{print $2}' | head -1)
# CALLGRIND_OUT=FILE keeps the profile (callgrind_annotate FILE reads it by function).
[ -n "${CALLGRIND_OUT:-}" ] && cp "$(ls "$counts"/cg.out.* | head -1)" "$CALLGRIND_OUT"
rm -rf "$counts"
echo "instructions per notification: $((total / n)) ($n requests)"
