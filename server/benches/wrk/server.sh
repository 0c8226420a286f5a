# Sourced by run.sh and instructions.sh: start_server [WRAPPER...] -- BINARY [VAR=value ...]
# starts BINARY (under WRAPPER, e.g. valgrind) on a fresh SQLite database with the demo data,
# waits for /readyz, creates an API user without a throttle, and sets $dir, $port, $pid, $key.
# The server is stopped and $dir removed on exit.
start_server() {
  local wrapper=()
  while [ "$1" != "--" ]; do wrapper+=("$1"); shift; done
  shift
  local bin=$1; shift
  dir=$(mktemp -d); port=$((20000 + RANDOM % 10000))
  local admin=bench-admin-token-0123456789
  env "$@" TXSTATE_BIND=127.0.0.1:$port TXSTATE_DATABASE_URL=sqlite://$dir/t.db \
    TXSTATE_ADMIN_TOKEN=$admin TXSTATE_DEMO=true "${wrapper[@]}" "$bin" > "$dir/log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  key=$(curl -s -X POST "http://127.0.0.1:$port/admin/api/api-users" -H "authorization: Bearer $admin" \
    -H 'content-type: application/json' \
    -d '{"name":"bench","grants":["notify"],"rateLimit":{"requests":1000000000,"perSeconds":1}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey1"])')
}
