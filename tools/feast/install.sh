#!/usr/bin/env bash
# Install the pinned Feast toolchain (feast with its grpcio extra, openlineage-python) into its
# own virtualenv, so that Feast's dependencies never mix with the service's environment.
#
#   tools/feast/install.sh            # creates/refreshes <repo>/.venv-feast
#   FEAST_VENV=/some/path tools/feast/install.sh
#
# Environment:
#   FEAST_VENV    virtualenv location (default: <repo root>/.venv-feast)
#   FEAST_PYTHON  interpreter used to create it (default: python3)
#   FEAST_FORCE   set to 1 to rebuild even when the virtualenv is up to date
#
# Idempotent and safe to run concurrently: see tools/pinned-venv.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
name=feast
requirements="$here/requirements.txt"
venv="${FEAST_VENV:-$repo_root/.venv-feast}"
python_bin="${FEAST_PYTHON:-python3}"
force="${FEAST_FORCE:-0}"
entry_points="feast"
report_re='^(feast|openlineage-python|grpcio|pandas|pyarrow)$'

# Feast and its OpenLineage emitter import, and the CLI answers.
smoke() {
    "$venv/bin/python" -c 'import feast, feast.openlineage.emitter, openlineage.client' >/dev/null
    "$venv/bin/feast" version >/dev/null
}

source "$here/../pinned-venv.sh"
