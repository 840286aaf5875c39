# Shared by the tools/*/capture.sh scripts, which run a real producer against the stdlib
# OpenLineage receiver (tools/dbt/receiver.py) on 127.0.0.1 and keep what it sent.
#
# A script sets `venv` (the virtualenv whose python runs the receiver), `out_dir` (its
# default output folder) and `log`, then sources this file with its own arguments:
#
#   source "$repo_root/tools/capture-lib.sh" "$@"
#
# which reads `--out DIR`, creates `out_dir` and a scratch folder `work` (removed on exit,
# with the receiver stopped), and defines:
#
#   start_receiver EVENTS   start a receiver appending to EVENTS; sets RECEIVER_URL
#   stop_receiver           stop it (every event it acknowledged is in EVENTS)

while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out_dir="$2"; shift 2 ;;
        *) printf 'usage: %s [--out DIR]\n' "$0" >&2; exit 2 ;;
    esac
done

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
work="$(mktemp -d)"
receiver_pid=""
RECEIVER_URL=""

stop_receiver() {
    if [[ -n "$receiver_pid" ]]; then
        kill "$receiver_pid" 2>/dev/null || true
        wait "$receiver_pid" 2>/dev/null || true
        receiver_pid=""
    fi
}

_capture_cleanup() { stop_receiver; rm -rf "$work"; }
trap _capture_cleanup EXIT

start_receiver() {
    local events="$1" port_file="$work/port"
    rm -f "$events" "$port_file"
    : > "$events"
    "$venv/bin/python" "$repo_root/tools/dbt/receiver.py" --out "$events" --port 0 \
        --port-file "$port_file" >/dev/null &
    receiver_pid=$!
    for _ in $(seq 100); do
        [[ -s "$port_file" ]] && break
        sleep 0.1
    done
    [[ -s "$port_file" ]] || { log "the receiver did not start"; exit 1; }
    RECEIVER_URL="http://127.0.0.1:$(cat "$port_file")"
}
