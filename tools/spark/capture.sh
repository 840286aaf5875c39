#!/usr/bin/env bash
# Capture what the OpenLineage Spark listener really sends for Spark SQL, as JSON-lines fixtures.
#
#   tools/spark/capture.sh                  # writes tests/events/data/captured/spark_sql.jsonl
#   tools/spark/capture.sh --out /tmp/cap   # somewhere else
#
# One stream: tools/spark/job.py (a jaffle_shop in Spark SQL, ending in two failing statements)
# in ONE Spark session, local[2], with the listener io.openlineage:openlineage-spark_2.13
# (tools/spark/pom.xml) and its http transport pointed at tools/dbt/receiver.py on 127.0.0.1
# (one event a line, in the order received):
#
#   spark_sql.jsonl   every event of the application, its passing and failing statements
#
# The session's tables live in SPARK_CAPTURE_DIR (default /tmp/lineage-spark-capture: a fixed
# folder, removed and recreated, so that the file paths and table locations in the events are the
# same on every machine; do not run two captures at once). Spark settings go in a
# spark-defaults.conf of their own (SPARK_CONF_DIR), so nothing of the machine's Spark
# configuration leaks in.
#
# Exit status: 0 when the job ran and exactly its planted statements failed, and events were
# received; 1 otherwise, with the job's output.
#
# Environment: SPARK_VENV (default <repo>/.venv-spark, built by tools/spark/install.sh if
# needed); SPARK_JAVA_HOME (default: JAVA_HOME when it is Java 17 or 21, else
# /usr/lib/jvm/*17*, then *21*).
set -euo pipefail
args=("$@")

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${SPARK_VENV:-$repo_root/.venv-spark}"
out_dir="$repo_root/tests/events/data/captured"
base="${SPARK_CAPTURE_DIR:-/tmp/lineage-spark-capture}"

log() { printf '[spark-capture] %s\n' "$*" >&2; }

SPARK_VENV="$venv" "$here/install.sh"
# shellcheck source=../capture-lib.sh
source "$repo_root/tools/capture-lib.sh" "${args[@]}"

events="$work/spark_sql.jsonl"
start_receiver "$events"
SPARK_VENV="$venv" "$here/run.sh" http "$RECEIVER_URL"
stop_receiver
[[ -s "$events" ]] || { cat "$base/spark.log" >&2; log "no event was received"; exit 1; }
mv "$events" "$out_dir/spark_sql.jsonl"
log "spark_sql.jsonl: $(wc -l < "$out_dir/spark_sql.jsonl") events"
