#!/usr/bin/env bash
# Builds the Debian package kcptun-dotnet (native kcptun-client and kcptun-server in /usr/bin, systemd units,
# example configs, man pages generated from -h) with dpkg-deb. It replaces Debian's Go `kcptun` package
# (Conflicts/Replaces/Provides). Nothing is downloaded by this script; `dotnet publish` restores from the NuGet
# cache (run `dotnet restore` once beforehand on an offline machine).
#   packaging/deb/build.sh [--arch amd64|arm64] [--out DIR] [--binaries DIR]
#     --arch ARCH     Debian architecture of the package (default: this machine's). arm64 on an x86-64 machine is a
#                     NativeAOT cross-build (linux-arm64): it needs Debian's cross toolchain (apt-get install clang
#                     gcc-aarch64-linux-gnu libc6-dev-arm64-cross) and, to read the version and -h for the man
#                     pages, qemu-user (qemu-aarch64 with the cross libc in /usr/aarch64-linux-gnu).
#     --out DIR       where the .deb goes (default: dist)
#     --binaries DIR  use kcptun-client/kcptun-server already published in DIR instead of publishing
# Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=dist
binaries=""
host_arch=$(dpkg --print-architecture)
arch=$host_arch
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --binaries) binaries=$2; shift 2 ;;
    *) echo "usage: $0 [--arch amd64|arm64] [--out DIR] [--binaries DIR]" >&2; exit 2 ;;
  esac
done

# Per architecture: the .NET runtime identifier, the ELF machine (e_machine, little-endian hex) and the publish
# properties of a cross-build (objcopy strips the symbols into .dbg; the host's binutils know only x86).
case "$arch" in
  amd64) rid=linux-x64 elf_machine=3e00 cross_props=() ;;
  arm64) rid=linux-arm64 elf_machine=b700 cross_props=(-p:ObjCopyName=aarch64-linux-gnu-objcopy) ;;
  *) echo "unsupported architecture $arch (amd64, arm64)" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$binaries" ]; then
  binaries="$work/publish"
  publish_props=(-p:PublishAot=true)
  [ "$arch" = "$host_arch" ] || publish_props+=("${cross_props[@]}")
  for program in Server Client; do
    dotnet publish "src/Kcptun.$program" -c Release -r "$rid" -o "$binaries" "${publish_props[@]}" >&2
  done
fi
for program in kcptun-client kcptun-server; do
  if ! head -c 4 "$binaries/$program" | grep -q ELF; then
    echo "$binaries/$program is not a native executable (NativeAOT needs clang: apt-get install clang)" >&2
    exit 1
  fi
  if [ "$(od -An -tx1 -j18 -N2 "$binaries/$program" | tr -d ' ')" != "$elf_machine" ]; then
    echo "$binaries/$program is not a $arch executable" >&2
    exit 1
  fi
done

# What runs the programs here (for -v and help2man's -h): themselves, or qemu-user for a foreign architecture.
run="$work/run"
mkdir -p "$run"
for program in kcptun-client kcptun-server; do
  if [ "$arch" = "$host_arch" ]; then
    ln -s "$(realpath "$binaries/$program")" "$run/$program"
  elif [ "$arch" = arm64 ] && command -v qemu-aarch64 >/dev/null && [ -d /usr/aarch64-linux-gnu ]; then
    printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu "%s" "$@"\n' "$(realpath "$binaries/$program")" >"$run/$program"
    chmod +x "$run/$program"
  else
    echo "running $arch programs here needs qemu-user and the cross libc (apt-get install qemu-user libc6-arm64-cross)" >&2
    exit 1
  fi
done

# The version the programs report (`kcptun version X`), made a Debian version: digits, dots, '+' and '~'.
upstream=$("$run/kcptun-server" -v | sed -n 's/^kcptun version //p')
version=$(printf '%s' "${upstream%%+*}" | tr -c '0-9A-Za-z.~\n' '~')
[ -n "$version" ] || { echo "cannot read the version from kcptun-server -v" >&2; exit 1; }
version="$version-1"

root="$work/root"
doc="$root/usr/share/doc/kcptun-dotnet"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/man/man1" "$doc/examples"
install -m 0755 "$binaries/kcptun-client" "$binaries/kcptun-server" "$root/usr/bin/"
install -m 0644 packaging/systemd/kcptun-client@.service packaging/systemd/kcptun-server@.service "$root/lib/systemd/system/"
install -m 0644 packaging/examples/client.json packaging/examples/server.json packaging/grafana/kcptun-dashboard.json "$doc/examples/"
install -m 0644 packaging/deb/copyright "$doc/copyright"

# Man pages from -h/-v with help2man (Debian package help2man), plus the FILES/METRICS sections of man-extra.h2m.
command -v help2man >/dev/null || { echo "help2man is needed for the man pages: apt-get install help2man" >&2; exit 1; }
for program in kcptun-client kcptun-server; do
  page="$work/$program.1"
  role=${program#kcptun-}
  help2man --no-info --section=1 --source="kcptun for .NET" \
    --name="KCP tunnel $role, wire-compatible with Go kcptun" --version-string="$upstream" \
    --include=packaging/deb/man-extra.h2m "$run/$program" >"$page"
  gzip -9n <"$page" >"$root/usr/share/man/man1/$program.1.gz"
done
sed "s/@VERSION@/$version/" packaging/deb/changelog | gzip -9n >"$doc/changelog.Debian.gz"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$installed_size/" packaging/deb/control >"$root/DEBIAN/control"
(cd "$root" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/kcptun-dotnet_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
