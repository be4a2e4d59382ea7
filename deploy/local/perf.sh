#!/usr/bin/env bash
# The end-to-end measurement behind docs/SCALING.md's per-event costs: a fresh
# database, `rebond serve` with every role, `rebond bench` against it, then
# the CPU per event of serve and of the database's PostgreSQL backends
# (utime+stime from /proc). Ports and the Redis database are chosen not to
# collide with `make run` or the tests.
#
#   deploy/local/perf.sh [BINARY] [MESSAGES] [bench flags...]
#   deploy/local/perf.sh ./bin/rebond 50000
#   deploy/local/perf.sh ./bin/rebond 30000 --rate 5000
#   PROFILE=6 deploy/local/perf.sh ...   # also a 6 s CPU profile of serve in /tmp/cpu.pprof
#                                        # (from PROFILE_DELAY=0.2 s after the bench starts)
#   PGLOG=1 deploy/local/perf.sh ...     # every statement's duration in the server log
#   SMPP=1 deploy/local/perf.sh ...      # SMS receipts over SMPP binds (bench is the SMSC)
set -euo pipefail
BIN=${1:-./bin/rebond}
MSG=${2:-50000}
shift $(( $# > 2 ? 2 : $# ))
DB=rebond_perf
# PGPORT picks another PostgreSQL on 127.0.0.1 (e.g. a scratch cluster with
# pg_stat_statements loaded); psql below reads it too.
export PGPORT=${PGPORT:-5432}
export REBOND_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/$DB?sslmode=disable"
redis-cli -n 1 flushdb >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
"$BIN" migrate >/dev/null
# PGLOG=1: log every statement's duration (parse, bind and execute) to the
# server log, to sum time per statement afterwards; it slows the run.
[ -n "${PGLOG:-}" ] && psql -h 127.0.0.1 -U postgres -qc "ALTER DATABASE $DB SET log_min_duration_statement = 0"
DATA=$(mktemp -d)
# SMPP=1: the SMS receipts arrive over SMPP binds, as from an SMSC: bench
# is the SMSC on 127.0.0.1:2776 and serve binds to it (two binds).
BENCH_SMPP=()
echo '{}' >"$DATA/perf.yaml"
if [ -n "${SMPP:-}" ]; then
	cat >"$DATA/perf.yaml" <<-'YAML'
	smpp:
	  gateways:
	    - {name: bench, tenant: bench, addr: "127.0.0.1:2776", system_id: bench, password: bench, dialect: map, binds: 2, window_size: 100, reconnect_max: 1s}
	YAML
	BENCH_SMPP=(--smpp-listen 127.0.0.1:2776)
fi
REBOND_REDIS_URL=redis://127.0.0.1:6379/1 REBOND_LOG_LEVEL=warn REBOND_DATA_DIR="$DATA" \
	REBOND_ADMIN_TOKEN=perftoken-0123456789 REBOND_HTTP_ADDR=127.0.0.1:8090 REBOND_NATS_EMBEDDED_ADDR=127.0.0.1:4230 \
	REBOND_PPROF_ADDR=127.0.0.1:6061 "$BIN" --config "$DATA/perf.yaml" serve >"$DATA/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null; rm -rf "$DATA"' EXIT
sleep 3
cpu() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pgcpu() { local s=0; for p in $(pgrep -f "$DB" || true); do s=$((s + $(cpu "$p"))); done; echo $s; }
s0=$(cpu $SERVE); p0=$(pgcpu)
if [ -n "${PROFILE:-}" ]; then
	(sleep "${PROFILE_DELAY:-0.2}"; curl -s -o /tmp/cpu.pprof "http://127.0.0.1:6061/debug/pprof/profile?seconds=$PROFILE") &
	PROF=$!
fi
# The bench's events go to its tenant, "bench" (so the SMPP gateway above is
# that tenant's); --keep leaves them for the count below, and the database is
# dropped at the next run.
/usr/bin/time -f "bench client: %U s user %S s sys" "$BIN" --config "$DATA/perf.yaml" bench --url http://127.0.0.1:8090 \
	--token perftoken-0123456789 --keep --messages "$MSG" "${BENCH_SMPP[@]}" "$@"
[ -n "${PROF:-}" ] && wait "$PROF"
s1=$(cpu $SERVE); p1=$(pgcpu)
n=$(psql -h 127.0.0.1 -U postgres -d $DB -tAc 'SELECT count(*) FROM events WHERE applied_at IS NOT NULL')
hz=$(getconf CLK_TCK)
echo "applied=$n serve_cpu_us_per_event=$(( (s1 - s0) * 1000000 / hz / n )) pg_cpu_us_per_event=$(( (p1 - p0) * 1000000 / hz / n ))"
