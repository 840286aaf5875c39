#!/usr/bin/env bash
# Local Neo4j Community 5.26 server for development and tests, run from Maven
# Central artifacts (no tarball, no container).
#
#   tools/neo4j/neo4j.sh start  [--port P] [--dir D]   # default 7687, tools/neo4j/run
#   tools/neo4j/neo4j.sh stop   [--dir D]
#   tools/neo4j/neo4j.sh status [--dir D]
#   tools/neo4j/neo4j.sh classpath                     # resolve/print the cached classpath
#
# Exit codes: 0 ok; 1 failure (or `status`: not running); 2 usage error;
#             3 java or mvn missing (callers outside CI may treat this as "skip").
#
# Environment (see README.md next to this file):
#   NEO4J_AUTH           "none" (default) or "neo4j/<password>" (password >= 8 chars)
#   NEO4J_HEAP           max JVM heap, default 1g (initial heap is NEO4J_HEAP_INITIAL, default 256m)
#   NEO4J_PAGECACHE      page cache size, default 256m
#   NEO4J_JAVA           java binary to use (else JAVA_HOME, PATH, /usr/lib/jvm; 17 or 21 preferred)
#   NEO4J_JAVA_OPTS      extra JVM flags, appended last
#   NEO4J_START_TIMEOUT  seconds to wait for Bolt, default 120
#   NEO4J_STOP_TIMEOUT   seconds to wait for a clean shutdown before SIGKILL, default 60
#   NEO4J_CDS            1 (default) keeps a class-data-sharing archive for faster starts; 0 disables

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/pom.xml"
CP_FILE="$SCRIPT_DIR/target/classpath.txt"
CP_STAMP="$SCRIPT_DIR/target/classpath.pom.sha256"
MAIN_CLASS="org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS="org.neo4j.cli.AdminTool"

DEFAULT_PORT=7687
DEFAULT_DIR="$SCRIPT_DIR/run"

log() { printf 'neo4j.sh: %s\n' "$*"; }
err() { printf 'neo4j.sh: %s\n' "$*" >&2; }

usage() {
  sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# --------------------------------------------------------------------------
# Tooling
# --------------------------------------------------------------------------

missing_tool() {
  err "$1 not found."
  err "Install a Java 17 runtime and Maven, e.g.:"
  err "  apt-get install -y openjdk-17-jre-headless maven"
  err "(or point NEO4J_JAVA / JAVA_HOME at a Java 17 or 21 installation)"
  exit 3
}

java_major() { # $1 = java binary; prints the major version or nothing
  local line
  line="$("$1" -version 2>&1 | head -n 1)" || return 0
  line="${line#*version \"}"
  line="${line%%\"*}"
  case "$line" in
    1.*) line="${line#1.}" ;;
  esac
  printf '%s' "${line%%[.+-]*}"
}

pick_java() {
  local candidates=() c major fallback=""
  if [[ -n "${NEO4J_JAVA:-}" ]]; then
    # An explicit choice wins, whatever its version.
    [[ -x "$NEO4J_JAVA" ]] || missing_tool "NEO4J_JAVA=$NEO4J_JAVA"
    major="$(java_major "$NEO4J_JAVA")"
    if [[ "$major" != 17 && "$major" != 21 ]]; then
      err "warning: NEO4J_JAVA is Java ${major:-?}; Neo4j 5.26 supports Java 17 and 21"
    fi
    JAVA_BIN="$NEO4J_JAVA"
    return 0
  fi
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  c="$(command -v java 2>/dev/null || true)"
  [[ -n "$c" ]] && candidates+=("$c")
  for c in /usr/lib/jvm/*17*/bin/java /usr/lib/jvm/*21*/bin/java; do
    [[ -x "$c" ]] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [[ -x "$c" ]] || continue
    major="$(java_major "$c")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if [[ "$major" == 17 || "$major" == 21 ]]; then
      JAVA_BIN="$c"
      return 0
    fi
    if (( major > 17 )) && [[ -z "$fallback" ]]; then
      fallback="$c"
    fi
  done
  if [[ -n "$fallback" ]]; then
    err "warning: no Java 17/21 found, using $fallback (Neo4j 5.26 supports Java 17 and 21)"
    JAVA_BIN="$fallback"
    return 0
  fi
  missing_tool "Java 17 (or 21)"
}

pom_sha() { sha256sum "$POM" | cut -d' ' -f1; }

classpath_fresh() {
  [[ -s "$CP_FILE" && -s "$CP_STAMP" ]] || return 1
  [[ "$(cat "$CP_STAMP")" == "$(pom_sha)" ]] || return 1
  local jar jars=()
  IFS=: read -r -a jars <"$CP_FILE"
  for jar in "${jars[@]}"; do
    [[ -f "$jar" ]] || return 1
  done
  return 0
}

# Resolve the server's classpath once with Maven; later runs use the cached file.
ensure_classpath() {
  if classpath_fresh; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || missing_tool "mvn (Maven)"
  mkdir -p "$SCRIPT_DIR/target"
  local tmp="$CP_FILE.tmp.$$" mvn_log="$SCRIPT_DIR/target/mvn-resolve.log"
  log "resolving Neo4j from Maven Central (first run downloads ~150 MB into ~/.m2) ..."
  if ! mvn -q -B -f "$POM" dependency:build-classpath \
        -Dmdep.outputFile="$tmp" -Dmdep.includeScope=runtime >"$mvn_log" 2>&1; then
    err "Maven could not resolve the Neo4j artifacts; last lines of $mvn_log:"
    tail -n 40 "$mvn_log" >&2 || true
    rm -f "$tmp"
    exit 1
  fi
  mv -f "$tmp" "$CP_FILE"
  pom_sha >"$CP_STAMP"
}

neo4j_version() {
  local v
  v="$(tr ':' '\n' <"$CP_FILE" | grep -m1 -E '/org/neo4j/neo4j/[^/]+/neo4j-[^/]+\.jar$' || true)"
  v="${v%/*}"
  printf '%s' "${v##*/}"
}

# --------------------------------------------------------------------------
# Process / port helpers
# --------------------------------------------------------------------------

# PID from <dir>/neo4j.pid if that process is our server for this dir.
running_pid() {
  local dir="$1" pid
  [[ -f "$dir/neo4j.pid" ]] || return 1
  pid="$(cat "$dir/neo4j.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || { kill -0 "$pid" 2>/dev/null || return 1; printf '%s' "$pid"; return 0; }
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--home-dir=$dir "; then
    printf '%s' "$pid"
    return 0
  fi
  return 1
}

port_open() { # something accepts TCP connections on 127.0.0.1:$1
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# Bolt handshake: magic 0x6060B017, then proposals 5.0-5.8 and 4.4. A server
# that speaks Bolt answers with a non-zero version.
bolt_ping() {
  local reply
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  reply="$(timeout 3 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
      printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x00\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
      head -c 4 <&3 | od -An -tx1' "$1" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  [[ ${#reply} -eq 8 && "$reply" != 00000000 ]]
}

show_log_tails() { # $1 dir, $2 number of neo4j.log lines that predate this start
  local dir="$1" mark="${2:-0}" f
  f="$dir/logs/console.log"
  if [[ -s "$f" ]]; then
    err "----- last lines of $f -----"
    tail -n 30 "$f" >&2 || true
  fi
  f="$dir/logs/neo4j.log"
  if [[ -s "$f" ]] && (( $(wc -l <"$f") > mark )); then
    err "----- last lines of $f (this start) -----"
    tail -n "+$((mark + 1))" "$f" | tail -n 30 >&2 || true
  fi
  [[ -s "$dir/logs/debug.log" ]] && err "(more detail in $dir/logs/debug.log)"
  return 0
}

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

parse_auth() {
  AUTH_USER=""
  AUTH_PASS=""
  local spec="${NEO4J_AUTH:-none}"
  if [[ "$spec" == none || -z "$spec" ]]; then
    return 0
  fi
  if [[ "$spec" != */* ]]; then
    err "NEO4J_AUTH must be 'none' or 'neo4j/<password>', got '$spec'"
    exit 2
  fi
  AUTH_USER="${spec%%/*}"
  AUTH_PASS="${spec#*/}"
  if [[ "$AUTH_USER" != neo4j ]]; then
    err "NEO4J_AUTH: Neo4j Community only sets up the initial user 'neo4j' (got '$AUTH_USER')"
    exit 2
  fi
  if (( ${#AUTH_PASS} < 8 )); then
    err "NEO4J_AUTH: the password must be at least 8 characters"
    exit 2
  fi
}

write_conf() {
  local dir="$1" port="$2" auth_enabled=false
  [[ -n "$AUTH_USER" ]] && auth_enabled=true
  mkdir -p "$dir/conf" "$dir/data" "$dir/logs" "$dir/run" "$dir/import" "$dir/plugins"
  cat >"$dir/conf/neo4j.conf" <<EOF
# Generated by tools/neo4j/neo4j.sh on every start; edits are overwritten.
# Extra settings: put them in $dir/neo4j.extra.conf (appended below).
# JVM flags are NOT read from here (server.jvm.* is ignored when the server
# class is launched directly); see NEO4J_HEAP / NEO4J_JAVA_OPTS in neo4j.sh.

server.directories.data=$dir/data
server.directories.logs=$dir/logs
server.directories.run=$dir/run
server.directories.import=$dir/import
server.directories.plugins=$dir/plugins

server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$port
server.bolt.advertised_address=127.0.0.1:$port
server.http.enabled=false
server.https.enabled=false

dbms.security.auth_enabled=$auth_enabled
dbms.usage_report.enabled=false

server.memory.pagecache.size=${NEO4J_PAGECACHE:-256m}

# Skip Netty's 5 s graceful-shutdown quiet period on each Bolt connector, so
# that stop takes ~2 s instead of ~12 s. Fine for a local test server.
internal.dbms.bolt.netty_server_shutdown_quiet_period=0
EOF
  if [[ -f "$dir/neo4j.extra.conf" ]]; then
    printf '\n# ---- from %s ----\n' "$dir/neo4j.extra.conf" >>"$dir/conf/neo4j.conf"
    cat "$dir/neo4j.extra.conf" >>"$dir/conf/neo4j.conf"
  fi
}

jvm_opts() {
  local heap="${NEO4J_HEAP:-1g}" initial="${NEO4J_HEAP_INITIAL:-256m}"
  JVM_OPTS=(
    "-Xms$initial" "-Xmx$heap"
    # The flags Neo4j's own launcher passes (from the distribution's neo4j.conf),
    # minus -XX:+AlwaysPreTouch, which would commit the whole heap up front.
    -XX:+UseG1GC
    -XX:-OmitStackTraceInFastThrow
    -XX:+UnlockExperimentalVMOptions
    -XX:+TrustFinalNonStaticFields
    -XX:+DisableExplicitGC
    -XX:+ExitOnOutOfMemoryError
    -Djdk.nio.maxCachedBufferSize=1024
    -Dio.netty.tryReflectionSetAccessible=true
    -Djdk.tls.ephemeralDHKeySize=2048
    -Djdk.tls.rejectClientInitiatedRenegotiation=true
    -XX:FlightRecorderOptions=stackdepth=256
    -XX:+UnlockDiagnosticVMOptions
    -XX:+DebugNonSafepoints
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --enable-native-access=ALL-UNNAMED
    -Dlog4j2.disable.jmx=true
    -Dlog4j.layout.jsonTemplate.maxStringLength=32768
    -Dfile.encoding=UTF-8
  )
  if [[ -n "${NEO4J_JAVA_OPTS:-}" ]]; then
    local extra
    read -r -a extra <<<"$NEO4J_JAVA_OPTS"
    JVM_OPTS+=("${extra[@]}")
  fi
}

# With auth on, seed the password of the initial 'neo4j' user. Neo4j applies
# data/dbms/auth.ini when the system database is created, and also when the
# user still has the factory password 'neo4j'; otherwise it is ignored.
set_initial_password() {
  local dir="$1" out
  if ! out="$(NEO4J_HOME="$dir" NEO4J_CONF="$dir/conf" CLASSPATH="$(cat "$CP_FILE")" \
      "$JAVA_BIN" -Xmx256m -Dlog4j2.disable.jmx=true "$ADMIN_CLASS" \
      dbms set-initial-password "$AUTH_PASS" 2>&1)"; then
    err "could not set the initial password:"
    printf '%s\n' "$out" >&2
    exit 1
  fi
}

# Application class-data sharing (Java 17 dynamic archive). The first start
# records the classes Neo4j loads into an archive that is written when the
# server exits after a clean `stop`; later starts map it and spend about a
# third less CPU starting up. The archive is keyed on the classpath and the
# JVM, and is dropped if the JVM reports that it cannot use it.
CDS_OPTS=()
cds_prepare() {
  CDS_OPTS=()
  CDS_FINAL=""
  CDS_TMP=""
  [[ "${NEO4J_CDS:-1}" == 1 ]] || return 0
  local key
  key="$({ cat "$CP_FILE"; readlink -f "$JAVA_BIN"; "$JAVA_BIN" -version 2>&1; } | sha256sum | cut -c1-16)"
  mkdir -p "$SCRIPT_DIR/target/cds"
  CDS_FINAL="$SCRIPT_DIR/target/cds/neo4j-$key.jsa"
  if [[ -s "$CDS_FINAL" ]]; then
    CDS_OPTS=("-XX:SharedArchiveFile=$CDS_FINAL")
  else
    CDS_TMP="$CDS_FINAL.tmp.$$.$RANDOM"
    CDS_OPTS=("-XX:ArchiveClassesAtExit=$CDS_TMP")
  fi
}

# Called once the server is up: forget an archive the JVM refused.
cds_check_started() {
  local console="$1"
  [[ -n "$CDS_FINAL" && -z "$CDS_TMP" ]] || return 0
  if grep -q 'Unable to use shared archive' "$console" 2>/dev/null; then
    err "note: the class-data archive no longer matches; it will be rebuilt on the next clean stop/start"
    rm -f "$CDS_FINAL"
  fi
}

# Called after the server process is gone. $2 = 1 if it exited cleanly.
cds_finish() {
  local dir="$1" clean="$2" tmp final
  [[ -f "$dir/neo4j.cds" ]] || return 0
  { read -r tmp; read -r final; } <"$dir/neo4j.cds" || true
  rm -f "$dir/neo4j.cds"
  [[ -n "${tmp:-}" ]] || return 0
  if [[ "$clean" == 1 && -s "$tmp" && -n "${final:-}" ]]; then
    mv -f "$tmp" "$final"
  else
    rm -f "$tmp"
  fi
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

parse_args() {
  PORT="$DEFAULT_PORT"
  DIR="$DEFAULT_DIR"
  PORT_GIVEN=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) [[ $# -ge 2 ]] || { err "--port needs a value"; exit 2; }; PORT="$2"; PORT_GIVEN=1; shift 2 ;;
      --port=*) PORT="${1#*=}"; PORT_GIVEN=1; shift ;;
      --dir) [[ $# -ge 2 ]] || { err "--dir needs a value"; exit 2; }; DIR="$2"; shift 2 ;;
      --dir=*) DIR="${1#*=}"; shift ;;
      -h|--help) usage; exit 0 ;;
      *) err "unknown argument: $1"; usage >&2; exit 2 ;;
    esac
  done
  if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
    err "invalid port: $PORT"
    exit 2
  fi
  if [[ "$CREATE_DIR" == 1 ]]; then
    mkdir -p "$DIR"
  elif [[ ! -d "$DIR" ]]; then
    log "not running (no directory $DIR)"
    exit "$MISSING_DIR_RC"
  fi
  DIR="$(cd "$DIR" && pwd -P)"
}

lock_dir() {
  exec 9>"$DIR/.neo4j.sh.lock"
  if ! flock -w 300 9; then
    err "another neo4j.sh is working on $DIR (lock $DIR/.neo4j.sh.lock)"
    exit 1
  fi
}

cmd_start() {
  CREATE_DIR=1 parse_args "$@"
  lock_dir

  local pid
  if pid="$(running_pid "$DIR")"; then
    local cur_port
    cur_port="$(cat "$DIR/neo4j.port" 2>/dev/null || echo "?")"
    if [[ "$PORT_GIVEN" == 1 && "$cur_port" != "$PORT" ]]; then
      err "already running for $DIR on port $cur_port (pid $pid), not on requested port $PORT; stop it first"
      exit 1
    fi
    log "already running (pid $pid), bolt://127.0.0.1:$cur_port, dir $DIR"
    exit 0
  fi
  rm -f "$DIR/neo4j.pid"
  cds_finish "$DIR" 0 # drop a half-recorded archive of a server that was killed

  if port_open "$PORT"; then
    err "port $PORT on 127.0.0.1 is already in use by another process; pick another with --port"
    exit 1
  fi

  parse_auth
  pick_java
  ensure_classpath
  jvm_opts
  cds_prepare
  write_conf "$DIR" "$PORT"

  if [[ -n "$AUTH_USER" ]]; then
    if [[ -d "$DIR/data/databases/system" ]]; then
      log "note: existing data dir; the NEO4J_AUTH password is applied only while user 'neo4j'"
      log "      still has its factory password (e.g. the dir was used with auth off so far)"
    fi
    set_initial_password "$DIR"
  fi

  local console="$DIR/logs/console.log" neo4j_log="$DIR/logs/neo4j.log" log_mark=0
  [[ -f "$console" ]] && mv -f "$console" "$console.1"
  [[ -f "$neo4j_log" ]] && log_mark="$(wc -l <"$neo4j_log")"

  local t0 launcher=()
  t0="$(date +%s.%N)"
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  (
    cd "$DIR"
    export CLASSPATH
    CLASSPATH="$(cat "$CP_FILE")"
    exec "${launcher[@]}" "$JAVA_BIN" "${JVM_OPTS[@]}" "${CDS_OPTS[@]}" "$MAIN_CLASS" \
      --home-dir="$DIR" --config-dir="$DIR/conf" </dev/null >"$console" 2>&1 9>&-
  ) &
  pid=$!
  echo "$pid" >"$DIR/neo4j.pid"
  echo "$PORT" >"$DIR/neo4j.port"
  if [[ -n "$CDS_TMP" ]]; then
    printf '%s\n%s\n' "$CDS_TMP" "$CDS_FINAL" >"$DIR/neo4j.cds"
  else
    rm -f "$DIR/neo4j.cds"
  fi

  local timeout="${NEO4J_START_TIMEOUT:-120}" deadline up=0
  deadline=$(( $(date +%s) + timeout ))
  log "starting Neo4j $(neo4j_version) (pid $pid, java $(java_major "$JAVA_BIN")), waiting up to ${timeout}s for Bolt on 127.0.0.1:$PORT ..."
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      err "Neo4j exited during startup."
      show_log_tails "$DIR" "$log_mark"
      cds_finish "$DIR" 0
      rm -f "$DIR/neo4j.pid"
      exit 1
    fi
    if [[ -f "$neo4j_log" ]] && tail -n "+$((log_mark + 1))" "$neo4j_log" | grep -q 'INFO  Started\.' \
        && bolt_ping "$PORT"; then
      up=1
      break
    fi
    sleep 0.5
  done
  if [[ "$up" != 1 ]]; then
    err "Neo4j did not answer on Bolt port $PORT within ${timeout}s; stopping it."
    show_log_tails "$DIR" "$log_mark"
    stop_pid "$pid" 30 || true
    cds_finish "$DIR" 0
    rm -f "$DIR/neo4j.pid"
    exit 1
  fi

  cds_check_started "$console"
  local secs
  secs="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
  log "Neo4j is up after ${secs}s: bolt://127.0.0.1:$PORT (neo4j://127.0.0.1:$PORT)"
  if [[ -n "$AUTH_USER" ]]; then
    log "  auth:   on (user $AUTH_USER)"
  else
    log "  auth:   off"
  fi
  log "  pid:    $pid ($DIR/neo4j.pid)"
  log "  data:   $DIR/data"
  log "  logs:   $DIR/logs (neo4j.log, debug.log, console.log)"
  log "  config: $DIR/conf/neo4j.conf"
}

# Returns 0 after a clean exit on SIGTERM, 2 if SIGKILL was needed, 1 if the
# process would not go away.
stop_pid() { # $1 pid, $2 seconds before SIGKILL
  local pid="$1" wait_s="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < wait_s * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  err "pid $pid still alive after ${wait_s}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || return 2
    sleep 0.25
  done
  return 1
}

cmd_stop() {
  CREATE_DIR=0 MISSING_DIR_RC=0 parse_args "$@"
  lock_dir
  local pid
  if ! pid="$(running_pid "$DIR")"; then
    rm -f "$DIR/neo4j.pid"
    cds_finish "$DIR" 0
    log "not running (dir $DIR)"
    exit 0
  fi
  if [[ -f "$DIR/neo4j.cds" ]]; then
    log "stopping Neo4j (pid $pid; first clean stop also writes the class-data archive, ~10-20 s) ..."
  else
    log "stopping Neo4j (pid $pid) ..."
  fi
  local rc=0
  stop_pid "$pid" "${NEO4J_STOP_TIMEOUT:-60}" || rc=$?
  if (( rc == 1 )); then
    err "could not stop pid $pid"
    exit 1
  fi
  cds_finish "$DIR" "$([[ $rc == 0 ]] && echo 1 || echo 0)"
  rm -f "$DIR/neo4j.pid"
  log "stopped"
}

cmd_status() {
  CREATE_DIR=0 MISSING_DIR_RC=1 parse_args "$@"
  local pid port
  if pid="$(running_pid "$DIR")"; then
    port="$(cat "$DIR/neo4j.port" 2>/dev/null || echo "?")"
    if [[ "$port" != "?" ]] && bolt_ping "$port"; then
      log "running (pid $pid), Bolt answering on 127.0.0.1:$port, dir $DIR"
    else
      log "running (pid $pid) but Bolt not answering (yet) on 127.0.0.1:$port, dir $DIR"
    fi
    exit 0
  fi
  log "not running (dir $DIR)"
  exit 1
}

cmd_classpath() {
  ensure_classpath
  cat "$CP_FILE"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    classpath) cmd_classpath "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
