#!/usr/bin/env bash
# Capture what Airflow's OpenLineage provider really sends for SQL run on SQLite, as
# JSON-lines fixtures: `airflow dags test` of tests/airflow_dags/jaffle_shop_sqlite.py, the
# way tests/e2e/test_airflow.py runs Airflow, with the events received by
# tools/dbt/receiver.py on 127.0.0.1 (one event a line, in the order received).
#
#   tools/airflow/capture.sh                  # writes tests/events/data/captured/airflow_sqlite_sql*.jsonl
#   tools/airflow/capture.sh --out /tmp/cap   # somewhere else
#
#   airflow_sqlite_sql.jsonl          a passing run (logical date 2026-11-23)
#   airflow_sqlite_sql_failure.jsonl  a run of 2026-11-24 with --conf '{"orders_table": "orders_archive"}':
#                                     customer_revenue fails, daily_revenue never runs
#
# Each run gets a fresh AIRFLOW_HOME (metadata database) and a fresh SQLite file. Jobs go to
# the namespace airflow_sqlite.
#
# Exit status: 0 when both streams were captured and `airflow dags test` exited as expected
# (0 for the passing run, non-zero for the failing one); 1 otherwise, with Airflow's output.
#
# Environment: AIRFLOW_VENV (default <repo>/.venv-airflow, built by tools/airflow/install.sh if
# needed).
set -euo pipefail
args=("$@")

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${AIRFLOW_VENV:-$repo_root/.venv-airflow}"
out_dir="$repo_root/tests/events/data/captured"
dag=jaffle_shop_sqlite

log() { printf '[airflow-capture] %s\n' "$*" >&2; }

AIRFLOW_VENV="$venv" "$here/install.sh"
# shellcheck source=../capture-lib.sh
source "$repo_root/tools/capture-lib.sh" "${args[@]}"

export AIRFLOW__CORE__DAGS_FOLDER="$repo_root/tests/airflow_dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=false
# Nothing leaves the machine: no usage reports.
export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=false
export SCARF_ANALYTICS=false
export AIRFLOW__OPENLINEAGE__NAMESPACE=airflow_sqlite
unset OPENLINEAGE_URL OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_DISABLED \
    AIRFLOW__OPENLINEAGE__CONFIG_PATH AIRFLOW__OPENLINEAGE__DISABLED

# capture NAME EXPECT(pass|fail) LOGICAL_DATE [airflow dags test options...]
capture() {
    local name="$1" expect="$2" logical_date="$3" events="$work/$1.jsonl" rc=0
    shift 3
    rm -rf "$work/home" "$work/jaffle_shop.db"
    export AIRFLOW_HOME="$work/home"
    # The SQLite hook takes the file from the connection's host.
    export AIRFLOW_CONN_JAFFLE_SHOP_SQLITE="{\"conn_type\": \"sqlite\", \"host\": \"$work/jaffle_shop.db\"}"
    "$venv/bin/airflow" db migrate > "$work/airflow.log" 2>&1 || {
        cat "$work/airflow.log" >&2; log "airflow db migrate failed"; exit 1
    }
    start_receiver "$events"
    export AIRFLOW__OPENLINEAGE__TRANSPORT="{\"type\": \"http\", \"url\": \"$RECEIVER_URL\", \"endpoint\": \"api/v1/lineage\"}"
    log "airflow dags test $dag $logical_date $* (expecting the run to $expect)"
    "$venv/bin/airflow" dags test "$dag" "$logical_date" "$@" > "$work/airflow.log" 2>&1 || rc=$?
    stop_receiver
    if { [[ $expect == pass ]] && [[ $rc -ne 0 ]]; } || { [[ $expect == fail ]] && [[ $rc -eq 0 ]]; }; then
        tail -n 200 "$work/airflow.log" >&2
        log "airflow dags test exited $rc, expected the run to $expect"
        exit 1
    fi
    mv "$events" "$out_dir/$name.jsonl"
    log "$name.jsonl: $(wc -l < "$out_dir/$name.jsonl") events"
}

# The provider derives the DAG's and the tasks' runIds from the logical date (and the try
# number), so the failing run gets the next day: two runs, not one run ending twice.
capture airflow_sqlite_sql pass 2026-11-23
capture airflow_sqlite_sql_failure fail 2026-11-24 --conf '{"orders_table": "orders_archive"}'
