#!/usr/bin/env bash
# build.sh [--recipe-hash] <ref>: offline stand-in for the official nginx:1.30.x-trixie image, from Debian
# forky's nginx package (trixie only has 1.26). See README.md for the contract and differences.
set -euo pipefail
STANDIN_NAME=nginx
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../common.sh
source "$HERE/../common.sh"

HASH_ONLY=false
if [ "${1:-}" = --recipe-hash ]; then HASH_ONLY=true; shift; fi
REF=${1:?usage: build.sh [--recipe-hash] <ref>, e.g. nginx:1.30.6-trixie}
SUITE=forky
PACKAGES=nginx,curl,ca-certificates

HASH=$(recipe_hash "$HERE")
start_build "$HASH_ONLY" "$REF" "$HASH"

TARBALL=$(rootfs_tarball "$SUITE" "$PACKAGES")
unpack_rootfs "$TARBALL"

# The official image runs workers as nginx 101:101 (projects run it with --user 101:101).
in_root groupadd --system --gid 101 nginx
in_root useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent \
    --shell /bin/false --comment "nginx user" nginx

# Debian's layout → the official one: one nginx.conf that includes conf.d/*.conf, no
# sites-enabled default site (it would also claim port 80), modules under /etc/nginx/modules.
rm -rf "$ROOT"/etc/nginx/sites-available "$ROOT"/etc/nginx/sites-enabled "$ROOT"/etc/nginx/snippets \
       "$ROOT"/etc/nginx/modules-available "$ROOT"/etc/nginx/modules-enabled "$ROOT"/var/www
install -m 0644 "$HERE/nginx.conf" "$ROOT/etc/nginx/nginx.conf"
install -d -m 0755 "$ROOT/etc/nginx/conf.d"
install -m 0644 "$HERE/default.conf" "$ROOT/etc/nginx/conf.d/default.conf"
install -d -m 0755 "$ROOT/usr/lib/nginx/modules"
ln -sfn /usr/lib/nginx/modules "$ROOT/etc/nginx/modules"

# Debian compiles its temp paths as /var/lib/nginx/{body,proxy,...}; the official build uses
# /var/cache/nginx/*_temp. Pointing /var/lib/nginx at /var/cache/nginx makes nginx create its
# temp dirs where the official one does (a tmpfs on /var/cache/nginx then covers them).
install -d -m 0755 "$ROOT/var/cache/nginx"
rm -rf "$ROOT/var/lib/nginx"
ln -s /var/cache/nginx "$ROOT/var/lib/nginx"

install -d -m 0755 "$ROOT/var/log/nginx"
ln -sfn /dev/stdout "$ROOT/var/log/nginx/access.log"
ln -sfn /dev/stderr "$ROOT/var/log/nginx/error.log"

install -d -m 0755 "$ROOT/usr/share/nginx/html"
cat >"$ROOT/usr/share/nginx/html/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1><p>NestFlux offline stand-in of the official nginx image.</p></body></html>
HTML
cat >"$ROOT/usr/share/nginx/html/50x.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Error</title></head>
<body><h1>An error occurred.</h1></body></html>
HTML

install -d -m 0755 "$ROOT/docker-entrypoint.d"
install -m 0755 "$HERE/docker-entrypoint.sh" "$ROOT/docker-entrypoint.sh"

apt_sources "$ROOT" "$SUITE"
finish_rootfs "$ROOT"
NGINX_VERSION=$(in_root dpkg-query -W -f '${Version}' nginx | sed 's/-.*//')
tag=${REF##*:}
case "$tag" in
    "$NGINX_VERSION"|"$NGINX_VERSION"-*) ;;
    "${NGINX_VERSION%.*}"|"${NGINX_VERSION%.*}".*|"${NGINX_VERSION%.*}"-*) log "warning: $REF gets nginx $NGINX_VERSION" ;;
    *) echo "nginx stand-in: $SUITE packages nginx $NGINX_VERSION, which cannot stand in for $REF" >&2; exit 1 ;;
esac
import_image "$ROOT" "$REF" "$STANDIN_NAME" "$HASH" SIGQUIT -- \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "ENV NGINX_VERSION=$NGINX_VERSION" \
    "EXPOSE 80" \
    'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    'CMD ["nginx", "-g", "daemon off;"]'
