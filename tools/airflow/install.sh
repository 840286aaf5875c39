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
# Idempotent: the virtualenv records a hash of tools/airflow/requirements.txt together with the
# interpreter version. When both match and the entry points are present, nothing is
# installed. Otherwise the virtualenv is removed and rebuilt from scratch, so it never holds
# leftovers of an older pin set. Safe to run concurrently (serialised with flock when present).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
requirements="$here/requirements.txt"
venv="${AIRFLOW_VENV:-$repo_root/.venv-airflow}"
python_bin="${AIRFLOW_PYTHON:-python3}"
stamp_name=".requirements.sha256"

log() { printf '[airflow-install] %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t0="$(now)"

if ! command -v "$python_bin" >/dev/null 2>&1; then
    log "interpreter '$python_bin' not found (set AIRFLOW_PYTHON)"
    exit 1
fi
python_version="$("$python_bin" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

# The stamp covers the pins and the interpreter: a new Python means a new virtualenv.
want="$( { cat "$requirements"; printf 'python=%s\n' "$python_version"; } | sha256sum | cut -d' ' -f1)"

up_to_date() {
    [[ -f "$venv/$stamp_name" ]] \
        && [[ "$(cat "$venv/$stamp_name")" == "$want" ]] \
        && [[ -x "$venv/bin/airflow" ]] \
        && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1
}

# Serialise concurrent installs (the lock is held on requirements.txt itself, so no lock file
# is left behind).
mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null 2>&1; then
    exec 9<"$requirements"
    flock 9
fi

if [[ "${AIRFLOW_FORCE:-0}" != "1" ]] && up_to_date; then
    log "up to date: $venv (python $python_version) — nothing to do [$(elapsed "$t0")s]"
    exit 0
fi

if [[ -e "$venv" ]]; then
    # Only ever delete something that is recognisably a virtualenv (or an empty directory).
    if [[ -f "$venv/pyvenv.cfg" ]] || [[ -d "$venv" && -z "$(ls -A "$venv")" ]]; then
        log "removing stale virtualenv $venv"
        rm -rf "$venv"
    else
        log "refusing to replace $venv: it exists and is not a virtualenv"
        exit 1
    fi
fi

log "creating virtualenv $venv with $python_bin ($python_version)"
"$python_bin" -m venv "$venv"
log "virtualenv created [$(elapsed "$t0")s]"

t_pip="$(now)"
log "installing $(grep -cE '^[A-Za-z0-9_.-]+==' "$requirements") pinned packages from $requirements"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$venv/bin/python" -m pip install --quiet -r "$requirements"
log "packages installed [$(elapsed "$t_pip")s]"

# Smoke check: the entry point exists and Airflow and its OpenLineage provider import (with a
# throwaway AIRFLOW_HOME, so that nothing is written to ~/airflow).
[[ -x "$venv/bin/airflow" ]]
smoke_home="$(mktemp -d)"
AIRFLOW_HOME="$smoke_home" "$venv/bin/python" -c 'import airflow, airflow.providers.openlineage' >/dev/null
rm -rf "$smoke_home"

printf '%s\n' "$want" > "$venv/$stamp_name"
log "ready: $venv ($("$venv/bin/python" -m pip --disable-pip-version-check list 2>/dev/null \
    | awk '$1 ~ /^(apache-airflow|apache-airflow-providers-openlineage|openlineage-python)$/ { printf "%s %s  ", $1, $2 }'))"
log "total [$(elapsed "$t0")s]"
