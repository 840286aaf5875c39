#!/usr/bin/env bash
# Capture what dbt-ol really sends for tests/dbt_project_classic, as JSON-lines fixtures.
#
#   tools/dbt/capture.sh                  # writes tests/events/data/captured/dbt_classic_*.jsonl
#   tools/dbt/capture.sh --out /tmp/cap   # somewhere else
#
# Five streams, each from a fresh copy of the project and a fresh DuckDB file, each received
# by tools/dbt/receiver.py on 127.0.0.1 (one event a line, in the order received):
#
#   dbt_classic_dev.jsonl             dbt-ol build                          (target dev)
#   dbt_classic_dev_structured.jsonl  dbt-ol --consume-structured-logs build (target dev)
#   dbt_classic_prod.jsonl            dbt-ol build --target prod
#   dbt_classic_dev_failures.jsonl    dbt build, then (captured) dbt-ol build --vars
#                                     '{plant_failures: true}': `orders` fails to build and
#                                     one data test fails, after a passing build
#   dbt_classic_dev_store_failures.jsonl
#                                     dbt build, then (captured) dbt-ol
#                                     --consume-structured-logs test --store-failures
#                                     --select stg_customers: tests that create their
#                                     failures' tables
#
# Jobs go to the namespace dbt_classic. The project is run from a temporary folder with the
# relative DuckDB paths of its profiles.yml (dev/jaffle_shop.duckdb, prod/jaffle_shop.duckdb),
# so the dataset namespaces (duckdb://dev/jaffle_shop.duckdb, duckdb://prod/jaffle_shop.duckdb)
# are the same on every machine.
#
# Exit status: 0 when every stream was captured and dbt exited as expected (0 for the
# passing builds, 1 for the planted failures); 1 otherwise, with the dbt output.
#
# Environment: DBT_VENV (default <repo>/.venv-dbt, built by tools/dbt/install.sh if needed).
set -euo pipefail
args=("$@")

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
project_src="$repo_root/tests/dbt_project_classic"
venv="${DBT_VENV:-$repo_root/.venv-dbt}"
out_dir="$repo_root/tests/events/data/captured"

log() { printf '[dbt-capture] %s\n' "$*" >&2; }

DBT_VENV="$venv" "$here/install.sh"
# shellcheck source=../capture-lib.sh
source "$repo_root/tools/capture-lib.sh" "${args[@]}"

# dbt-ol starts `dbt` from PATH. Nothing but the receiver may be configured as transport.
export PATH="$venv/bin:$PATH"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export OPENLINEAGE_NAMESPACE=dbt_classic
unset OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_ENDPOINT OPENLINEAGE_DISABLED \
    OPENLINEAGE_PARENT_ID OPENLINEAGE_ROOT_PARENT_ID OPENLINEAGE_CONTEXT OPENLINEAGE_DBT_JOB_NAME \
    DBT_DUCKDB_PATH DBT_DUCKDB_PROD_PATH DBT_TARGET_PATH DBT_LOG_PATH DBT_PROJECT_DIR

# A fresh copy of the project: no target/, logs/ or DuckDB files from an earlier run.
fresh_project() {
    rm -rf "$work/project"
    cp -r "$project_src" "$work/project"
    rm -rf "$work/project/target" "$work/project/logs" "$work/project"/dbt-logs-* \
        "$work/project/dev" "$work/project/prod"
    mkdir "$work/project/dev" "$work/project/prod"
    export DBT_PROFILES_DIR="$work/project"
}

# run EXPECTED_STATUS COMMAND...: run in the project, fail loudly on another exit status.
run() {
    local expected="$1" rc=0
    shift
    log "$* (expecting exit $expected)"
    (cd "$work/project" && "$@") > "$work/dbt.log" 2>&1 || rc=$?
    if [[ $rc -ne $expected ]]; then
        cat "$work/dbt.log" >&2
        log "$* exited $rc, expected $expected"
        exit 1
    fi
}

# capture NAME EXPECTED_STATUS DBT_OL_ARGS...: one stream, from a fresh project.
capture() {
    local name="$1" expected="$2" events="$work/$1.jsonl"
    shift 2
    start_receiver "$events"
    export OPENLINEAGE_URL="$RECEIVER_URL"
    run "$expected" dbt-ol "$@"
    stop_receiver
    mv "$events" "$out_dir/$name.jsonl"
    log "$name.jsonl: $(wc -l < "$out_dir/$name.jsonl") events"
}

fresh_project
capture dbt_classic_dev 0 build

fresh_project
capture dbt_classic_dev_structured 0 --consume-structured-logs build

fresh_project
capture dbt_classic_prod 0 build --target prod

fresh_project
run 0 dbt build
capture dbt_classic_dev_failures 1 build --vars '{plant_failures: true}'

fresh_project
run 0 dbt build
capture dbt_classic_dev_store_failures 0 --consume-structured-logs test --store-failures \
    --select stg_customers
