#!/usr/bin/env bash
# Install the pinned PySpark into its own virtualenv and fetch the OpenLineage Spark listener jar
# (tools/spark/pom.xml) from Maven Central once, so that Spark's dependencies never mix with the
# service's environment.
#
#   tools/spark/install.sh            # creates/refreshes <repo>/.venv-spark and tools/spark/target/jars
#   SPARK_VENV=/some/path tools/spark/install.sh
#
# Environment:
#   SPARK_VENV    virtualenv location (default: <repo root>/.venv-spark)
#   SPARK_PYTHON  interpreter used to create it (default: python3; PySpark 4.3 supports 3.10+)
#   SPARK_FORCE   set to 1 to rebuild even when the virtualenv and the jars are up to date
#
# Needs `mvn` (e.g. `apt-get install -y maven`) the first time, and Java 17 or 21 to run
# (capture.sh). Idempotent and safe to run concurrently: see tools/pinned-venv.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
name=spark
requirements="$here/requirements.txt"
venv="${SPARK_VENV:-$repo_root/.venv-spark}"
python_bin="${SPARK_PYTHON:-python3}"
force="${SPARK_FORCE:-0}"
entry_points="python"
report_re='^(pyspark|py4j)$'

# The listener jar: copied once from the local Maven repository (downloaded there on the first
# run), and again only when pom.xml changes.
jars="$here/target/jars"
jar_stamp="$here/target/jars.pom.sha256"
pom_sum="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [[ "$force" == "1" || ! -f "$jar_stamp" || "$(cat "$jar_stamp")" != "$pom_sum" ]] \
    || ! compgen -G "$jars/openlineage-spark_2.13-*.jar" >/dev/null; then
    command -v mvn >/dev/null 2>&1 || { printf '[spark-install] mvn not found: apt-get install -y maven\n' >&2; exit 1; }
    printf '[spark-install] fetching the OpenLineage Spark listener (%s)\n' "$here/pom.xml" >&2
    rm -rf "$jars"
    mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory="$jars" >&2
    printf '%s\n' "$pom_sum" > "$jar_stamp"
fi

# PySpark imports and finds its bundled Spark jars.
smoke() {
    "$venv/bin/python" -c 'import pyspark, pathlib
assert (pathlib.Path(pyspark.__file__).parent / "jars").is_dir()' >/dev/null
}

source "$here/../pinned-venv.sh"
