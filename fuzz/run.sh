#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that face the network or the user (docs/fuzzing.md).
#
#   fuzz/run.sh TARGET SECONDS       afl-fuzz one target for SECONDS (an hour or more for a long run)
#   fuzz/run.sh all SECONDS          every target in turn, SECONDS each
#   fuzz/run.sh --ci SECONDS         every target, SECONDS each; exits 1 on any crash or hang, prints what ran
#   fuzz/run.sh replay TARGET PATH.. run saved inputs through a target (no afl-fuzz), with stack traces
#
# Needs afl-fuzz (Debian package afl++) and the SharpFuzz tool of the repository's manifest (dotnet tool restore).
# Builds fuzz/Kcptun.Fuzz once per call into $FUZZ_OUT (default fuzz/out, ignored by git), instruments its copy of
# Kcptun.Core.dll and Snappier.dll with sharpfuzz, and keeps each target's findings in $FUZZ_OUT/findings/TARGET
# (crashes/ and hangs/ hold the inputs; copy a fixed one into fuzz/crashes/TARGET/ as a regression).
# FUZZ_NO_BUILD=1 reuses the last instrumented build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/fuzz/out}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

usage() { sed -n '3,8p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage

build() {
  if [ "${FUZZ_NO_BUILD:-0}" = 1 ] && [ -f "$out/bin/Kcptun.Fuzz.dll" ]; then return; fi
  command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 1; }
  echo "fuzz: building and instrumenting into $out/bin" >&2
  dotnet publish "$root/fuzz/Kcptun.Fuzz" -c Release -o "$out/publish" -p:UseAppHost=false --nologo -v quiet >&2
  rm -rf "$out/bin" && cp -r "$out/publish" "$out/bin"
  (cd "$root" && dotnet tool restore >/dev/null && dotnet tool run sharpfuzz "$out/bin/Kcptun.Core.dll" >/dev/null \
    && dotnet tool run sharpfuzz "$out/bin/Snappier.dll" >/dev/null)
}

targets() { dotnet "$out/bin/Kcptun.Fuzz.dll" list | awk '$1 != "protection-CRYPT" { print $1 }'; }

# fuzz_one TARGET SECONDS: runs afl-fuzz; prints "TARGET: N execs, N paths, N crashes, N hangs"; returns 1 on a finding.
fuzz_one() {
  local target=$1 seconds=$2 seeds="$root/fuzz/corpus/$1" findings="$out/findings/$1"
  if [ ! -d "$seeds" ] && [[ $target == protection-* ]]; then
    # A pinned cipher: the protection seeds without their cipher selector byte.
    seeds="$out/seeds/$target"; rm -rf "$seeds"; mkdir -p "$seeds"
    for f in "$root"/fuzz/corpus/protection/*; do tail -c +2 "$f" >"$seeds/$(basename "$f")"; done
  fi
  [ -d "$seeds" ] || { echo "no seed corpus for $target" >&2; return 2; }
  rm -rf "$findings"; mkdir -p "$(dirname "$findings")"
  local rc=0 dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-x "$root/fuzz/dict/$target.dict")
  # No UI, no CPU pinning (shared machine), dotnet's start-up is slow for the fork server handshake, the
  # instrumentation lives in the .NET assemblies, not in the dotnet binary afl-fuzz is given, and a 1 GiB GC heap
  # limit turns an input that makes the code allocate gigabytes into an OutOfMemoryException (a crash) instead of
  # a machine that swaps. A fixed seed (-s) makes the short CI run repeatable as far as timing allows.
  AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_GCHeapHardLimit=0x40000000 \
    timeout -k 10 $((seconds + 120)) afl-fuzz -i "$seeds" -o "$findings" -t 10000 -m none -s 16 -V "$seconds" "${dict[@]}" \
      -- dotnet "$out/bin/Kcptun.Fuzz.dll" "$target" >"$findings.log" 2>&1 || rc=$?
  local stats="$findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$target: afl-fuzz did not run (rc $rc); its log:" >&2; tail -n 30 "$findings.log" >&2; return 1
  fi
  local execs paths crashes hangs
  execs=$(awk -F: '$1 ~ /^execs_done/ { gsub(/ /, "", $2); print $2 }' "$stats")
  paths=$(awk -F: '$1 ~ /^corpus_count/ { gsub(/ /, "", $2); print $2 }' "$stats")
  crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  echo "$target: ${execs:-0} execs in ${seconds} s, ${paths:-0} corpus entries, $crashes crashes, $hangs hangs"
  if [ "$rc" -ne 0 ]; then
    echo "$target: afl-fuzz exited with $rc (a hang or crash that killed the fork server?); its log:" >&2
    tail -n 30 "$findings.log" >&2
    [ -f "$findings/default/.cur_input" ] && cp "$findings/default/.cur_input" "$findings/last-input" \
      && echo "$target: the input being run is in $findings/last-input" >&2
    return 1
  fi
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    dotnet "$out/publish/Kcptun.Fuzz.dll" "$target" "$findings/default/crashes" "$findings/default/hangs" | head -n 60 >&2 || true
    return 1
  fi
}

case $1 in
  replay)
    shift; build; dotnet "$out/publish/Kcptun.Fuzz.dll" "$@" ;;
  all|--ci)
    mode=$1 seconds=$2 failed=0
    build
    for target in $(targets); do fuzz_one "$target" "$seconds" || failed=$((failed + 1)); done
    echo "fuzz: $(targets | wc -l) targets, $failed with findings"
    [ "$failed" -eq 0 ] || exit 1 ;;
  *)
    build; fuzz_one "$1" "$2" ;;
esac
