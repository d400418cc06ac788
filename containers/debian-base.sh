#!/usr/bin/env bash
# A Debian-based Python base image made from Debian's packages alone, for machines that
# cannot pull images: debootstrap a minimal bookworm with python3 and its venv module,
# then `docker import` it. The Dockerfile's BASE_IMAGE build argument (default
# python:3.11-slim) can point at the result, as can containers/postgres.Dockerfile's.
#
#   containers/debian-base.sh [TAG]          # default fintwin-base:bookworm; needs root
#
# The Debian mirror is the one apt is configured with (/etc/apt/sources.list*), or
# FINTWIN_DEBIAN_MIRROR. An image already tagged TAG is kept (FINTWIN_REBUILD_BASE=1
# makes it again).
set -euo pipefail

tag=${1:-fintwin-base:bookworm}
suite=${FINTWIN_DEBIAN_SUITE:-bookworm}

if [ -z "${FINTWIN_REBUILD_BASE:-}" ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag already exists (FINTWIN_REBUILD_BASE=1 to make it again)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "debian-base.sh: debootstrap needs root" >&2
    exit 2
fi
command -v debootstrap >/dev/null || { echo "debian-base.sh: apt-get install debootstrap" >&2; exit 2; }

mirror=${FINTWIN_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    # The first non-security Debian archive apt uses: deb822 "URIs:" or one-line "deb".
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
                 /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' \
             | awk '{print $1}' | grep '/debian/\?$' | grep -v security | head -n 1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

rootfs=$(mktemp -d /tmp/fintwin-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite from $mirror into $rootfs"
debootstrap --variant=minbase --components=main \
    --include=python3,python3-venv,ca-certificates \
    "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
        tail -n 30 "$rootfs.log" >&2
        rm -f "$rootfs.log"
        exit 1
    }
rm -f "$rootfs.log"
# What an image does not need: package caches, documentation.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
tar --numeric-owner -C "$rootfs" -c . \
    | docker import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["python3"]' \
        - "$tag" >/dev/null
echo "base image $tag: $(docker run --rm "$tag" python3 --version)"
