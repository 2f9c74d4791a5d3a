#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that face the network or the user (docs/fuzzing.md).
#
#   fuzz/run.sh TARGET SECONDS [EXECS]   fuzz one target for SECONDS (or until EXECS inputs ran, if given first)
#   fuzz/run.sh all SECONDS [EXECS]      every target in turn, each for SECONDS / EXECS
#   fuzz/run.sh --ci SECONDS             every target, SECONDS each; exits 1 on any crash or hang, prints what ran
#   fuzz/run.sh replay TARGET PATH..     run saved inputs through a target (no fuzzer), with stack traces
#
# Engine: FUZZ_ENGINE=libfuzzer (default) runs libFuzzer in the .NET process (fuzz/libfuzzer/host.c, built here
# against Debian's libfuzzer-14-dev: 3-4x afl-fuzz's rate on this code); FUZZ_ENGINE=afl runs afl-fuzz (Debian's
# afl++) against Kcptun.Fuzz's persistent, shared-memory fork server. Needs clang and libfuzzer-NN-dev (or afl++).
# Builds fuzz/Kcptun.Fuzz once per call into $FUZZ_OUT (default fuzz/out, ignored by git), instruments its copy of
# Kcptun.Core.dll and Snappier.dll with SharpFuzz (`Kcptun.Fuzz instrument`), and keeps each target's findings in
# $FUZZ_OUT/findings/TARGET (libFuzzer: crash-*/timeout-*/oom-* files and the corpus it grew in
# $FUZZ_OUT/corpus/TARGET; afl-fuzz: crashes/ and hangs/ under default/). Copy a fixed finding into
# fuzz/crashes/TARGET/ as a regression.
# FUZZ_NO_BUILD=1 reuses the last instrumented build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/fuzz/out}
engine=${FUZZ_ENGINE:-libfuzzer}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

usage() { sed -n '3,8p' "$0" >&2; exit 2; }
case $engine in libfuzzer|afl) ;; *) echo "FUZZ_ENGINE is libfuzzer or afl, not $engine" >&2; exit 2 ;; esac
[ $# -ge 2 ] || usage

build() {
  if [ "${FUZZ_NO_BUILD:-0}" = 1 ] && [ -f "$out/bin/Kcptun.Fuzz.dll" ]; then return; fi
  if [ "$engine" = afl ]; then
    command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 1; }
  fi
  echo "fuzz: building and instrumenting into $out/bin" >&2
  dotnet publish "$root/fuzz/Kcptun.Fuzz" -c Release -o "$out/publish" -p:UseAppHost=false --nologo -v quiet >&2
  rm -rf "$out/bin" && cp -r "$out/publish" "$out/bin"
  # SharpFuzz's instrumentation through Kcptun.Fuzz (the same SharpFuzz 2.3.0 as the sharpfuzz tool), which leaves out
  # what never depends on the input and contends across cores when instrumented (QPP's pad builder: Instrumentation.cs).
  dotnet "$out/publish/Kcptun.Fuzz.dll" instrument "$out/bin/Kcptun.Core.dll" "$out/bin/Snappier.dll" >/dev/null
  [ "$engine" = afl ] || build_host
}

# build_host: $out/kcptun-libfuzzer, libFuzzer's main with .NET hosted through nethost (the SDK's apphost pack).
build_host() {
  local libfuzzer nethost arch
  libfuzzer=$(ls /usr/lib/llvm-*/lib/libFuzzer.a 2>/dev/null | sort -V | tail -n 1)
  [ -n "$libfuzzer" ] || { echo "libFuzzer.a not found: apt-get install -y libfuzzer-14-dev" >&2; exit 1; }
  command -v clang >/dev/null || { echo "clang not found: apt-get install -y clang" >&2; exit 1; }
  case $(uname -m) in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  nethost=$(ls -d "$(dirname "$(readlink -f "$(command -v dotnet)")")"/packs/Microsoft.NETCore.App.Host.linux-$arch/*/runtimes/linux-$arch/native 2>/dev/null | sort -V | tail -n 1)
  [ -f "$nethost/libnethost.a" ] || { echo "libnethost.a not found (the .NET SDK's apphost pack)" >&2; exit 1; }
  clang -O2 -Wall -Wextra -Werror -I"$nethost" -o "$out/kcptun-libfuzzer" "$root/fuzz/libfuzzer/host.c" \
    "$nethost/libnethost.a" "$libfuzzer" -lstdc++ -lpthread -ldl -lm
}

targets() { dotnet "$out/bin/Kcptun.Fuzz.dll" list | awk '$1 != "protection-CRYPT" { print $1 }'; }

# seeds_of TARGET: the seed folder (a pinned cipher gets the protection seeds without their cipher selector byte).
seeds_of() {
  local target=$1 seeds="$root/fuzz/corpus/$1"
  [[ $target == selftest-* ]] && seeds="$out/seeds/$target"
  if [ ! -d "$seeds" ] && [[ $target == protection-* ]]; then
    seeds="$out/seeds/$target"; rm -rf "$seeds"; mkdir -p "$seeds"
    for f in "$root"/fuzz/corpus/protection/*; do tail -c +2 "$f" >"$seeds/$(basename "$f")"; done
  fi
  echo "$seeds"
}

# fuzz_one TARGET SECONDS [EXECS]: prints "TARGET: N execs in S s, N corpus entries, N crashes, N hangs" (and the
# coverage); returns 1 on a finding. A fixed seed (-s / -seed) makes the short CI run repeatable as far as timing allows.
fuzz_one() {
  local target=$1 seconds=$2 execs_limit=${3:-} seeds findings="$out/findings/$1"
  seeds=$(seeds_of "$target")
  [ -d "$seeds" ] || { echo "no seed corpus for $target" >&2; return 2; }
  rm -rf "$findings"; mkdir -p "$findings"
  local dict=()
  if [ "$engine" = afl ]; then
    [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-x "$root/fuzz/dict/$target.dict")
    fuzz_afl "$target" "$seconds" "$execs_limit" "$seeds" "$findings"
  else
    [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-dict="$root/fuzz/dict/$target.dict")
    fuzz_libfuzzer "$target" "$seconds" "$execs_limit" "$seeds" "$findings"
  fi
}

# A 1 GiB GC heap limit turns an input that makes the code allocate gigabytes into an OutOfMemoryException (a
# finding) instead of a machine that swaps.
fuzz_libfuzzer() {
  local target=$1 seconds=$2 execs_limit=$3 seeds=$4 findings=$5 corpus="$out/corpus/$1" rc=0 started
  rm -rf "$corpus"; mkdir -p "$corpus"
  local limit=()
  [ -n "$execs_limit" ] && limit=(-runs="$execs_limit")
  started=$(date +%s)
  # The first corpus folder receives what libFuzzer finds; the seed folder is only read.
  (cd "$findings" && KCPTUN_FUZZ_DLL="$out/bin/Kcptun.Fuzz.dll" KCPTUN_FUZZ_TARGET="$target" DOTNET_GCHeapHardLimit=0x40000000 \
    timeout -k 10 $((seconds + 120)) "$out/kcptun-libfuzzer" -max_total_time="$seconds" "${limit[@]}" -timeout=30 -report_slow_units=30 \
      -seed=16 -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" "$corpus" "$seeds") >"$findings.log" 2>&1 || rc=$?
  local elapsed=$(($(date +%s) - started)) execs cov crashes hangs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$findings.log" | tail -n 1)
  cov=$(grep -o 'ft: [0-9]*' "$findings.log" | tail -n 1)
  crashes=$(find "$findings" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  hangs=$(find "$findings" -maxdepth 1 -type f \( -name 'timeout-*' -o -name 'slow-unit-*' \) | wc -l)
  echo "$target: ${execs:-0} execs in ${elapsed} s, $(find "$corpus" -type f | wc -l) corpus entries, $crashes crashes, $hangs hangs (features ${cov#ft: }, libfuzzer)"
  if [ "$rc" -ne 0 ] || [ -z "$execs" ] || [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    echo "$target: libFuzzer exited with $rc; its log:" >&2
    grep -v -E '^#[0-9]+\s' "$findings.log" | tail -n 60 >&2
    return 1
  fi
}

# No UI, no CPU pinning (shared machine), dotnet's start-up is slow for the fork server handshake, the
# instrumentation lives in the .NET assemblies, not in the dotnet binary afl-fuzz is given.
fuzz_afl() {
  local target=$1 seconds=$2 execs_limit=$3 seeds=$4 findings=$5 rc=0
  rm -rf "$findings"
  local limit=()
  [ -n "$execs_limit" ] && limit=(-E "$execs_limit")
  AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_GCHeapHardLimit=0x40000000 \
    timeout -k 10 $((seconds + 120)) afl-fuzz -i "$seeds" -o "$findings" -t 30000 -m none -s 16 -V "$seconds" "${limit[@]}" "${dict[@]}" \
      -- dotnet "$out/bin/Kcptun.Fuzz.dll" "$target" >"$findings.log" 2>&1 || rc=$?
  local stats="$findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$target: afl-fuzz did not run (rc $rc); its log:" >&2; tail -n 30 "$findings.log" >&2; return 1
  fi
  local execs paths edges runtime crashes hangs
  execs=$(awk -F: '$1 ~ /^execs_done/ { gsub(/ /, "", $2); print $2 }' "$stats")
  paths=$(awk -F: '$1 ~ /^corpus_count/ { gsub(/ /, "", $2); print $2 }' "$stats")
  edges=$(awk -F: '$1 ~ /^edges_found/ { gsub(/ /, "", $2); print $2 }' "$stats")
  runtime=$(awk -F: '$1 ~ /^run_time/ { gsub(/ /, "", $2); print $2 }' "$stats")
  crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  echo "$target: ${execs:-0} execs in ${runtime:-$seconds} s, ${paths:-0} corpus entries, $crashes crashes, $hangs hangs (edges: ${edges:-0}, afl)"
  if [ "$rc" -ne 0 ]; then
    # The persistent server is the "child": a hang that afl-fuzz's timeout kills takes the fork server with it.
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

# selftest: the planted-bug targets must come out as findings (a crash, a hang), or a broken harness would pass CI.
selftest() {
  local kind ok=0
  [ "$engine" = libfuzzer ] || return 0
  for kind in crash hang; do
    mkdir -p "$out/seeds/selftest-$kind" && printf '%s-planted' "${kind^^}" >"$out/seeds/selftest-$kind/planted"
    if fuzz_one "selftest-$kind" 60 >/dev/null 2>&1; then
      echo "fuzz: selftest-$kind was not reported as a finding: the harness is broken" >&2; ok=1
    elif [ "$(find "$out/findings/selftest-$kind" -maxdepth 1 -name "$([ $kind = crash ] && echo crash || echo timeout)-*" | wc -l)" -ne 1 ]; then
      echo "fuzz: selftest-$kind failed without its $kind artifact; log:" >&2; tail -n 20 "$out/findings/selftest-$kind.log" >&2; ok=1
    fi
  done
  return $ok
}

case $1 in
  replay)
    shift; build; dotnet "$out/publish/Kcptun.Fuzz.dll" "$@" ;;
  all|--ci)
    seconds=$2 execs_limit=${3:-} failed=0
    build
    [ "$1" = all ] || selftest || failed=$((failed + 1))
    for target in $(targets); do fuzz_one "$target" "$seconds" "$execs_limit" || failed=$((failed + 1)); done
    echo "fuzz: $(targets | wc -l) targets, $failed with findings"
    [ "$failed" -eq 0 ] || exit 1 ;;
  *)
    build; fuzz_one "$1" "$2" "${3:-}" ;;
esac
