#!/usr/bin/env bash
# Throw-away PostgreSQL 15 + Redis 7 for one test run; everything (data, sockets, logs, pids) lives in DIR.
#
#   scripts/test-services.sh start DIR   stop leftovers in DIR, start both servers on free loopback ports,
#                                        wait until they answer, write DIR/env (KEY=VALUE lines)
#   scripts/test-services.sh stop DIR    stop both servers and remove DIR (idempotent)
#
# DIR/env holds NSL_TEST_PG_DSN, NSL_TEST_REDIS_URL, NSL_TEST_PG_BIN, NSL_TEST_SERVICES_DIR; the test
# harness (tests/harness) reads it through NSL_TEST_SERVICES_ENV. PostgreSQL refuses to run as root, so
# under uid 0 it runs as the unprivileged system user `nsltest` (created on first use).
set -euo pipefail

PG_BIN="${NSL_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_USER="nsl_admin"
PG_DB="nsl_test"
RUN_AS_USER="nsltest"
WAIT_SECONDS="${NSL_TEST_SERVICES_WAIT:-30}"
MARKER=".nsl-test-services"
PORT_ATTEMPTS=10

die() {
  echo "test-services: $*" >&2
  exit 1
}
log() { echo "test-services: $*" >&2; }

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

# --- helpers -------------------------------------------------------------------------------------

abs_path() {
  local p="$1"
  [[ "$p" == /* ]] || p="$PWD/$p"
  # Normalize without requiring existence: strip trailing slashes.
  while [[ "$p" == */ && "$p" != "/" ]]; do p="${p%/}"; done
  printf '%s\n' "$p"
}

# Refuses paths where `rm -rf` would be a disaster, and existing non-empty directories we did not create.
check_dir_is_ours() {
  local dir="$1"
  case "$dir" in
    / | /root | /home | /tmp | /usr | /etc | /var | /work | "$HOME") die "refusing to use '$dir'" ;;
  esac
  if [[ -d "$dir" && ! -e "$dir/$MARKER" ]] && [[ -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
    die "'$dir' exists, is not empty and was not created by this script; refusing to touch it"
  fi
}

random_secret() {
  # Hex only: safe inside URLs, config files and command lines without quoting.
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

port_in_use() {
  # A successful connect means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port found"
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Runs a command as the PostgreSQL owner: nsltest under root, the caller otherwise.
as_pg_owner() {
  if is_root; then
    # From / so that an unreadable current directory cannot trip initdb or pg_ctl.
    (cd / && runuser -u "$RUN_AS_USER" -- "$@")
  else
    "$@"
  fi
}

ensure_pg_user() {
  is_root || return 0
  if ! id -u "$RUN_AS_USER" >/dev/null 2>&1; then
    # Another run may create it at the same moment; losing that race is fine.
    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS_USER" 2>/dev/null ||
      id -u "$RUN_AS_USER" >/dev/null 2>&1 || die "could not create user $RUN_AS_USER"
  fi
}

# True when PID runs (a zombie does not count). Daemonized servers are reparented to PID 1, which in
# some containers reaps late, so `kill -0` alone would report a stopped server as still running.
pid_alive() {
  local pid="$1" stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat%% *}" != "Z" && "${stat%% *}" != "X" ]]
}

# True when PID runs and its command name contains NAME (guards against recycled pids).
pid_is() {
  local pid="$1" name="$2" comm
  pid_alive "$pid" || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == *"$name"* ]]
}

wait_pid_gone() {
  local pid="$1" tries="$2"
  while ((tries-- > 0)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

print_logs() {
  local dir="$1" f
  for f in "$dir/pg/postgres.log" "$dir/redis/redis.log"; do
    if [[ -f "$f" ]]; then
      echo "----- $f (last 50 lines) -----" >&2
      tail -n 50 "$f" >&2 || true
    fi
  done
}

# --- stop ----------------------------------------------------------------------------------------

stop_pg() {
  local dir="$1" data="$1/pg/data" pid
  [[ -f "$data/postmaster.pid" ]] || return 0
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
  pid_is "$pid" postgres || return 0
  if ! { is_root && ! id -u "$RUN_AS_USER" >/dev/null 2>&1; }; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$data" stop -m fast -w -t 20 >/dev/null 2>&1 || true
  fi
  if pid_is "$pid" postgres; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 50 || log "postgres pid $pid did not exit"
  fi
}

stop_redis() {
  local dir="$1" pidfile="$1/redis/redis.pid" conf="$1/redis/redis.conf" pid port pass
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  pid_is "$pid" redis || return 0
  port="$(sed -n 's/^port //p' "$conf" 2>/dev/null || true)"
  pass="$(sed -n 's/^requirepass //p' "$conf" 2>/dev/null || true)"
  if [[ -n "$port" ]]; then
    REDISCLI_AUTH="$pass" timeout 5 redis-cli -h 127.0.0.1 -p "$port" shutdown nosave \
      >/dev/null 2>&1 || true
  fi
  if ! wait_pid_gone "$pid" 50; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 50 || log "redis pid $pid did not exit"
  fi
}

cmd_stop() {
  local dir="$1"
  [[ -e "$dir" ]] || return 0
  [[ -d "$dir" ]] || die "'$dir' is not a directory"
  check_dir_is_ours "$dir"
  stop_pg "$dir"
  stop_redis "$dir"
  rm -rf -- "$dir"
}

# --- start ---------------------------------------------------------------------------------------

init_pg() {
  local dir="$1" pass="$2" pwfile="$1/pg/pwfile"
  printf '%s\n' "$pass" >"$pwfile"
  chmod 600 "$pwfile"
  is_root && chown "$RUN_AS_USER" "$pwfile"
  if ! as_pg_owner "$PG_BIN/initdb" -D "$dir/pg/data" --username="$PG_USER" --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/pg/initdb.log" 2>&1; then
    cat "$dir/pg/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
}

# Starts postgres on PORT; returns 3 when the port was taken (caller retries), dies on other errors.
start_pg_on() {
  local dir="$1" port="$2" sockdir="$1/pg/sock" opts
  # Unix socket paths are limited to 107 bytes; without a usable socket dir, TCP is enough for tests.
  if ((${#sockdir} + 20 < 107)); then
    opts="-c unix_socket_directories='$sockdir'"
  else
    opts="-c unix_socket_directories=''"
  fi
  # Durability is pointless for a throw-away cluster; turning it off makes the tests much faster.
  opts+=" -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off"
  opts+=" -c full_page_writes=off -c max_connections=200"
  : >"$dir/pg/postgres.log"
  is_root && chown "$RUN_AS_USER" "$dir/pg/postgres.log"
  if as_pg_owner "$PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -o "$opts" \
    -w -t "$WAIT_SECONDS" start >"$dir/pg/pg_ctl.log" 2>&1; then
    return 0
  fi
  if grep -qiE 'could not (bind|create listen)|address already in use' "$dir/pg/postgres.log"; then
    stop_pg "$dir"
    return 3
  fi
  cat "$dir/pg/pg_ctl.log" >&2 || true
  print_logs "$dir"
  stop_pg "$dir"
  die "PostgreSQL did not start"
}

wait_pg_ready() {
  local port="$1" deadline=$((SECONDS + WAIT_SECONDS))
  while ((SECONDS < deadline)); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U "$PG_USER"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Starts redis on PORT; returns 3 when the port was taken (caller retries), 1 on timeout.
start_redis_on() {
  local dir="$1" port="$2" pass="$3" rdir="$1/redis" pid deadline
  # The password lives in a 0600 file instead of the command line, so `ps` does not show it.
  (
    umask 077
    printf 'port %s\nrequirepass %s\n' "$port" "$pass" >"$rdir/redis.conf"
  )
  rm -f "$rdir/redis.pid"
  : >"$rdir/redis.log"
  redis-server "$rdir/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$rdir" --daemonize yes \
    --pidfile "$rdir/redis.pid" --logfile "$rdir/redis.log" --save "" --appendonly no \
    >>"$rdir/redis.log" 2>&1 || return 1
  deadline=$((SECONDS + WAIT_SECONDS))
  while ((SECONDS < deadline)); do
    if [[ "$(REDISCLI_AUTH="$pass" timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" \
      == "PONG" ]]; then
      return 0
    fi
    if grep -qiE 'address already in use|could not create server tcp' "$rdir/redis.log"; then
      stop_redis "$dir"
      return 3
    fi
    if [[ -f "$rdir/redis.pid" ]]; then
      pid="$(cat "$rdir/redis.pid" 2>/dev/null || true)"
      if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
        return 1
      fi
    fi
    sleep 0.1
  done
  return 1
}

cmd_start() {
  local dir="$1" pg_pass redis_pass pg_port redis_port rc attempt
  cmd_stop "$dir"
  [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL binaries not found in $PG_BIN"
  command -v redis-server >/dev/null || die "redis-server not found"
  command -v redis-cli >/dev/null || die "redis-cli not found"

  mkdir -p "$dir"
  touch "$dir/$MARKER"
  mkdir -p "$dir/pg/sock" "$dir/redis"
  if is_root; then
    ensure_pg_user
    chown -R "$RUN_AS_USER" "$dir"
    runuser -u "$RUN_AS_USER" -- test -w "$dir/pg" ||
      die "user $RUN_AS_USER cannot reach '$dir' (a parent directory is not traversable)"
  fi

  pg_pass="$(random_secret)"
  redis_pass="$(random_secret)"

  init_pg "$dir" "$pg_pass"
  rc=3
  for attempt in $(seq 1 "$PORT_ATTEMPTS"); do
    pg_port="$(pick_port)"
    rc=0
    start_pg_on "$dir" "$pg_port" || rc=$?
    [[ $rc -eq 3 ]] || break
    log "PostgreSQL port $pg_port taken (attempt $attempt), retrying"
  done
  [[ $rc -eq 0 ]] || {
    print_logs "$dir"
    die "PostgreSQL could not bind a port"
  }
  if ! wait_pg_ready "$pg_port"; then
    print_logs "$dir"
    cmd_stop "$dir"
    die "PostgreSQL did not answer within ${WAIT_SECONDS}s"
  fi
  if ! PGPASSWORD="$pg_pass" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" \
    -U "$PG_USER" -d postgres -c "CREATE DATABASE $PG_DB" >"$dir/pg/createdb.log" 2>&1; then
    cat "$dir/pg/createdb.log" >&2
    print_logs "$dir"
    cmd_stop "$dir"
    die "could not create database $PG_DB"
  fi

  rc=3
  for attempt in $(seq 1 "$PORT_ATTEMPTS"); do
    redis_port="$(pick_port)"
    rc=0
    start_redis_on "$dir" "$redis_port" "$redis_pass" || rc=$?
    [[ $rc -eq 3 ]] || break
    log "Redis port $redis_port taken (attempt $attempt), retrying"
  done
  if [[ $rc -ne 0 ]]; then
    print_logs "$dir"
    cmd_stop "$dir"
    die "Redis did not answer within ${WAIT_SECONDS}s"
  fi

  (
    umask 077
    {
      echo "NSL_TEST_PG_DSN=postgresql://$PG_USER:$pg_pass@127.0.0.1:$pg_port/$PG_DB"
      echo "NSL_TEST_REDIS_URL=redis://:$redis_pass@127.0.0.1:$redis_port/0"
      echo "NSL_TEST_PG_BIN=$PG_BIN"
      echo "NSL_TEST_SERVICES_DIR=$dir"
    } >"$dir/env.tmp"
  )
  mv -f "$dir/env.tmp" "$dir/env"
  log "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port; env in $dir/env"
}

main() {
  [[ $# -eq 2 ]] || usage
  local dir
  dir="$(abs_path "$2")"
  [[ -n "$dir" ]] || usage
  case "$1" in
    start) cmd_start "$dir" ;;
    stop) cmd_stop "$dir" ;;
    *) usage ;;
  esac
}

main "$@"
