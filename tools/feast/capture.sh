#!/usr/bin/env bash
# Capture what Feast's native OpenLineage emitter really sends for the churn project
# (tests/feast_repo), as JSON-lines fixtures: the real `feast` CLI, the way
# tests/e2e/test_feast.py runs it, with the events received by tools/dbt/receiver.py on
# 127.0.0.1 (one event a line, in the order received).
#
#   tools/feast/capture.sh                  # writes tests/events/data/captured/feast_*.jsonl
#   tools/feast/capture.sh --out /tmp/cap   # somewhere else
#
#   feast_apply.jsonl                `feast apply` of the project
#   feast_views.jsonl                each feature view's definition, sent by Feast's emitter
#                                    (tools/feast/project.py view-lineage)
#   feast_materialize.jsonl          `feast materialize 2026-11-01T00:00:00 2026-11-24T00:00:00`
#   feast_materialize_failure.jsonl  the source `orders` loses its column total_spend, then
#                                    `feast materialize 2026-11-01T00:00:00 2026-11-25T00:00:00`
#                                    fails reading it
#
# Exit status: 0 when every stream was captured and each `feast` command exited as expected;
# 1 otherwise, with Feast's output.
#
# Environment: FEAST_VENV (default <repo>/.venv-feast, built by tools/feast/install.sh if needed).
set -euo pipefail
args=("$@")

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${FEAST_VENV:-$repo_root/.venv-feast}"
out_dir="$repo_root/tests/events/data/captured"

log() { printf '[feast-capture] %s\n' "$*" >&2; }

FEAST_VENV="$venv" "$here/install.sh"
# shellcheck source=../capture-lib.sh
source "$repo_root/tools/capture-lib.sh" "${args[@]}"

# Nothing but the receiver may be configured as transport; no usage statistics.
export FEAST_USAGE=False
unset OPENLINEAGE_URL OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_DISABLED \
    OPENLINEAGE_NAMESPACE FEAST_OPENLINEAGE_URL FEAST_OPENLINEAGE_ENABLED

# capture NAME EXPECT(pass|fail) COMMAND...: one command (`feast -c <project> …`, or
# project.py's with the project), its events in NAME.jsonl.
capture() {
    local name="$1" expect="$2" events="$work/$1.jsonl" rc=0
    shift 2
    start_receiver "$events"
    # The project keeps its registry and online store between commands; only the address
    # of this command's receiver changes.
    sed -i "s|^  transport_url: .*|  transport_url: $RECEIVER_URL|" "$work/churn/feature_store.yaml"
    log "$* (expecting it to $expect)"
    if [[ $1 == view-lineage ]]; then
        "$venv/bin/python" "$here/project.py" view-lineage "$work/churn" > "$work/feast.log" 2>&1 || rc=$?
    else
        "$venv/bin/feast" -c "$work/churn" "$@" > "$work/feast.log" 2>&1 || rc=$?
    fi
    stop_receiver
    if { [[ $expect == pass ]] && [[ $rc -ne 0 ]]; } || { [[ $expect == fail ]] && [[ $rc -eq 0 ]]; }; then
        tail -n 100 "$work/feast.log" >&2
        log "$* exited $rc, expected it to $expect"
        exit 1
    fi
    [[ -s "$events" ]] || { log "no event was received"; exit 1; }
    mv "$events" "$out_dir/$name.jsonl"
    log "$name.jsonl: $(wc -l < "$out_dir/$name.jsonl") events"
}

"$venv/bin/python" "$here/project.py" prepare "$work/churn" --url http://127.0.0.1:9
capture feast_apply pass apply
capture feast_views pass view-lineage
capture feast_materialize pass materialize 2026-11-01T00:00:00 2026-11-24T00:00:00
"$venv/bin/python" "$here/project.py" drop-column "$work/churn" orders total_spend
capture feast_materialize_failure fail materialize 2026-11-01T00:00:00 2026-11-25T00:00:00
