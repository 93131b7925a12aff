#!/usr/bin/env bash
# Runs the whole test suite again at instants that have broken scheduling software before, under
# libfaketime (Debian's `faketime` package): every process the suite starts (vitest's workers, the
# built CLI, PostgreSQL, pg_dump) sees the same shifted wall clock, which then runs on normally.
# Usage: scripts/test-at-instants.sh [ISO-instant …]   (default: the instants below)
set -euo pipefail
cd "$(dirname "$0")/.."

# Fixed instants, some before the day this was written and some after: the database server keeps
# the real clock (src/infra/db/throwaway-postgres.ts), so both ways of disagreeing with it are run.
# Two runs, not more: each is a whole suite (about 7 minutes now), and .ci/run must stay well under
# 30 minutes. Each instant carries several traps at once.
default_instants=(
  2028-02-28T18:40:00Z # Tuesday 29 February 2028 00:10 IST: a leap day just begun, the UTC date still 28 February's
  2028-12-31T18:20:00Z # Sunday 31 December 2028 23:50 IST: quiet hours, the clinic closed, the week and the year about to turn
)
instants=("${@:-${default_instants[@]}}")

if ! command -v faketime > /dev/null; then
  echo "test-at-instants: libfaketime is missing (apt-get install faketime)" >&2
  exit 1
fi

status=0
for instant in "${instants[@]}"; do
  offset=$(($(date -d "$instant" +%s) - $(date +%s)))
  printf '\n==> the suite at %s (clock shifted by %+d s)\n' "$instant" "$offset"
  # Monotonic clocks stay real: timers and timeouts measure real time.
  if ! FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$(printf '%+d' "$offset")" npx vitest run; then
    echo "test-at-instants: the suite failed at $instant" >&2
    status=1
  fi
done
exit $status
