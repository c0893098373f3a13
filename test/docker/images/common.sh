# Shared by the stand-in recipes in this directory (sourced by each <name>/build.sh).
# Stand-ins are built offline from Debian packages because no image registry is reachable here.
# Care: the rootfs holds absolute symlinks (/var/run -> /run, ...); a host-side path through
# one of them lands on the host. Write to real paths only, or run the command in chroot.
# shellcheck shell=bash

CACHE_DIR=${NESTFLUX_IMAGE_CACHE:-/var/cache/nestflux-standins}
# The machine's own Debian mirror (the URIs: line apt uses), unless told otherwise.
MIRROR=${NESTFLUX_DEBIAN_MIRROR:-$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- '-security' | head -n 1)}
MIRROR=${MIRROR:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
[ -n "$MIRROR" ] || { echo "no Debian mirror found in apt's sources; set NESTFLUX_DEBIAN_MIRROR" >&2; exit 1; }
IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[stand-in %s] %s\n' "${STANDIN_NAME:-?}" "$*" >&2; }

# recipe_hash <stand-in dir>: sha256 of every file of the recipe (sorted by name, README.md
# excluded) followed by common.sh. index.ts computes the same value to detect a stale image.
recipe_hash() {
    local dir=$1 f
    (
        cd "$dir"
        for f in $(LC_ALL=C ls -1 | grep -vx 'README.md'); do [ -f "$f" ] && cat "$f"; done
        cat "$IMAGES_DIR/common.sh"
    ) | sha256sum | cut -d' ' -f1
}

# image_is_current <ref> <hash>: the ref exists and was built from this very recipe.
image_is_current() {
    local have
    have=$(docker image inspect --format '{{ index .Config.Labels "org.nestflux.standin.recipe" }}' "$1" 2>/dev/null) || return 1
    [ "$have" = "$2" ]
}

# rootfs_tarball <suite> <comma-separated packages> [extra debootstrap args...]
# Prints the path of a cached tarball of `debootstrap --variant=minbase` for that suite and
# package set. Only debootstrap's output is cached (the slow, network-bound part); every
# customisation runs on a fresh copy, so editing a recipe never needs a new download.
rootfs_tarball() {
    local suite=$1 include=$2; shift 2
    local key script out tmp
    key=$(printf '%s\n' "$suite" "$include" "$MIRROR" "$*" "minbase-v1" | sha256sum | cut -c1-16)
    out="$CACHE_DIR/rootfs-$suite-$key.tar"
    if [ -s "$out" ]; then log "cached rootfs $out"; echo "$out"; return; fi
    mkdir -p "$CACHE_DIR"
    # debootstrap releases older than the suite have no script for it; sid's handles any new suite.
    script=/usr/share/debootstrap/scripts/$suite
    [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
    tmp=$(mktemp -d "$CACHE_DIR/.rootfs.XXXXXX")
    log "debootstrap $suite (+ $include) into $tmp"
    if ! debootstrap --variant=minbase ${include:+--include="$include"} "$@" \
            "$suite" "$tmp/root" "$MIRROR" "$script" >"$tmp.log" 2>&1; then
        tail -n 30 "$tmp.log" >&2; [ -f "$tmp/root/debootstrap/debootstrap.log" ] && tail -n 30 "$tmp/root/debootstrap/debootstrap.log" >&2
        # debootstrap unmounts its /proc on exit; never rm -rf through a mount that is left.
        if grep -qF " $tmp/" /proc/mounts; then echo "mounts left under $tmp; not removing it" >&2; return 1; fi
        rm -rf "$tmp" "$tmp.log"; return 1
    fi
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_Packages
    tar -C "$tmp/root" --numeric-owner --xattrs -cf "$out.part" .
    mv "$out.part" "$out"
    rm -rf "$tmp" "$tmp.log"
    echo "$out"
}

# unpack_rootfs <tarball>: sets ROOT to a fresh, writable copy in a temp dir, removed on exit.
# (Not called as $(…): the subshell would lose the clean-up registration.)
unpack_rootfs() {
    ROOT=$(mktemp -d "$CACHE_DIR/.work.XXXXXX")
    WORK_DIRS+=("$ROOT")
    tar -C "$ROOT" --numeric-owner --xattrs -xf "$1"
}
# in_root CMD…: run a command inside the unpacked rootfs with a clean environment.
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# start_build <hash-only> <ref> <hash>: the step every recipe begins with. With --recipe-hash,
# print the hash and stop; stop too when the image is current; otherwise go on (as root).
start_build() {
    if "$1"; then echo "$3"; exit 0; fi
    require_root
    if image_is_current "$2" "$3"; then log "$2 is current (recipe $3)"; exit 0; fi
}

WORK_DIRS=()
cleanup_work_dirs() { local d; for d in "${WORK_DIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup_work_dirs EXIT

# finish_rootfs <dir>: what every official image also leaves out.
finish_rootfs() {
    local root=$1
    chmod 0755 "$root"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
           "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/debootstrap "$root"/tmp/* "$root"/root/.cache
    # The build host's resolver config must not leak in; Docker mounts its own at run time.
    # rm first: truncating a symlink here would write to the host's file.
    rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
    : >"$root/etc/resolv.conf"; : >"$root/etc/hostname"
}

# import_image <rootfs dir> <ref> <name> <hash> [stopsignal] -- <docker import -c changes...>
# `docker import` cannot set STOPSIGNAL, so when one is given a one-line legacy `docker build`
# on top of the imported image adds it (works offline: the base is local, nothing is pulled).
import_image() {
    local root=$1 ref=$2 name=$3 hash=$4 stopsig=$5; shift 5
    [ "${1:-}" = "--" ] && shift
    local changes=() c
    for c in "$@"; do changes+=(-c "$c"); done
    changes+=(-c "LABEL org.nestflux.standin=$name" -c "LABEL org.nestflux.standin.recipe=$hash")
    local target=$ref old
    old=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
    [ -n "$stopsig" ] && target="$ref-standin-base"
    log "docker import -> $target"
    tar -C "$root" --numeric-owner --xattrs -c . | docker import "${changes[@]}" - "$target" >/dev/null
    if [ -n "$stopsig" ]; then
        printf 'FROM %s\nSTOPSIGNAL %s\n' "$target" "$stopsig" \
            | DOCKER_BUILDKIT=0 docker build -q -t "$ref" - >/dev/null 2>"$root.build.err" \
            || { cat "$root.build.err" >&2; rm -f "$root.build.err"; return 1; }
        rm -f "$root.build.err"
        docker rmi "$target" >/dev/null
    fi
    # Drop the stand-in this build replaced (kept if a container still uses it).
    if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$ref")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
    log "built $ref ($(docker image inspect --format '{{.Id}}' "$ref"))"
}

# apt_sources <rootfs dir> <suite>: deb822 sources like the official Debian-based images, so a
# child image can still `apt-get install` (the project's API Dockerfile installs tini).
apt_sources() {
    local root=$1 suite=$2 suites=$2
    case "$suite" in sid|unstable|forky|testing) ;; *) suites="$suite $suite-updates" ;; esac
    rm -f "$root/etc/apt/sources.list"
    {
        printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$suites"
        case "$suite" in sid|unstable) ;; *)
            printf '\nTypes: deb\nURIs: %s-security\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$suite" ;;
        esac
    } >"$root/etc/apt/sources.list.d/debian.sources"
}

require_root() {
    [ "$(id -u)" = 0 ] || { echo "build.sh must run as root (debootstrap, chroot, chown)" >&2; exit 1; }
}
