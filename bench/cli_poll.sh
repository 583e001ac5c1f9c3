#!/usr/bin/env bash
# What polling `show stat` every 250 ms costs lbtop's data path (1,000 servers): see
# bench/cli_poll.py --help. Needs wrk, nginx, haproxy, taskset (bench/run.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
exec python3 bench/cli_poll.py "$@"
