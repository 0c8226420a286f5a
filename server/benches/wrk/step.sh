#!/usr/bin/env bash
# One step of notify on a fresh SQLite database: the release binary with the settings given
# (RUST_LOG=info, as an operator runs it, or RUST_LOG=warn, as compare.sh does), 3 s of wrk to
# warm up, then compare.sh's measure (10 s of `wrk -t1 -c64` with notify.lua: req/s, p50, p99
# and the server's CPU a request). Alternate two binaries or two settings to compare them.
#   server/benches/wrk/step.sh SERVER_BINARY [VAR=value ...]
# Needs wrk, curl, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; shift
# shellcheck source=server.sh
. "$here/server.sh"
start_server -- "$bin" "$@"
KEY=$key wrk -t1 -c64 -d3s -s "$here/notify.lua" "http://127.0.0.1:$port/" > /dev/null
measure "${*:-defaults}" "$pid" "http://127.0.0.1:$port/"
