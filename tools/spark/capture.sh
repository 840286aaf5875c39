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

java_major() { "$1/bin/java" -version 2>&1 | awk -F'"' 'NR == 1 { split($2, v, "."); print v[1] }'; }
pick_java_home() {
    local c
    for c in ${SPARK_JAVA_HOME:-} ${JAVA_HOME:-} /usr/lib/jvm/*17* /usr/lib/jvm/*21*; do
        if [[ -x "$c/bin/java" ]] && [[ "$(java_major "$c")" =~ ^(17|21)$ ]]; then
            printf '%s' "$c"
            return 0
        fi
    done
    log "no Java 17 or 21 found (set SPARK_JAVA_HOME; e.g. apt-get install -y openjdk-17-jre-headless)"
    exit 1
}
export JAVA_HOME="$(pick_java_home)"

jar="$(compgen -G "$here/target/jars/openlineage-spark_2.13-*.jar" | head -n 1)"

# Nothing but the receiver may be configured as transport; no machine Spark configuration.
unset OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_ENDPOINT OPENLINEAGE_DISABLED \
    OPENLINEAGE_NAMESPACE OPENLINEAGE_PARENT_ID OPENLINEAGE_ROOT_PARENT_ID OPENLINEAGE_URL \
    SPARK_HOME PYSPARK_SUBMIT_ARGS HADOOP_CONF_DIR
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$venv/bin/python"

# The folder must be ours to remove: absent, or holding what an earlier capture left.
if [[ -e "$base" && ! -f "$base/.lineage-spark-capture" ]]; then
    log "refusing to replace $base: it exists and was not made by this script (set SPARK_CAPTURE_DIR)"
    exit 1
fi
rm -rf "$base"
mkdir -p "$base"
: > "$base/.lineage-spark-capture"

events="$work/spark_sql.jsonl"
start_receiver "$events"

mkdir -p "$work/conf"
cat > "$work/conf/spark-defaults.conf" <<CONF
spark.master                                   local[2]
spark.app.name                                 jaffle_shop
spark.ui.enabled                               false
spark.sql.shuffle.partitions                   2
spark.sql.catalogImplementation                in-memory
spark.sql.warehouse.dir                        $base/warehouse
spark.driver.memory                            1g
spark.jars                                     $jar
spark.extraListeners                           io.openlineage.spark.agent.OpenLineageSparkListener
spark.openlineage.namespace                    spark_jaffle_shop
spark.openlineage.transport.type               http
spark.openlineage.transport.url                $RECEIVER_URL
CONF
export SPARK_CONF_DIR="$work/conf"

log "job.py (one Spark session, listener $(basename "$jar"), Java $(java_major "$JAVA_HOME"))"
if ! (cd "$base" && "$venv/bin/python" "$here/job.py" "$base") > "$work/job.out" 2> "$work/spark.log"; then
    cat "$work/spark.log" "$work/job.out" >&2
    log "job.py failed"
    exit 1
fi
sed 's/^/    /' "$work/job.out" >&2
stop_receiver
[[ -s "$events" ]] || { cat "$work/spark.log" >&2; log "no event was received"; exit 1; }
mv "$events" "$out_dir/spark_sql.jsonl"
log "spark_sql.jsonl: $(wc -l < "$out_dir/spark_sql.jsonl") events"
