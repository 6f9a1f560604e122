#!/usr/bin/env bash
# Paired runs of two builds on the same generated night (BENCHMARKS.md: on
# the project machine only figures from the same minutes compare).
#
#   bench/compare.sh OLD_BIN NEW_BIN [PAIRS] [CLAIMS] [PAYMENTS] [CREDITORS]
#
# Generates the night once with NEW_BIN (STATE=N first commits an untimed
# night admitting about N claims, as in nightly.sh; issue 5's night is
# `STATE=1050000 bench/compare.sh OLD NEW 3 200000 1000000 20`), then runs
# OLD and NEW alternately, PAIRS times (default 3), each on a fresh copy of
# the data directory, and prints each run's wall time, user + system CPU
# and peak RSS (KiB). Last it says whether the two builds wrote the same
# run.json (which holds every output's SHA-256) and state files.
# THREADS=1 runs single-threaded; INKASSO_TIMINGS=1 adds the steps.
# SMOKE=1 uses 1 000 claims and one pair (CI runs it on the debug build
# against itself).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bench/compare.sh OLD_BIN NEW_BIN [PAIRS] [CLAIMS] [PAYMENTS] [CREDITORS]" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench/compare.sh needs GNU time (/usr/bin/time; Debian package \"time\")" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
pairs=${3:-3}
claims=${4:-200000}
payments=${5:-1000000}
creditors=${6:-20}
state=${STATE:-0}
if [ "${SMOKE:-}" = 1 ]; then
  pairs=1; claims=1000; payments=1000; creditors=3; state=500
fi
if [ -n "${THREADS:-}" ]; then
  export RAYON_NUM_THREADS=$THREADS POLARS_MAX_THREADS=$THREADS
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
template="$work/template"
source "$(dirname "$0")/night.sh"
generate_night "$new" "$template" "$claims" "$payments" "$creditors" "$state"
echo "== $pairs pair(s): $claims claims, $payments payments, $creditors creditors, state $state, night $date"

# Runs build $2 (named $1) on a fresh copy of the template in $work/$1 and
# prints one line: name, wall, user + sys, peak RSS.
run() {
  local name=$1 bin=$2 dir="$work/$1" log="$work/$1.time"
  rm -rf "$dir"
  cp -a "$template" "$dir"
  sync
  /usr/bin/time -v "$bin" run --data "$dir" --date "$date" >/dev/null 2>"$log"
  grep -E '^  [a-z][a-z +.]* +[0-9.]+ s' "$log" || true
  awk -v name="$name" -F': ' '
    /Elapsed/ { wall = $2 } /User time/ { user = $2 } /System time/ { sys = $2 }
    /Maximum resident/ { rss = $2 }
    END { printf "%-4s wall %s  cpu %.2f s  peak %s KiB\n", name, wall, user + sys, rss }' "$log"
}
for _ in $(seq "$pairs"); do
  run old "$old"
  run new "$new"
done

# The same inputs give the same bytes: run.json names every output with its
# SHA-256, so equal run.json and state files mean equal outputs.
fingerprint() { (cd "$work/$1" && sha256sum "out/$date/run.json" "state/$date"/* | sha256sum | cut -c1-16); }
if [ "$(fingerprint old)" = "$(fingerprint new)" ]; then
  echo "outputs: identical (run.json and state files)"
else
  echo "outputs: DIFFERENT (run.json or state files)"
fi
