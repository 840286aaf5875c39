#!/usr/bin/env bash
# Install the pinned Airflow toolchain (apache-airflow, apache-airflow-providers-openlineage) into its own
# virtualenv, so that Airflow's dependencies never mix with the service's environment.
#
#   tools/airflow/install.sh            # creates/refreshes <repo>/.venv-airflow
#   AIRFLOW_VENV=/some/path tools/airflow/install.sh
#
# Environment:
#   AIRFLOW_VENV    virtualenv location (default: <repo root>/.venv-airflow)
#   AIRFLOW_PYTHON  interpreter used to create it (default: python3; Airflow 3.3 supports 3.10-3.13)
#   AIRFLOW_FORCE   set to 1 to rebuild even when the virtualenv is up to date
#
# Idempotent and safe to run concurrently: see tools/pinned-venv.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
name=airflow
requirements="$here/requirements.txt"
venv="${AIRFLOW_VENV:-$repo_root/.venv-airflow}"
python_bin="${AIRFLOW_PYTHON:-python3}"
force="${AIRFLOW_FORCE:-0}"
entry_points="airflow"
report_re='^(apache-airflow|apache-airflow-providers-openlineage|openlineage-python)$'

# Airflow and its OpenLineage provider import (with a throwaway AIRFLOW_HOME, so that nothing
# is written to ~/airflow).
smoke() {
    local smoke_home
    smoke_home="$(mktemp -d)"
    AIRFLOW_HOME="$smoke_home" "$venv/bin/python" -c 'import airflow, airflow.providers.openlineage' >/dev/null
    rm -rf "$smoke_home"
}

source "$here/../pinned-venv.sh"
