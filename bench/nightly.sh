#!/usr/bin/env bash
# Times a whole nightly run on generated data (BENCHMARKS.md).
#
#   bench/nightly.sh [CLAIMS] [PAYMENTS] [CREDITORS]
#
# Generates a data directory with `inkasso gen`, runs the night with
# /usr/bin/time -v (wall time, CPU time, peak RSS), with PDFs deferred
# ([letters] render_pdf = false) and then `inkasso letters` for the same day.
#
# STATE=N first runs an untimed night that admits about N claims (N
# receivables rows, no payments), so that the timed night finds them open in
# the state: issue 5's night is `STATE=1050000 bench/nightly.sh 200000 1000000`
# (1 000 000 open claims, 200 000 new invoices, 1 000 000 payments).
# SMOKE=1 uses a debug build and 1 000 claims (CI keeps it working without
# asserting a time). THREADS=1 runs single-threaded (RAYON_NUM_THREADS and
# POLARS_MAX_THREADS). INKASSO_TIMINGS=1 adds each step's wall and CPU time and resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
claims=${1:-200000}
payments=${2:-1000000}
creditors=${3:-20}
state=${STATE:-0}
profile=--release
bin_dir=release
if [ "${SMOKE:-}" = 1 ]; then
  claims=1000; payments=1000; creditors=3; state=500; profile=; bin_dir=debug
fi
if [ -n "${THREADS:-}" ]; then
  export RAYON_NUM_THREADS=$THREADS POLARS_MAX_THREADS=$THREADS
fi
target=${CARGO_TARGET_DIR:-target}
cargo build -q $profile
bin="$target/$bin_dir/inkasso"
dir=$(mktemp -d)/data
source bench/night.sh
generate_night "$bin" "$dir" "$claims" "$payments" "$creditors" "$state"
timer() { if [ -x /usr/bin/time ]; then /usr/bin/time -v "$@"; else "$@"; fi; }
echo "== inkasso run $date: $claims claims, $payments payments, $creditors creditors ($dir)"
timer "$bin" run --data "$dir" --date "$date" 2> >(grep -E 'Elapsed|User time|System time|Maximum resident|^  [a-z][a-z +.]* +[0-9.]+ s' >&2)
echo "== inkasso letters"
timer "$bin" letters --data "$dir" --date "$date" 2> >(grep -E 'Elapsed|User time|System time|Maximum resident' >&2)
