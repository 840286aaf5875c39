#!/usr/bin/env bash
# Regenerate every captured event fixture in tests/events/data/captured/ from the real
# producers: dbt-ol on tests/dbt_project_classic (tools/dbt/capture.sh), then Airflow's
# OpenLineage provider on tests/airflow_dags/jaffle_shop_sqlite.py (tools/airflow/capture.sh).
# Both virtualenvs are built first if needed (tools/dbt/install.sh, tools/airflow/install.sh).
#
#   tools/capture-events.sh                  # rewrite tests/events/data/captured/*.jsonl
#   tools/capture-events.sh --out /tmp/cap   # somewhere else, e.g. to compare
#
# The producers run one after the other (each is CPU-heavy). Exit status: 0 when every stream
# was captured, 1 otherwise. What each file holds: tests/events/data/captured/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/dbt/capture.sh" "$@"
"$here/airflow/capture.sh" "$@"
