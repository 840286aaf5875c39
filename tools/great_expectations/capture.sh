#!/usr/bin/env bash
# Capture what Great Expectations' OpenLineage integration really sends, as JSON-lines fixtures.
#
#   tools/great_expectations/capture.sh                # writes tests/events/data/captured/great_expectations_*.jsonl
#   tools/great_expectations/capture.sh --out /tmp/cap # somewhere else
#
# Two streams, each one validation (validate.py) of a fresh SQLite `orders` table, received by
# tools/dbt/receiver.py on 127.0.0.1 (one event a line, in the order received):
#
#   great_expectations_failing.jsonl   validate.py --failing  (two of four expectations fail)
#   great_expectations_passing.jsonl   validate.py            (every expectation holds)
#
# Environment: GX_VENV (default <repo>/.venv-gx, built by tools/great_expectations/install.sh if
# needed).
set -euo pipefail
args=("$@")

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${GX_VENV:-$repo_root/.venv-gx}"
out_dir="$repo_root/tests/events/data/captured"

log() { printf '[gx-capture] %s\n' "$*" >&2; }

GX_VENV="$venv" "$here/install.sh"
# shellcheck source=../capture-lib.sh
source "$repo_root/tools/capture-lib.sh" "${args[@]}"

# Nothing but the receiver may be configured as transport; no usage statistics.
export GX_ANALYTICS_ENABLED=false
unset OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_ENDPOINT OPENLINEAGE_DISABLED \
    OPENLINEAGE_NAMESPACE OPENLINEAGE_PARENT_ID OPENLINEAGE_ROOT_PARENT_ID

# capture NAME VALIDATE_ARGS...: one validation of a fresh table, in its own folder.
capture() {
    local name="$1" events="$work/$1.jsonl"
    shift
    start_receiver "$events"
    export OPENLINEAGE_URL="$RECEIVER_URL"
    rm -rf "$work/run" && mkdir "$work/run"
    log "validate.py $*"
    if ! (cd "$work/run" && "$venv/bin/python" "$here/validate.py" "$@") > "$work/gx.log" 2>&1; then
        cat "$work/gx.log" >&2
        log "validate.py $* failed"
        exit 1
    fi
    stop_receiver
    [[ -s "$events" ]] || { log "no event was received"; exit 1; }
    mv "$events" "$out_dir/$name.jsonl"
    log "$name.jsonl: $(wc -l < "$out_dir/$name.jsonl") events"
}

capture great_expectations_failing --failing
capture great_expectations_passing
