#!/usr/bin/env bash
# Install the pinned dbt toolchain (dbt-core, dbt-duckdb, openlineage-dbt) into its own
# virtualenv, so that dbt's dependencies never mix with the service's environment.
#
#   tools/dbt/install.sh            # creates/refreshes <repo>/.venv-dbt
#   DBT_VENV=/some/path tools/dbt/install.sh
#
# Environment:
#   DBT_VENV    virtualenv location (default: <repo root>/.venv-dbt)
#   DBT_PYTHON  interpreter used to create it (default: python3; dbt 1.11 supports 3.10-3.13)
#   DBT_FORCE   set to 1 to rebuild even when the virtualenv is up to date
#
# Idempotent and safe to run concurrently: see tools/pinned-venv.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
name=dbt
requirements="$here/requirements.txt"
venv="${DBT_VENV:-$repo_root/.venv-dbt}"
python_bin="${DBT_PYTHON:-python3}"
force="${DBT_FORCE:-0}"
entry_points="dbt dbt-ol"
report_re='^(dbt-core|dbt-duckdb|openlineage-dbt|duckdb)$'

# dbt, the adapter and the integration import. (Not `dbt --version`: it asks the package
# index for the latest release.)
smoke() {
    "$venv/bin/python" -c 'import dbt.cli.main, dbt.adapters.duckdb, openlineage.dbt' >/dev/null
}

source "$here/../pinned-venv.sh"
