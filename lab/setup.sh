#!/usr/bin/env bash
# Prepares this machine for the QEMU migration lab: Debian packages, a guest kernel extracted
# from Debian's package (never installed into the host), and an initramfs holding busybox and
# the static memory dirtier, cached under a content hash. Idempotent; silent when nothing to do.
# Writes $LAB_CACHE/images.json; with --print also prints it (the runner reads that line).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offline-first/lab}
say() { echo "lab setup: $*" >&2; }
fail() { echo "lab setup: FAILED: $*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
# command or file -> package that provides it
declare -A needs=(
  [/usr/bin/qemu-system-x86_64]=qemu-system-x86
  [/bin/busybox]=busybox-static
  [/usr/sbin/ip]=iproute2
  [/usr/sbin/tc]=iproute2
  [/usr/bin/gcc]=gcc
  [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
  [/usr/bin/cpio]=cpio
  [/usr/bin/gzip]=gzip
)
missing=()
for f in "${!needs[@]}"; do [ -e "$f" ] || missing+=("${needs[$f]}"); done
# The dynamic busybox package also provides /bin/busybox; the initramfs needs the static one.
if [ -e /bin/busybox ] && ldd /bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || fail "missing packages (${missing[*]}) and not root: run as root or install them with apt-get"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/lab-apt.$$ 2>&1; then
    apt-get update -qq >/tmp/lab-apt.$$ 2>&1 || { cat /tmp/lab-apt.$$ >&2; fail "apt-get update failed (no route to Debian's package mirror?)"; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/lab-apt.$$ 2>&1 ||
      { cat /tmp/lab-apt.$$ >&2; rm -f /tmp/lab-apt.$$; fail "apt-get install ${missing[*]} failed (output above)"; }
  fi
  rm -f /tmp/lab-apt.$$
fi
version=$(qemu-system-x86_64 --version | head -n1)
case "$version" in *" 7.2"*) ;; *) say "warning: the lab reproduces QEMU 7.2, this is: $version" ;; esac

mkdir -p "$cache"

# --- guest kernel ------------------------------------------------------------------------------
# Reuse any kernel already extracted so a warm cache needs no apt lists and no network.
kernel=$(ls -1 "$cache"/kernel/*/vmlinuz 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$kernel" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$pkg" ] || fail "cannot resolve the kernel package: 'apt-cache depends linux-image-amd64' names none (run apt-get update)"
  say "downloading guest kernel $pkg (extracted into $cache, not installed)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) || fail "apt-get download $pkg failed"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x" || fail "dpkg-deb could not unpack $pkg"
  src=$(ls -1 "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -n1)
  [ -n "$src" ] || fail "$pkg contains no boot/vmlinuz-*"
  kver=${src##*/vmlinuz-}
  mkdir -p "$cache/kernel/$kver"
  cp "$src" "$cache/kernel/$kver/vmlinuz.tmp" && mv "$cache/kernel/$kver/vmlinuz.tmp" "$cache/kernel/$kver/vmlinuz"
  kernel="$cache/kernel/$kver/vmlinuz"
fi

# --- initramfs, keyed by everything that goes into it ----------------------------------------
key=$( { cat "$here/guest/dirty.c" "$here/guest/init" /bin/busybox; gcc --version | head -n1; } | sha256sum | cut -c1-16)
initrd="$cache/initramfs-$key.cpio.gz"
if [ ! -s "$initrd" ]; then
  say "building initramfs $key"
  work=$(mktemp -d)
  trap 'rm -rf "$work" ${tmp:+"$tmp"}' EXIT
  mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
  gcc -O2 -static -Wall -Wextra -o "$work/root/dirty" "$here/guest/dirty.c" 2>"$work/gcc.log" ||
    { cat "$work/gcc.log" >&2; fail "gcc -static could not build lab/guest/dirty.c (is libc6-dev installed?)"; }
  cp /bin/busybox "$work/root/bin/busybox"
  ln -s busybox "$work/root/bin/sh"
  install -m 0755 "$here/guest/init" "$work/root/init"
  (cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9 >"$work/initrd") ||
    fail "cpio/gzip could not pack the initramfs"
  mv "$work/initrd" "$initrd"
  # Older images are unreachable once their sources changed.
  find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "initramfs-$key.cpio.gz" -delete
fi

printf '{"kernel":"%s","initrd":"%s","qemu":"%s"}\n' "$kernel" "$initrd" "$version" >"$cache/images.json.tmp"
mv "$cache/images.json.tmp" "$cache/images.json"
[ "${1:-}" = --print ] && cat "$cache/images.json"
exit 0
