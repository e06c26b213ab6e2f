# shellcheck shell=bash
# Shared helpers for the scripts: settings from pgrx.toml, privilege escalation, logging.

NPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# cfg SECTION KEY DEFAULT: value of KEY in [SECTION] of pgrx.toml (quotes stripped).
cfg() {
  local section="$1" key="$2" default="$3" val
  val=$(awk -v s="[$section]" -v k="$key" '
    /^[[:space:]]*\[/ { insec = ($0 == s); next }
    insec && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" {
      sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]*#.*$/, ""); gsub(/"/, ""); print; exit
    }' "$NPS_ROOT/pgrx.toml")
  printf '%s' "${val:-$default}"
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a command as the postgres OS user (Postgres refuses to run as root).
as_pg() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && sudo -u postgres -- "$@")
  fi
}

PG_VERSION="${NPS_PG_VERSION:-$(cfg postgres version 15)}"
PG_CONFIG="${NPS_PG_CONFIG:-$(cfg postgres pg_config /usr/lib/postgresql/$PG_VERSION/bin/pg_config)}"
PG_BINDIR="$(dirname "$PG_CONFIG")"
export PATH="$HOME/.cargo/bin:$PATH"

# ---- the private cluster ------------------------------------------------------------------------
PORT="${NPS_PORT:-$(cfg cluster port 28815)}"
DB="${NPS_DB:-$(cfg cluster database pg_nps)}"

# Resolve a path from pgrx.toml: absolute as is, else relative to the repository.
abs_path() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$NPS_ROOT" "$1" ;; esac; }

# The OS user that runs the private server: postgres when we are root (Postgres refuses root),
# else ourselves.
if [ "$(id -u)" -eq 0 ]; then PG_OS_USER=postgres; else PG_OS_USER="$(id -un)"; fi

# Run a server-side command (initdb, pg_ctl) as that user.
as_server() { if [ "$PG_OS_USER" = "$(id -un)" ]; then "$@"; else as_pg "$@"; fi; }

# Can the server user reach (traverse into) directory $1?
server_can_reach() { as_server test -x "$1" -a -r "$1"; }

# Decide where the cluster lives. The configured place is under target/; when the server user
# cannot reach it (a clone under a 0700 directory) or the socket path would be too long for a
# Unix socket, fall back to a per-checkout directory under /tmp and say so once.
cluster_dirs() {
  DATA_DIR="$(abs_path "${NPS_DATA_DIR:-$(cfg cluster data_dir target/pg/data)}")"
  SOCK_DIR="$(abs_path "${NPS_SOCK_DIR:-$(cfg cluster socket_dir target/pg/sock)}")"
  mkdir -p "$NPS_ROOT/target"
  local parent; parent="$(dirname "$DATA_DIR")"
  mkdir -p "$parent"
  if ! server_can_reach "$(dirname "$parent")" || [ ${#SOCK_DIR} -gt 80 ]; then
    local base="/tmp/pg_nps-$(printf '%s' "$NPS_ROOT" | cksum | cut -d' ' -f1)"
    [ -n "${NPS_QUIET_FALLBACK:-}" ] || say "the postgres user cannot reach $parent (or the socket path is too long): cluster goes to $base"
    export NPS_QUIET_FALLBACK=1
    mkdir -p "$base"; chmod 755 "$base"
    DATA_DIR="$base/pgdata"; SOCK_DIR="$base/pgsock"
  fi
  # The server user owns the cluster's parent directory: it writes the log there, and the
  # in-database test harness creates its own data directory beside the cluster's.
  CLUSTER_BASE="$(dirname "$DATA_DIR")"
  mkdir -p "$CLUSTER_BASE"
  if [ "$PG_OS_USER" != "$(id -un)" ]; then chown "$PG_OS_USER" "$CLUSTER_BASE"; fi
  LOG_FILE="$CLUSTER_BASE/postgres-$PORT.log"
  export DATA_DIR SOCK_DIR LOG_FILE CLUSTER_BASE
}

# psql against the private cluster as the superuser; extra arguments pass through.
pg_psql() { "$PG_BINDIR/psql" -X -h "$SOCK_DIR" -p "$PORT" -U postgres "$@"; }

# replace_section FILE NAME: replace what lies between the <!-- NAME:begin --> and
# <!-- NAME:end --> markers of FILE with standard input (the benchmarks' reports).
replace_section() {
  local file="$1" name="$2" body tmp
  body=$(cat)
  grep -q "<!-- $name:begin -->" "$file" || die "$file has no <!-- $name:begin --> marker"
  tmp=$(mktemp)
  {
    sed -n "1,/<!-- $name:begin -->/p" "$file"
    echo
    printf '%s\n' "$body"
    echo
    sed -n "/<!-- $name:end -->/,\$p" "$file"
  } >"$tmp"
  cat "$tmp" >"$file"
  rm -f "$tmp"
}

# machine: "CPU model, N cores, M GiB" (what lscpu and free report, when they exist).
machine() {
  local cpu mem
  cpu=$(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }' || true)
  mem=$(free -g 2>/dev/null | awk '/Mem:/ { print $2 " GiB" }' || true)
  printf '%s, %s cores%s' "${cpu:-unknown CPU}" "$(nproc)" "${mem:+, $mem}"
}

# median: the median of the numbers on standard input, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# pgbench_tps DB SCRIPT CLIENTS TRANSACTIONS-PER-CLIENT: transactions per second of a pgbench run
# against the private cluster (one thread per client), as NPS_PGBENCH_USER (default postgres).
pgbench_tps() {
  "$PG_BINDIR/pgbench" -n -h "$SOCK_DIR" -p "$PORT" -U "${NPS_PGBENCH_USER:-postgres}" -c "$3" -j "$3" -t "$4" -f "$2" "$1" 2>&1 \
    | awk '/^tps = / { print $3 }'
}

# The people the benchmarks act as (a person is who works in pg_nps; docs/security.md): SQL that
# creates the logins bench_admin (nps_admin) and bench_csm (nps_csm) when missing and registers
# them in the current database.
BENCH_PEOPLE_SQL="do \$\$ begin
    if not exists (select 1 from pg_roles where rolname = 'bench_admin') then create role bench_admin login in role nps_admin; end if;
    if not exists (select 1 from pg_roles where rolname = 'bench_csm') then create role bench_csm login in role nps_csm; end if;
  end \$\$;
  select nps.add_person('bench_admin', 'Bench admin');
  select nps.add_person('bench_csm', 'Bench CSM');"

