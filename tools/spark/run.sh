#!/usr/bin/env bash
# Run tools/spark/job.py (a jaffle_shop in Spark SQL) under the OpenLineage Spark listener,
# sending its events over HTTP or to Kafka.
#
#   tools/spark/run.sh http  URL                  # e.g. http://127.0.0.1:8000 (a lineage server)
#   tools/spark/run.sh kafka BOOTSTRAP TOPIC      # e.g. 127.0.0.1:9092 openlineage
#
# One Spark session, local[2], with the listener io.openlineage:openlineage-spark_2.13
# (tools/spark/pom.xml, with the Kafka client its Kafka transport needs). The session's tables
# live in SPARK_CAPTURE_DIR (default /tmp/lineage-spark-capture: a fixed folder, removed and
# recreated, so that the file paths and table locations in the events are the same on every
# machine; do not run two at once). Spark settings go in a spark-defaults.conf of their own
# (SPARK_CONF_DIR), so nothing of the machine's Spark configuration leaks in.
#
# Exit status: 0 when the job ran and exactly its planted statements failed; 1 otherwise, with
# the job's output; 2 on usage errors.
#
# Environment: SPARK_VENV (default <repo>/.venv-spark, built by tools/spark/install.sh if
# needed); SPARK_JAVA_HOME (default: JAVA_HOME when it is Java 17 or 21, else
# /usr/lib/jvm/*17*, then *21*).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
venv="${SPARK_VENV:-$repo_root/.venv-spark}"
base="${SPARK_CAPTURE_DIR:-/tmp/lineage-spark-capture}"

log() { printf '[spark-run] %s\n' "$*" >&2; }
usage() { sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

transport="${1:-}"
case "$transport" in
    http) [[ $# -eq 2 ]] || usage ;;
    kafka) [[ $# -eq 3 ]] || usage ;;
    *) usage ;;
esac

SPARK_VENV="$venv" "$here/install.sh"

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
JAVA_HOME="$(pick_java_home)"
export JAVA_HOME

jars="$(compgen -G "$here/target/jars/*.jar" | paste -sd, -)"

# Nothing but the transport given here may be configured; no machine Spark configuration.
unset OPENLINEAGE_CONFIG OPENLINEAGE_API_KEY OPENLINEAGE_ENDPOINT OPENLINEAGE_DISABLED \
    OPENLINEAGE_NAMESPACE OPENLINEAGE_PARENT_ID OPENLINEAGE_ROOT_PARENT_ID OPENLINEAGE_URL \
    SPARK_HOME PYSPARK_SUBMIT_ARGS HADOOP_CONF_DIR
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$venv/bin/python"

# The folder must be ours to remove: absent, or holding what an earlier run left.
if [[ -e "$base" && ! -f "$base/.lineage-spark-capture" ]]; then
    log "refusing to replace $base: it exists and was not made by this script (set SPARK_CAPTURE_DIR)"
    exit 1
fi
rm -rf "$base"
mkdir -p "$base/conf"
: > "$base/.lineage-spark-capture"

if [[ "$transport" == http ]]; then
    transport_conf="spark.openlineage.transport.type               http
spark.openlineage.transport.url                $2"
else
    transport_conf="spark.openlineage.transport.type               kafka
spark.openlineage.transport.topicName          $3
spark.openlineage.transport.properties.bootstrap.servers $2
spark.openlineage.transport.properties.acks    all
spark.openlineage.transport.properties.key.serializer   org.apache.kafka.common.serialization.StringSerializer
spark.openlineage.transport.properties.value.serializer org.apache.kafka.common.serialization.StringSerializer"
fi
cat > "$base/conf/spark-defaults.conf" <<CONF
spark.master                                   local[2]
spark.app.name                                 jaffle_shop
spark.ui.enabled                               false
spark.sql.shuffle.partitions                   2
spark.sql.catalogImplementation                in-memory
spark.sql.warehouse.dir                        $base/warehouse
spark.driver.memory                            1g
spark.jars                                     $jars
spark.extraListeners                           io.openlineage.spark.agent.OpenLineageSparkListener
spark.openlineage.namespace                    spark_jaffle_shop
$transport_conf
CONF
export SPARK_CONF_DIR="$base/conf"

log "job.py (one Spark session, $transport transport, Java $(java_major "$JAVA_HOME"))"
if ! (cd "$base" && "$venv/bin/python" "$here/job.py" "$base") > "$base/job.out" 2> "$base/spark.log"; then
    cat "$base/spark.log" "$base/job.out" >&2
    log "job.py failed"
    exit 1
fi
sed 's/^/    /' "$base/job.out" >&2
