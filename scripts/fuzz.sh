#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a given time.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET is one of:
#   wire    WireCodec.decode on arbitrary bytes; decoded messages must re-encode and round-trip
#   server  SignalingServer fed arbitrary sequences of socket opens/closes and messages
#   loader  ScenarioLoader on arbitrary bytes (every input: a scenario or problems, never a trap)
#   envelope  EnvelopeCodec.decode and EnvelopeReassembler on arbitrary bytes (the binary data format)
#
# Each target is compiled with `swiftc -sanitize=fuzzer,address` from the package's sources plus
# Fuzz/Targets/<Target>.swift into .build/fuzz/. The committed seed corpus Fuzz/Corpus/<target>/
# is read but never written; new inputs go to .build/fuzz/corpus-<target>/, crashes to
# .build/fuzz/crashes-<target>/; Fuzz/<target>.dict, if present, is the libFuzzer dictionary.
# Exit status: libFuzzer's (0 if no crash in the time given). To replay a crash:
#   .build/fuzz/fuzz-<target> .build/fuzz/crashes-<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:?usage: scripts/fuzz.sh wire|server|loader|envelope SECONDS [libFuzzer options...]}"
seconds="${2:?usage: scripts/fuzz.sh wire|server|loader|envelope SECONDS [libFuzzer options...]}"
shift 2

out=.build/fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 5 -enforce-exclusivity=checked)

# SignalProtocol as its own instrumented module, as in the package.
build_signal_protocol() {
  local stamp="$out/SignalProtocol.stamp"
  local newest
  newest=$(find Sources/SignalProtocol -name '*.swift' -newer "$stamp" 2>/dev/null | head -1 || true)
  if [[ -f "$stamp" && -z "$newest" && -f "$out/libSignalProtocol.a" ]]; then return; fi
  echo "fuzz.sh: building SignalProtocol (instrumented)" >&2
  # shellcheck disable=SC2046
  swiftc "${flags[@]}" -module-name SignalProtocol -emit-module -emit-module-path "$out/SignalProtocol.swiftmodule" \
    -emit-library -static -o "$out/libSignalProtocol.a" $(find Sources/SignalProtocol -name '*.swift' | sort)
  touch "$stamp"
}

build_signal_protocol
case "$target" in
  wire)
    sources=(Fuzz/Targets/WireCodec.swift) ;;
  server)
    sources=(Fuzz/Targets/Server.swift) ;;
  envelope)
    sources=(Fuzz/Targets/Envelope.swift) ;;
  loader)
    # The loader lives in the MeshSimKit library: compile its sources into one module with the
    # target (a library has no entry point, so libFuzzer's `main` is the program's).
    mapfile -t sources < <(find Sources/MeshSimKit -name '*.swift' | sort)
    sources+=(Fuzz/Targets/Loader.swift) ;;
  *)
    echo "fuzz.sh: unknown target '$target' (wire, server, loader or envelope)" >&2; exit 2 ;;
esac

binary="$out/fuzz-$target"
echo "fuzz.sh: building $binary" >&2
swiftc "${flags[@]}" -module-name "Fuzz_$target" -I "$out" -L "$out" -lSignalProtocol "${sources[@]}" -o "$binary"

corpus="$out/corpus-$target"
crashes="$out/crashes-$target"
mkdir -p "$corpus" "$crashes"
dict=()
if [[ -f "Fuzz/$target.dict" ]]; then dict=(-dict="Fuzz/$target.dict"); fi
echo "fuzz.sh: running $target for ${seconds}s" >&2
# Static tables LeakSanitizer cannot see through (Fuzz/lsan.supp says why).
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec "$binary" "$corpus" "Fuzz/Corpus/$target" -max_total_time="$seconds" -artifact_prefix="$crashes/" \
  -print_final_stats=1 -max_len=65536 -rss_limit_mb=2048 "${dict[@]}" "$@"
