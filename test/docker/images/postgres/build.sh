#!/usr/bin/env bash
# build.sh [--recipe-hash] <ref>: offline stand-in for the official postgres:17.x-trixie image, from trixie's
# postgresql-17 and gosu packages. See README.md for the contract and the differences.
set -euo pipefail
STANDIN_NAME=postgres
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../common.sh
source "$HERE/../common.sh"

HASH_ONLY=false
if [ "${1:-}" = --recipe-hash ]; then HASH_ONLY=true; shift; fi
REF=${1:?usage: build.sh [--recipe-hash] <ref>, e.g. postgres:17.12-trixie}
SUITE=trixie
PACKAGES=postgresql-17,gosu
PG_MAJOR=17
case "${REF##*:}" in
    "$PG_MAJOR"|"$PG_MAJOR".*|"$PG_MAJOR"-*) ;;
    *) echo "postgres stand-in: only PostgreSQL $PG_MAJOR (trixie's postgresql-$PG_MAJOR) is available, not $REF" >&2; exit 1 ;;
esac

HASH=$(recipe_hash "$HERE")
start_build "$HASH_ONLY" "$REF" "$HASH"

TARBALL=$(rootfs_tarball "$SUITE" "$PACKAGES")
unpack_rootfs "$TARBALL"

# Debian's postinst made a "main" cluster; the image must start without one (PGDATA is
# initialised by the entrypoint), and packages added later must not create one either.
if [ -d "$ROOT/etc/postgresql/$PG_MAJOR/main" ]; then in_root pg_dropcluster "$PG_MAJOR" main; fi
rm -rf "$ROOT/var/lib/postgresql/$PG_MAJOR" "$ROOT/var/log/postgresql/"*
sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' "$ROOT/etc/postgresql-common/createcluster.conf"

# The official image's postgres user is 999:999 (projects chown secrets and volumes to it);
# Debian's postinst picked a dynamic system id, so move it and everything it owns.
old_uid=$(in_root id -u postgres); old_gid=$(in_root id -g postgres)
if [ "$old_gid" != 999 ]; then
    in_root groupmod -g 999 postgres
    find "$ROOT" -xdev -gid "$old_gid" -exec chgrp -h 999 '{}' +
fi
if [ "$old_uid" != 999 ]; then
    in_root usermod -u 999 -d /var/lib/postgresql -s /bin/bash postgres
    find "$ROOT" -xdev -uid "$old_uid" -exec chown -h 999 '{}' +
fi

# Like the official image: listen on all interfaces by default (initdb copies this sample).
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$ROOT/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
grep -qF "listen_addresses = '*'" "$ROOT/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"

install -d -o 999 -g 999 -m 0755 "$ROOT/var/lib/postgresql"
install -d -o 999 -g 999 -m 1777 "$ROOT/var/lib/postgresql/data"
# /var/run is an absolute symlink to /run: never write through it from the host side.
install -d -o 999 -g 999 -m 3777 "$ROOT/run/postgresql"
install -d -m 0755 "$ROOT/docker-entrypoint-initdb.d"
install -m 0755 "$HERE/docker-entrypoint.sh" "$ROOT/usr/local/bin/docker-entrypoint.sh"

apt_sources "$ROOT" "$SUITE"
finish_rootfs "$ROOT"
PG_VERSION=$(in_root dpkg-query -W -f '${Version}' "postgresql-$PG_MAJOR")
case "${REF##*:}" in "${PG_VERSION%%-*}"|"${PG_VERSION%%-*}"-*) ;; *) log "warning: $REF gets PostgreSQL $PG_VERSION" ;; esac
import_image "$ROOT" "$REF" "$STANDIN_NAME" "$HASH" SIGINT -- \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/$PG_MAJOR/bin" \
    "ENV LANG=C.UTF-8" \
    "ENV PG_MAJOR=$PG_MAJOR" \
    "ENV PG_VERSION=$PG_VERSION" \
    "ENV PGDATA=/var/lib/postgresql/data" \
    "VOLUME /var/lib/postgresql/data" \
    "EXPOSE 5432" \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["postgres"]'
