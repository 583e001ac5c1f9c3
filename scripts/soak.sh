#!/usr/bin/env bash
# The soak of tests/soak.rs, long and optimised: a two-worker lbtop under normal and hostile
# clients at once (slowloris, idle, short bodies, bad chunks, CL+TE, 70 KB heads, 1000 headers,
# clients that never read, resets, half-closes, garbage, partial pipelines), checked for
# cross-user leaks, connection lifetimes against the timeouts, flat RSS, CPU after the load, a
# last GET and a clean SIGTERM. Prints the soak's summary; the whole output stays in a log.
#   scripts/soak.sh              # 600 s
#   scripts/soak.sh 120          # two minutes
#   SOAK_SEED=123 SOAK_SKIP=cl-short-close scripts/soak.sh 60   # replay choices, leave a kind out
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac
log="$(mktemp -t lbtop-soak.XXXXXX.log)"
echo "soak: building (release) and running for ${secs} s; full output in $log" >&2
status=0
SOAK_SECS="$secs" RUST_BACKTRACE=0 cargo test --release --test soak -- --nocapture --test-threads 1 \
  >"$log" 2>&1 || status=$?
# The summary the test prints, and its verdict.
# (The test's name may precede the first line on the same line.)
sed -n -e 's/^.*\(soak: [0-9]*s of load\)/\1/p' -e '/^===== soak summary/,/^$/p' -e '/^test result:/p' "$log"
if [ "$status" -ne 0 ]; then
  grep -q '^===== soak summary' "$log" || tail -n 40 "$log"
  echo "soak FAILED (exit $status); full output: $log" >&2
else
  echo "soak passed; full output: $log" >&2
fi
exit "$status"
