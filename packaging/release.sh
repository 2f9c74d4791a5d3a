#!/usr/bin/env bash
# Builds the release archives of kcptun-client and kcptun-server from one x86-64 Debian 12 machine, plus SHA256SUMS:
#   linux-x64    NativeAOT (x86-64-v3)            kcptun-dotnet-VERSION-linux-x64.tar.gz    + the amd64 .deb
#   linux-arm64  NativeAOT, cross-built           kcptun-dotnet-VERSION-linux-arm64.tar.gz  + the arm64 .deb
#   win-x64      JIT, single-file self-contained  kcptun-dotnet-VERSION-win-x64.zip
#   osx-arm64    JIT, single-file self-contained  kcptun-dotnet-VERSION-osx-arm64.tar.gz
# NativeAOT cannot cross-compile to Windows or macOS (it needs their linkers and SDKs), so those two are the JIT
# build bundled with the .NET runtime into one file (no .NET install needed on the target), trimmed and compressed;
# the macOS one is ad-hoc signed by the SDK, not notarised.
# Each archive holds the two programs, README.md, README.zh-CN.md, LICENSE and the example configs.
#   packaging/release.sh [--out DIR] [--targets "linux-x64 linux-arm64 win-x64 osx-arm64"] [--no-deb]
# Needs: the .NET SDK, clang, zlib1g-dev, gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (arm64 link), help2man
# and qemu-user (for the .debs' man pages), zip. Checks what it can here: the Linux programs run (-v; arm64 under
# qemu-aarch64), the Windows and macOS ones are checked by their executable headers only. Prints the archive folder
# as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist/release
targets="linux-x64 linux-arm64 win-x64 osx-arm64"
debs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --no-deb) debs=0; shift ;;
    *) echo "usage: $0 [--out DIR] [--targets \"RID ...\"] [--no-deb]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out=$(realpath "$out")

publish() { # RID DIR PROPERTIES...
  local rid=$1 dir=$2; shift 2
  for program in Server Client; do
    dotnet publish "src/Kcptun.$program" -c Release -r "$rid" -o "$dir" "$@" >"$work/publish-$rid-$program.log" 2>&1 \
      || { cat "$work/publish-$rid-$program.log" >&2; echo "release: publishing $program for $rid failed" >&2; exit 1; }
  done
}

# What the bytes at the start of an executable must be: ELF x86-64 / aarch64 (e_machine at 18), PE (MZ), Mach-O 64.
check_header() { # FILE KIND
  local file=$1 kind=$2 got
  case "$kind" in
    elf-x64) got=$(od -An -tx1 -j18 -N2 "$file" | tr -d ' '); [ "$(head -c 4 "$file" | tail -c 3)" = ELF ] && [ "$got" = 3e00 ] ;;
    elf-arm64) got=$(od -An -tx1 -j18 -N2 "$file" | tr -d ' '); [ "$(head -c 4 "$file" | tail -c 3)" = ELF ] && [ "$got" = b700 ] ;;
    pe) [ "$(head -c 2 "$file")" = MZ ] ;;
    macho-arm64) got=$(od -An -tx1 -N8 "$file" | tr -d ' '); [ "$got" = cffaedfe0c000001 ] ;;
  esac || { echo "release: $file is not a $kind executable" >&2; exit 1; }
}

# The JIT single-file build: the runtime bundled in, trimmed to what the programs use (they are trimming- and
# AOT-safe: IsAotCompatible) and compressed, about a fifth of the untrimmed bundle.
single_file=(-p:PublishAot=false -p:PublishSingleFile=true --self-contained true -p:PublishTrimmed=true
             -p:EnableCompressionInSingleFile=true -p:DebugType=none)

version=""
staged=()
for rid in $targets; do
  dir="$work/$rid"
  exe=""
  case "$rid" in
    linux-x64)
      publish "$rid" "$dir" -p:PublishAot=true
      kind=elf-x64 run=() ;;
    linux-arm64)
      publish "$rid" "$dir" -p:PublishAot=true -p:ObjCopyName=aarch64-linux-gnu-objcopy
      kind=elf-arm64 run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
    win-x64)
      publish "$rid" "$dir" "${single_file[@]}"
      kind=pe exe=.exe run=() ;;
    osx-arm64)
      publish "$rid" "$dir" "${single_file[@]}"
      kind=macho-arm64 run=() ;;
    *) echo "release: unknown target $rid" >&2; exit 2 ;;
  esac
  for program in kcptun-client kcptun-server; do
    check_header "$dir/$program$exe" "$kind"
  done

  # The version the programs report; the Linux ones run here (arm64 under qemu when it is installed).
  if [ "$kind" = elf-x64 ] || { [ "$kind" = elf-arm64 ] && command -v qemu-aarch64 >/dev/null; }; then
    reported=$("${run[@]}" "$dir/kcptun-server" -v | sed -n 's/^kcptun version //p')
    [ -n "$reported" ] || { echo "release: $rid kcptun-server -v printed no version" >&2; exit 1; }
    [ -z "$version" ] || [ "$version" = "$reported" ] || { echo "release: $rid reports $reported, not $version" >&2; exit 1; }
    version=$reported
    "${run[@]}" "$dir/kcptun-client" -v >/dev/null
  fi

  stage="$work/stage-$rid"
  mkdir -p "$stage/examples"
  install -m 0755 "$dir/kcptun-client$exe" "$dir/kcptun-server$exe" "$stage/"
  install -m 0644 README.md README.zh-CN.md LICENSE "$stage/"
  install -m 0644 packaging/examples/client.json packaging/examples/server.json packaging/grafana/kcptun-dashboard.json "$stage/examples/"
  staged+=("$rid")

  if [ "$debs" -eq 1 ] && { [ "$rid" = linux-x64 ] || [ "$rid" = linux-arm64 ]; }; then
    arch=$([ "$rid" = linux-x64 ] && echo amd64 || echo arm64)
    bash packaging/deb/build.sh --arch "$arch" --binaries "$dir" --out "$out" >"$work/deb-$arch.log" 2>&1 \
      || { cat "$work/deb-$arch.log" >&2; echo "release: the $arch .deb failed" >&2; exit 1; }
  fi
done

# The archive names carry the version without our -dotnet suffix (kcptun-dotnet-1.0.0-linux-x64.tar.gz).
# Without a Linux target nothing ran here: the project's version, which -v reports too.
version=${version%-dotnet}
[ -n "$version" ] || version=$(dotnet msbuild src/Kcptun.Server -getProperty:Version)
[ -n "$version" ] || { echo "release: cannot tell the version" >&2; exit 1; }
for rid in "${staged[@]}"; do
  name="kcptun-dotnet-$version-$rid"
  mv "$work/stage-$rid" "$work/$name"
  if [ "$rid" = win-x64 ]; then
    rm -f "$out/$name.zip"
    (cd "$work" && zip -q -r -X "$out/$name.zip" "$name")
  else
    tar -C "$work" --owner=0 --group=0 --numeric-owner --sort=name -czf "$out/$name.tar.gz" "$name"
  fi
done
(cd "$out" && find . -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.zip' -o -name '*.deb' \) -printf '%f\n' \
  | sort | xargs sha256sum >SHA256SUMS)
cat "$out/SHA256SUMS" >&2
echo "$out"
