#!/usr/bin/env bash
# What light application traffic costs (issue 19: "the 100-peer join with light all-to-all
# traffic (one 1 KiB message per pair per second) costs at most 2x a plain run"):
# Scenarios/100-peers-join.json against scripts/bench/100-peers-join-traffic.json (the same
# file with `traffic` added), each run RUNS times (default 3), the two alternating, and the
# median wall times and their ratio printed. With --callgrind, also each run's instruction
# count under valgrind's callgrind and their ratio (valgrind installed with apt-get if missing).
#
# Builds nothing: run `swift build -c release` first (or pass --binary PATH).
# Usage: scripts/traffic-cost.sh [--callgrind] [--binary PATH] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/MeshSim
callgrind=false
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --callgrind) callgrind=true ;;
        --binary|--runs)
            if [ $# -lt 2 ]; then echo "traffic-cost.sh: $1 needs a value" >&2; exit 2; fi
            if [ "$1" = --binary ]; then binary="$2"; else runs="$2"; fi
            shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "traffic-cost.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$runs" in ''|*[!0-9]*|0) echo "traffic-cost.sh: --runs needs a positive whole number, got '$runs'" >&2; exit 2 ;; esac
if [ ! -x "$binary" ]; then
    echo "traffic-cost.sh: no binary at $binary (run 'swift build -c release' first)" >&2
    exit 2
fi

plain=Scenarios/100-peers-join.json
traffic=scripts/bench/100-peers-join-traffic.json

# Seconds one run takes, wall clock.
wall() {
    local start end
    start=$(date +%s%N)
    "$binary" scenario "$1" > /dev/null
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 ))" | awk '{ printf "%.3f", $1 / 1000 }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plainTimes=()
trafficTimes=()
for _ in $(seq "$runs"); do
    plainTimes+=("$(wall "$plain")")
    trafficTimes+=("$(wall "$traffic")")
done
p=$(median "${plainTimes[@]}")
t=$(median "${trafficTimes[@]}")
echo "wall, median of $runs (alternating): plain ${p} s (${plainTimes[*]}), traffic ${t} s (${trafficTimes[*]}), ratio $(awk -v a="$t" -v b="$p" 'BEGIN { printf "%.2f", a / b }')"

if $callgrind; then
    if ! command -v valgrind > /dev/null; then
        echo "installing valgrind (apt-get)" >&2
        if [ "$(id -u)" = 0 ]; then apt-get install -y valgrind > /dev/null; else sudo apt-get install -y valgrind > /dev/null; fi
    fi
    instructions() {
        local out
        out=$(mktemp)
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" scenario "$1" 2> "$out" > /dev/null
        grep -o 'Collected : [0-9]*' "$out" | grep -o '[0-9]*$'
        rm -f "$out"
    }
    pi=$(instructions "$plain")
    ti=$(instructions "$traffic")
    echo "instructions (callgrind): plain $pi, traffic $ti, ratio $(awk -v a="$ti" -v b="$pi" 'BEGIN { printf "%.2f", a / b }')"
fi
