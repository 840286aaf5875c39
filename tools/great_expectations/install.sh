#!/usr/bin/env bash
# Install the pinned Great Expectations toolchain (great_expectations, openlineage-integration-common)
# into its own virtualenv, so that its dependencies never mix with the service's environment.
#
#   tools/great_expectations/install.sh            # creates/refreshes <repo>/.venv-gx
#   GX_VENV=/some/path tools/great_expectations/install.sh
#
# Environment:
#   GX_VENV    virtualenv location (default: <repo root>/.venv-gx)
#   GX_PYTHON  interpreter used to create it (default: python3)
#   GX_FORCE   set to 1 to rebuild even when the virtualenv is up to date
#
# Idempotent and safe to run concurrently: see tools/pinned-venv.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
name=great_expectations
requirements="$here/requirements.txt"
venv="${GX_VENV:-$repo_root/.venv-gx}"
python_bin="${GX_PYTHON:-python3}"
force="${GX_FORCE:-0}"
entry_points="python"
report_re='^(great[-_]expectations|openlineage-integration-common|openlineage-python|sqlalchemy)$'

# Great Expectations and the integration's validation action import (in that order: the
# integration's package imports Great Expectations circularly otherwise).
smoke() {
    "$venv/bin/python" -c 'import great_expectations
from openlineage.common.provider.great_expectations.action import OpenLineageValidationAction' >/dev/null
}

source "$here/../pinned-venv.sh"
