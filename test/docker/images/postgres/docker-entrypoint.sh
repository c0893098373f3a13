#!/usr/bin/env bash
# Stand-in entrypoint for postgres:17.x (written for this project, not copied from the official
# image). It follows the official image's documented contract:
#   POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER),
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
#   POSTGRES_HOST_AUTH_METHOD, PGDATA (default /var/lib/postgresql/data),
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz|*.sql.xz|*.sql.zst on an empty PGDATA,
#   root → fix ownership and re-exec as `postgres` through gosu; any other uid runs as is.
# No -u: init scripts are sourced into this shell and may test unset variables.
set -Eeo pipefail

die() { echo "docker-entrypoint.sh: error: $*" >&2; exit 1; }
say() { echo "docker-entrypoint.sh: $*"; }

# read_secret VAR [default]: VAR or VAR_FILE (never both), exported as VAR; VAR_FILE unset.
read_secret() {
    local var=$1 fvar="${1}_FILE" def=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
        die "both $var and $fvar are set (they are exclusive)"
    fi
    local val=$def
    if [ -n "${!var:-}" ]; then
        val=${!var}
    elif [ -n "${!fvar:-}" ]; then
        [ -r "${!fvar}" ] || die "$fvar=${!fvar} is not readable by uid $(id -u)"
        val=$(<"${!fvar}")
    fi
    export "$var"="$val"
    unset "$fvar"
}

# Options that only print something must not trigger initialisation.
wants_info_only() {
    local a
    for a in "$@"; do
        case "$a" in -'?'|--help|--describe-config|-V|--version|-C) return 0 ;; esac
    done
    return 1
}

if [ "${1:0:1}" = '-' ] || [ $# -eq 0 ]; then
    set -- postgres "$@"
fi

if [ "$1" != postgres ] || wants_info_only "$@"; then
    exec "$@"
fi

export PGDATA=${PGDATA:-/var/lib/postgresql/data}
read_secret POSTGRES_PASSWORD
read_secret POSTGRES_USER postgres
read_secret POSTGRES_DB "$POSTGRES_USER"
read_secret POSTGRES_INITDB_ARGS
: "${POSTGRES_INITDB_WALDIR:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=}"

# Directories: best effort, because a non-root run may not own them (then postgres fails
# later with its own, clearer message).
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA" 2>/dev/null || :
mkdir -p /var/run/postgresql 2>/dev/null || :
chmod 3775 /var/run/postgresql 2>/dev/null || :
if [ -n "$POSTGRES_INITDB_WALDIR" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    chmod 0700 "$POSTGRES_INITDB_WALDIR" 2>/dev/null || :
fi

if [ "$(id -u)" = 0 ]; then
    for d in "$PGDATA" /var/run/postgresql ${POSTGRES_INITDB_WALDIR:+"$POSTGRES_INITDB_WALDIR"}; do
        find "$d" \! -user postgres -exec chown postgres: '{}' +
    done
    # Secrets were already read into the environment; the child re-reads nothing.
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        die "database is uninitialized and no superuser password was given: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (or POSTGRES_HOST_AUTH_METHOD=trust, not recommended)"
    fi

    # initdb refuses to run if the current uid has no passwd entry; say so plainly.
    getent passwd "$(id -u)" >/dev/null || die "uid $(id -u) has no passwd entry (use --user 999:999 or run as root)"

    say "initialising $PGDATA as superuser \"$POSTGRES_USER\""
    walopt=()
    [ -n "$POSTGRES_INITDB_WALDIR" ] && walopt=(--waldir "$POSTGRES_INITDB_WALDIR")
    # POSTGRES_INITDB_ARGS is a shell word list by contract (e.g. "--data-checksums -E UTF8").
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        "${walopt[@]}" $POSTGRES_INITDB_ARGS

    # Network clients authenticate with the server's password_encryption (scram-sha-256 by
    # default) unless POSTGRES_HOST_AUTH_METHOD says otherwise; asked of postgres itself so
    # a config_file passed with -c is honoured.
    pgargs=("${@:2}")
    auth=${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "${pgargs[@]}")}
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

    # Temporary server: Unix socket only, so nothing outside can connect half-initialised.
    export PGPASSWORD=$POSTGRES_PASSWORD
    pg_ctl -D "$PGDATA" -w start \
        -o "$(printf '%q ' -c listen_addresses= -p "${PGPORT:-5432}" "${pgargs[@]}")"

    psql_init=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)

    if [ "$POSTGRES_DB" != postgres ]; then
        exists=$("${psql_init[@]}" --dbname postgres -tA -v db="$POSTGRES_DB" \
            <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
        if [ -z "$exists" ]; then
            "${psql_init[@]}" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
            say "created database \"$POSTGRES_DB\""
        fi
    fi

    shopt -s nullglob
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                # Executable scripts run in their own process; others are sourced, so they see
                # this script's variables and functions (as in the official image).
                if [ -x "$f" ]; then say "running $f"; "$f"
                else say "sourcing $f"; . "$f"; fi ;;
            *.sql)     say "running $f"; "${psql_init[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz)  say "running $f"; gunzip -c "$f" | "${psql_init[@]}" --dbname "$POSTGRES_DB" ;;
            *.sql.xz)  say "running $f"; xzcat "$f" | "${psql_init[@]}" --dbname "$POSTGRES_DB" ;;
            *.sql.zst) say "running $f"; zstd -dc "$f" | "${psql_init[@]}" --dbname "$POSTGRES_DB" ;;
            *)         say "ignoring $f" ;;
        esac
    done
    shopt -u nullglob

    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    say "initialisation complete; starting postgres"
else
    say "$PGDATA already holds a database; skipping initialisation"
fi

exec "$@"
