# Sourced by nightly.sh and compare.sh: generates the night to time.
#
#   generate_night BIN DIR CLAIMS PAYMENTS CREDITORS STATE
#
# Writes a data directory DIR with `BIN gen`. STATE > 0 first commits an
# untimed night 2025-01-10 admitting about STATE claims (receivables rows,
# no payments) and puts the next night's files in the inbox. Sets `date` to
# the night to time.
generate_night() {
  local bin=$1 dir=$2 claims=$3 payments=$4 creditors=$5 state=$6
  date=2025-01-10
  if [ "$state" -gt 0 ]; then
    "$bin" gen --out "$dir" --claims "$claims" --payments "$payments" --creditors "$creditors" --seed 1 \
      --date "$date" --first-claims "$state" --first-payments 0 --days 2 --no-pdf >/dev/null
    echo "== untimed night $date: $state receivables rows, no payments ($dir)"
    "$bin" run --data "$dir" --date "$date" >/dev/null
    date=2025-01-11
    cp "$dir/days/$date"/* "$dir/inbox/"
  else
    "$bin" gen --out "$dir" --claims "$claims" --payments "$payments" --creditors "$creditors" --seed 1 \
      --date "$date" --no-pdf >/dev/null
  fi
}
