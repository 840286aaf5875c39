#!/usr/bin/env bash
# Run the dbt project in tests/dbt_project under dbt-ol, from a clean state, so that it emits
# OpenLineage events to whatever the environment points at.
#
#   OPENLINEAGE_URL=http://127.0.0.1:5000 OPENLINEAGE_NAMESPACE=dbt_test tools/dbt/run.sh
#   tools/dbt/run.sh seed run test      # three dbt invocations instead of one `build`
#
# Arguments: the dbt-ol sub-commands to run, in order (default: build). A non-zero exit of
# any but the last stops the sequence.
#
# Exit status: that of dbt (dbt-ol passes it through). The project plants exactly one failing
# data test (accepted_values on orders.status), so a healthy run of `build` or `test` exits 1;
# 0 means that test did not run, 2 means dbt itself failed. The caller decides what to accept.
#
# Environment (all optional):
#   OPENLINEAGE_URL, OPENLINEAGE_ENDPOINT, OPENLINEAGE_API_KEY, OPENLINEAGE_CONFIG,
#   OPENLINEAGE_NAMESPACE (job namespace, dbt-ol's default is "dbt"),
#   OPENLINEAGE_PARENT_ID / OPENLINEAGE_CONTEXT (parent run), OPENLINEAGE_DISABLED
#                 read by dbt-ol / the OpenLineage client. Without OPENLINEAGE_URL or a
#                 config, the client prints the events to the console instead.
#   DBT_VENV        virtualenv holding dbt (default <repo>/.venv-dbt; created by install.sh)
#   DBT_DUCKDB_PATH DuckDB file (default jaffle_shop.duckdb in the project directory; a
#                   relative path is relative to the project directory). It also sets the
#                   dataset namespace: duckdb://<this exact string>.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
project_dir="$repo_root/tests/dbt_project"
venv="${DBT_VENV:-$repo_root/.venv-dbt}"

log() { printf '[dbt-run] %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

commands=("$@")
[[ ${#commands[@]} -gt 0 ]] || commands=(build)
for c in "${commands[@]}"; do
    case "$c" in
        seed | run | test | build | snapshot) ;;
        *) log "unsupported sub-command '$c' (dbt-ol emits events for seed|run|test|build|snapshot)"; exit 2 ;;
    esac
done

# Idempotent: a no-op when the virtualenv already matches requirements.txt.
DBT_VENV="$venv" "$here/install.sh"

# dbt-ol starts `dbt` from PATH, so the virtualenv's bin must come first.
export PATH="$venv/bin:$PATH"
# Known layout: profiles.yml and target/ inside the project, no usage tracking.
export DBT_PROFILES_DIR="$project_dir"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
unset DBT_TARGET_PATH DBT_LOG_PATH DBT_PROJECT_DIR

if [[ -z "${OPENLINEAGE_URL:-}${OPENLINEAGE_CONFIG:-}" && "${OPENLINEAGE_DISABLED:-}" != "true" ]]; then
    log "warning: neither OPENLINEAGE_URL nor OPENLINEAGE_CONFIG is set; events go to the console"
fi

cd "$project_dir"

# Clean state: no compiled artifacts, no logs, no database.
db_path="${DBT_DUCKDB_PATH:-jaffle_shop.duckdb}"
rm -rf target logs dbt-logs-*
rm -f "$db_path" "$db_path.wal"

log "project $project_dir, database $db_path, namespace ${OPENLINEAGE_NAMESPACE:-dbt (default)}"
rc=0
last=$((${#commands[@]} - 1))
for i in "${!commands[@]}"; do
    c="${commands[$i]}"
    t="$(now)"
    log "dbt-ol $c"
    set +e
    dbt-ol "$c"
    rc=$?
    set -e
    log "dbt-ol $c exited $rc [$(elapsed "$t")s]"
    if [[ $rc -ne 0 && $i -lt $last ]]; then
        log "stopping: '$c' failed"
        break
    fi
done
exit "$rc"
