#!/usr/bin/env bash
# Long differential HTTP/1 fuzzing of lbtop against real HAProxy 2.6 (tests/h1_differential.rs).
#
#   scripts/h1-fuzz.sh [cases] [seed]        e.g. scripts/h1-fuzz.sh 100000 7
#
# Defaults: 20000 cases, a seed from the clock (printed, so a run can be repeated). Other knobs
# pass through the environment: H1DIFF_LANES (proxy pairs per variant, default 2 here),
# H1DIFF_VARIANTS (ka,sc,hostile), H1DIFF_IGNORE (class prefixes that do not fail),
# H1DIFF_MAX_SECS (default: a day), H1DIFF_MIN_SECS (minimising, default 120 here).
# One case again, in full:  H1DIFF_SEED=<seed> H1DIFF_ONLY=<id> scripts/h1-fuzz.sh
# The report (every class, its count and a minimised example) is printed and written to
# target/h1diff-report-<seed>.txt. Exit status: 0 when no divergence, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${1:-20000}"
seed="${2:-${H1DIFF_SEED:-$(date +%s)}}"
export H1DIFF_CASES="$cases"
export H1DIFF_SEED="$seed"
export H1DIFF_LANES="${H1DIFF_LANES:-2}"
export H1DIFF_MAX_SECS="${H1DIFF_MAX_SECS:-86400}"
export H1DIFF_MIN_SECS="${H1DIFF_MIN_SECS:-120}"
export H1DIFF_REPORT="${H1DIFF_REPORT:-$PWD/target/h1diff-report-$seed.txt}"
echo "h1-fuzz: $cases cases, seed $seed, $H1DIFF_LANES lanes per variant; report: $H1DIFF_REPORT" >&2
exec cargo test --release --test h1_differential -- --nocapture --test-threads 1
