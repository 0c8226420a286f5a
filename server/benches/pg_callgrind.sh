#!/usr/bin/env bash
# What a call of txstate_notify_batch() costs PostgreSQL, in instructions: callgrind counts them
# repeatably where timings on this shared machine swing by a fifth. A throwaway cluster in a
# temp directory (run as the postgres user; the machine's own cluster is left alone), the
# server's migrations, 200,000 notifications stored, then calls of N new notifications each in
# a single-user backend under callgrind. Per call: the function's instructions less those of
# the same call to an empty function of the same signature (the call's own parsing and
# planning), at N = 1 (what a call costs whatever its size) and N = 24 (a batch under load).
#   server/benches/pg_callgrind.sh [SQL_FILE...]
# SQL files are applied after the migrations: one that replaces the function measures a
# variant of it. PG_OPTIONS adds settings to the backend (`-c plan_cache_mode=...`). Needs
# root (for `su postgres`), valgrind and python3.
set -euo pipefail
# A failed count inside $(...) stops the script rather than printing a wrong difference.
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/txstate-pgcg.XXXXXX)
chown postgres "$dir"
as_pg() { su postgres -s /bin/bash -c "$*"; }
trap 'as_pg "$bin/pg_ctl -D $dir/data -m immediate stop" > /dev/null 2>&1 || true; rm -rf "$dir"' EXIT

as_pg "$bin/initdb -D $dir/data -E UTF8 --locale=C.UTF-8 --auth=trust" > /dev/null
as_pg "$bin/pg_ctl -D $dir/data -o '-p 5499 -k $dir -c listen_addresses=' -l $dir/log -w start" > /dev/null
url="postgresql://postgres@/postgres?host=$dir&port=5499"
for f in "$here"/../migrations/postgres/*.sql "$@"; do
  psql -q -v ON_ERROR_STOP=1 "$url" -f "$f" > /dev/null
done
psql -q -v ON_ERROR_STOP=1 "$url" <<'SQL'
CREATE FUNCTION empty_batch(p_dep TEXT[], p_ref TEXT[], p_tid TEXT[], p_state TEXT[],
    p_code TEXT[], p_desc TEXT[], p_time TEXT[], p_info TEXT[], p_at BIGINT[], p_shard SMALLINT)
RETURNS TABLE (pos INT, outcome TEXT, operation_id TEXT) LANGUAGE plpgsql AS $$ BEGIN END $$;
INSERT INTO notifications SELECT 'API_1605176965390000881', 'PRE_' || g, 'T_PRE_' || g, '531',
    '200', NULL, NULL, '{}', 1733450000000 FROM generate_series(1, 200000) g;
VACUUM ANALYZE;
SQL
as_pg "$bin/pg_ctl -D $dir/data -w stop" > /dev/null

# calls FUNCTION N CALLS: the instructions a single-user backend takes for CALLS calls, on a
# copy of the cluster (each run starts from the same data).
calls() {
  rm -rf "$dir/run" && cp -a "$dir/data" "$dir/run"
  python3 - "$1" "$2" "$3" > "$dir/calls.sql" <<'PY'
import sys
fn, n, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = lambda xs: "ARRAY[" + ",".join("'" + x + "'" for x in xs) + "]::text[]"
for c in range(calls):
    refs = [f"CG_{c}_{i}" for i in range(n)]
    args = [text(["API_1605176965390000881"] * n), text(refs), text(["T" + r for r in refs]),
            text(["531"] * n), text(["200"] * n), f"array_fill(NULL::text, ARRAY[{n}])",
            f"array_fill(NULL::text, ARRAY[{n}])", text(['{"responseCode":"200"}'] * n),
            f"array_fill(1733450000000::bigint, ARRAY[{n}])", "0::smallint"]
    print(f"SELECT count(*) FROM {fn}({', '.join(args)});\n")
PY
  chown -R postgres "$dir"
  as_pg "valgrind --tool=callgrind --callgrind-out-file=$dir/cg.out $bin/postgres --single -j \
    -D $dir/run -c synchronous_commit=off ${PG_OPTIONS:-} postgres < $dir/calls.sql > $dir/out.txt 2> $dir/vg.txt" || true
  # Its output says whether it ran: shown when it did not.
  if grep -qE 'ERROR|FATAL' "$dir/out.txt" "$dir/vg.txt" || ! grep -q 'Collected : ' "$dir/vg.txt"; then
    cat "$dir/out.txt" "$dir/vg.txt" >&2
    exit 1
  fi
  grep -o 'Collected : [0-9]*' "$dir/vg.txt" | awk '{print $3}'
}
# per_call FUNCTION N: one call's instructions once its plans are cached (60 calls less 20).
per_call() {
  local more fewer
  more=$(calls "$1" "$2" 60)
  fewer=$(calls "$1" "$2" 20)
  echo $(((more - fewer) / 40))
}

for n in 1 24; do
  fn=$(per_call txstate_notify_batch $n)
  empty=$(per_call empty_batch $n)
  echo "txstate_notify_batch, $n new notification(s) a call: $((fn - empty)) instructions a call"
done
