#!/usr/bin/env bash
# Builds a tool's own virtualenv from its pinned requirements, so that the tool's
# dependencies never mix with the service's environment. Sourced by tools/*/install.sh,
# which set, before sourcing it:
#
#   name          a short label for messages (dbt, airflow)
#   requirements  the pinned requirements.txt
#   venv          where the virtualenv goes
#   python_bin    the interpreter that creates it
#   force         1 to rebuild even when it is up to date
#   entry_points  executables (in $venv/bin) that must exist
#   smoke()       a function that checks the installed tool imports and runs
#   report_re     an awk regex of the package names to print once ready
#
# Idempotent: the virtualenv records a hash of the requirements together with the
# interpreter version. When both match and the entry points are present, nothing is
# installed. Otherwise the virtualenv is removed and rebuilt from scratch, so it never holds
# leftovers of an older pin set. Safe to run concurrently (serialised with flock when present).
set -euo pipefail

stamp_name=".requirements.sha256"
log() { printf '[%s-install] %s\n' "$name" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t0="$(now)"

if ! command -v "$python_bin" >/dev/null 2>&1; then
    log "interpreter '$python_bin' not found (set ${name^^}_PYTHON)"
    exit 1
fi
python_version="$("$python_bin" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

# The stamp covers the pins and the interpreter: a new Python means a new virtualenv.
want="$( { cat "$requirements"; printf 'python=%s\n' "$python_version"; } | sha256sum | cut -d' ' -f1)"

entry_points_present() {
    local entry
    for entry in $entry_points; do
        [[ -x "$venv/bin/$entry" ]] || return 1
    done
}

up_to_date() {
    [[ -f "$venv/$stamp_name" ]] \
        && [[ "$(cat "$venv/$stamp_name")" == "$want" ]] \
        && entry_points_present \
        && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1
}

# Serialise concurrent installs (the lock is held on requirements.txt itself, so no lock file
# is left behind).
mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null 2>&1; then
    exec 9<"$requirements"
    flock 9
fi

if [[ "$force" != "1" ]] && up_to_date; then
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

entry_points_present || { log "missing entry points in $venv/bin: $entry_points"; exit 1; }
smoke

printf '%s\n' "$want" > "$venv/$stamp_name"
log "ready: $venv ($("$venv/bin/python" -m pip --disable-pip-version-check list 2>/dev/null \
    | awk -v re="$report_re" '$1 ~ re { printf "%s %s  ", $1, $2 }'))"
log "total [$(elapsed "$t0")s]"
