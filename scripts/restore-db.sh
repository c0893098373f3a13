#!/usr/bin/env bash
# Restore a NestFlux stack's database from one of its encrypted backups.
#
#   bash scripts/restore-db.sh <stack> --key <recipient-key.pem> [--file <backup>] [--force]
#
# <stack> is the Pulumi stack (dev, prod, …): the containers are nestflux-<stack>-backup and
# nestflux-<stack>-db, the backups live in the volume nestflux-<stack>-backups. --key is the
# private key of backupRecipientCertificate (unencrypted PEM): it goes on stdin to
# `openssl cms -decrypt` in a throwaway container (no network, read-only, the backups volume
# read-only) and is never written to a disk. --file names a backup (default: the latest; after a
# disaster, stop the backup container first so it does not back up the empty database). The
# backup's sha256 is checked first. A database that already has tables is refused unless
# --force, which drops what the backup holds first; the restore is one transaction, so a failure
# leaves the database as it was. Needs only the docker CLI (DOCKER_HOST may be remote).
set -euo pipefail

die() { echo "restore-db: $*" >&2; exit 1; }

stack="" key="" file="" force=false
while [ $# -gt 0 ]; do
    case "$1" in
        --key) [ $# -ge 2 ] || die "--key needs a file"; key="$2"; shift 2 ;;
        --file) [ $# -ge 2 ] || die "--file needs a backup name"; file="$2"; shift 2 ;;
        --force) force=true; shift ;;
        -*) die "unknown option $1" ;;
        *) [ -z "$stack" ] || die "one stack only"; stack="$1"; shift ;;
    esac
done
[[ "$stack" =~ ^[a-zA-Z0-9_.-]+$ ]] || die "usage: restore-db.sh <stack> --key <key.pem> [--file <backup>] [--force]"
[ -r "$key" ] || die "--key must name a readable PEM private key"

backup="nestflux-$stack-backup"
db="nestflux-$stack-db"
volume="nestflux-$stack-backups"
image=$(docker inspect -f '{{.Image}}' "$db") || die "no container $db"
# A throwaway reader of the backups: the server's image, no network, nothing writable.
reader=(docker run --rm -i --network none --read-only --user 999:999 -v "$volume:/backups:ro" -w /backups --entrypoint)

if [ -z "$file" ]; then
    file=$("${reader[@]}" sh "$image" -c 'ls -1 nestflux-*.dump.cms 2>/dev/null | tail -n 1')
    [ -n "$file" ] || die "no backup in the volume $volume"
fi
name=$(basename "$file")
[[ "$name" =~ ^nestflux-[0-9]{8}T[0-9]{6}Z\.dump\.cms$ ]] || die "not a backup name: $name"
echo "restore-db: $name ($("${reader[@]}" stat "$image" -c %s "$name") bytes) into $db"

# Integrity before anything else: the checksum written when the backup was taken.
"${reader[@]}" sha256sum "$image" -c --quiet "$name.sha256" >/dev/null || die "$name fails its sha256 check"

dbname=$(docker inspect -f '{{index .Config.Labels "nestflux.db-name"}}' "$db")
owner=$(docker inspect -f '{{index .Config.Labels "nestflux.db-owner"}}' "$db")
[[ "$dbname" =~ ^[a-z_][a-z0-9_]*$ && "$owner" =~ ^[a-z_][a-z0-9_]*$ ]] || die "$db carries no nestflux.db-name/db-owner labels"

# The bootstrap superuser, over the container's local socket only (pg_hba refuses it over TCP).
as_postgres='PGPASSWORD="$(cat /etc/nestflux/superuser_password)" exec "$@"'
tables=$(docker exec "$db" sh -c "$as_postgres" sh psql -U postgres -d "$dbname" -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != 0 ] && [ "$force" != true ]; then
    die "$dbname already has $tables tables; pass --force to replace them with the backup"
fi
clean=""
[ "$force" = true ] && clean="--clean --if-exists"

# Restore as the schema owner, so ownership and grants come out as the stack made them.
started=$(date +%s)
"${reader[@]}" openssl "$image" cms -decrypt -binary -inform DER -in "$name" -inkey /dev/stdin < "$key" |
    # shellcheck disable=SC2086 # $clean is two fixed words or none
    docker exec -i "$db" sh -c "$as_postgres" sh pg_restore -U postgres --dbname="$dbname" --role="$owner" --no-owner \
        --single-transaction --exit-on-error $clean
printf '{"level":"info","type":"backup","event":"restore_succeeded","file":"%s","database":"%s","seconds":%s}\n' "$name" "$dbname" "$(($(date +%s) - started))"
