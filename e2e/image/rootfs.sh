#!/usr/bin/env bash
# rootfs.sh MIRROR PACKAGES_FILE OUT_TAR
# Debootstraps a Debian bookworm minbase with the packages listed in
# PACKAGES_FILE from MIRROR and writes the root filesystem as OUT_TAR.
set -euo pipefail
mirror=$1 packages_file=$2 out=$3
pkgs=$(grep -v '^#' "$packages_file" | grep -v '^[[:space:]]*$' | paste -sd, -)
work=$(mktemp -d "$(dirname "$out")/rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase --include="$pkgs" bookworm "$work/root" "$mirror"
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar --numeric-owner -C "$work/root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
