#!/usr/bin/env bash
# lbtop against HAProxy on this machine, side by side: see bench/bench.py --help.
#   bench/run.sh                                  # everything, 7 rounds of 5 s per layout
#   bench/run.sh --rounds 3 --duration 3 --scenarios l7,cpu --layouts pinned
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for tool in wrk haproxy nginx taskset openssl; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=()
  for t in "${need[@]}"; do
    case "$t" in nginx) pkgs+=(nginx-light) ;; taskset) pkgs+=(util-linux) ;; *) pkgs+=("$t") ;; esac
  done
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"
fi
# oha gives a latency-corrected p99 at a fixed rate; without it the bench says so and uses wrk.
command -v oha >/dev/null || [ -x "$HOME/.cargo/bin/oha" ] || timeout 900 cargo install oha --locked || true
cargo build --release
exec python3 bench/bench.py "$@"
