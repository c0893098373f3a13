#!/usr/bin/env bash
# Restore a NestFlux stack's database from one of its encrypted backups.
#
#   bash scripts/restore-db.sh <stack> --key <recipient-key.pem> [--file <backup>] [--force]
#
# <stack> is the Pulumi stack (dev, prod, …); the containers are nestflux-<stack>-backup and
# nestflux-<stack>-db. --key is the private key of backupRecipientCertificate: it is passed on
# stdin to `openssl cms -decrypt` inside the backup container and never written to a disk there.
# --file names a backup (default: the latest). The backup's sha256 is checked first. A database
# that already has tables is refused unless --force, which drops what the backup holds first.
# Needs only the docker CLI (DOCKER_HOST may point at a remote engine).
set -euo pipefail

die() { echo "restore-db: $*" >&2; exit 1; }

stack="" key="" file="" force=false
while [ $# -gt 0 ]; do
    case "$1" in
        --key) key="${2:-}"; shift 2 ;;
        --file) file="${2:-}"; shift 2 ;;
        --force) force=true; shift ;;
        -*) die "unknown option $1" ;;
        *) [ -z "$stack" ] || die "one stack only"; stack="$1"; shift ;;
    esac
done
[[ "$stack" =~ ^[a-zA-Z0-9_.-]+$ ]] || die "usage: restore-db.sh <stack> --key <key.pem> [--file <backup>] [--force]"
[ -r "$key" ] || die "--key must name a readable PEM private key"

backup="nestflux-$stack-backup"
db="nestflux-$stack-db"
dir=/var/lib/postgresql

if [ -z "$file" ]; then
    file=$(docker exec "$backup" sh -c "ls -1 $dir/nestflux-*.dump.cms 2>/dev/null | tail -n 1")
    [ -n "$file" ] || die "no backup in $backup:$dir"
fi
name=$(basename "$file")
[[ "$name" =~ ^nestflux-[0-9]{8}T[0-9]{6}Z\.dump\.cms$ ]] || die "not a backup name: $name"

# Integrity before anything else: the checksum written when the backup was taken.
docker exec -w "$dir" "$backup" sha256sum -c --quiet "$name.sha256" >/dev/null || die "$name fails its sha256 check"

dbname=$(docker inspect -f '{{index .Config.Labels "nestflux.db-name"}}' "$db")
owner=$(docker inspect -f '{{index .Config.Labels "nestflux.db-owner"}}' "$db")
[[ "$dbname" =~ ^[a-z_][a-z0-9_]*$ && "$owner" =~ ^[a-z_][a-z0-9_]*$ ]] || die "$db carries no nestflux.db-name/db-owner labels"

# The bootstrap superuser, over the container's local socket only (pg_hba refuses it over TCP).
as_postgres='PGPASSWORD="$(cat /etc/nestflux/superuser_password)" exec "$@"'
tables=$(docker exec "$db" sh -c "$as_postgres" sh psql -U postgres -d "$dbname" -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != 0 ] && [ "$force" != true ]; then
    die "$dbname already has $tables tables; pass --force to replace them with the backup"
fi
clean=()
[ "$force" = true ] && clean=(--clean --if-exists)

# Decrypt where the backup is (key on stdin), restore as the schema owner so ownership and
# grants come out as the stack made them.
started=$(date +%s)
docker exec -i "$backup" openssl cms -decrypt -binary -inform DER -in "$dir/$name" -inkey /dev/stdin < "$key" |
    docker exec -i "$db" sh -c "$as_postgres" sh pg_restore -U postgres --dbname="$dbname" --role="$owner" --no-owner --exit-on-error "${clean[@]}"
printf '{"level":"info","type":"backup","event":"restore_succeeded","file":"%s","database":"%s","seconds":%s}\n' "$name" "$dbname" "$(($(date +%s) - started))"
