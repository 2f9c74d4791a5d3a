#!/usr/bin/env bash
# Builds the Debian package kcptun-dotnet (native kcptun-client and kcptun-server in /usr/bin, systemd units,
# example configs, man pages generated from -h) with dpkg-deb. It replaces Debian's Go `kcptun` package
# (Conflicts/Replaces/Provides). Nothing is downloaded by this script; `dotnet publish` restores from the NuGet
# cache (run `dotnet restore` once beforehand on an offline machine).
#   packaging/deb/build.sh [--out DIR] [--binaries DIR]
#     --out DIR       where the .deb goes (default: dist)
#     --binaries DIR  use kcptun-client/kcptun-server already published in DIR instead of publishing
# Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=dist
binaries=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --binaries) binaries=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--binaries DIR]" >&2; exit 2 ;;
  esac
done

arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$binaries" ]; then
  binaries="$work/publish"
  for program in Server Client; do
    dotnet publish "src/Kcptun.$program" -c Release -o "$binaries" -p:PublishAot=true >&2
  done
fi
for program in kcptun-client kcptun-server; do
  if ! head -c 4 "$binaries/$program" | grep -q ELF; then
    echo "$binaries/$program is not a native executable (NativeAOT needs clang: apt-get install clang)" >&2
    exit 1
  fi
done

# The version the programs report (`kcptun version X`), made a Debian version: digits, dots, '+' and '~'.
upstream=$("$binaries/kcptun-server" -v | sed -n 's/^kcptun version //p')
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
    --include=packaging/deb/man-extra.h2m "$binaries/$program" >"$page"
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
