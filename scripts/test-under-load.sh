#!/usr/bin/env bash
# `make test` with two CPU-bound processes beside it, as on a busy CI host or
# a shared NOC box (issue 16): the suite must stay green when it does not have
# the machine to itself. The burners are started and always stopped here,
# and each is bounded by `timeout` in case this script itself is killed.
set -euo pipefail
cd "$(dirname "$0")/.."

BURNERS=${BURNERS:-2}
LIMIT=${BURN_SECONDS:-3600}   # longer than any suite run; a safety net only
pids=()

stop_burners() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_burners EXIT INT TERM

for _ in $(seq "$BURNERS"); do
    timeout "$LIMIT" sh -c 'while :; do :; done' &
    pids+=("$!")
done
echo "test-under-load: ${#pids[@]} CPU-bound processes running (pids ${pids[*]})"

start=$(date +%s)
status=0
"${MAKE:-make}" test || status=$?
echo "test-under-load: make test exited $status after $(($(date +%s) - start)) s"
exit "$status"
