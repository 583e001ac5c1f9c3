#!/usr/bin/env bash
# The zero-loss proof, long form: a steady mix of keep-alive and new-connection requests while
# lbtop is reloaded by signal (SIGHUP, SIGUSR2 in turn) and upgraded to new processes (-sf, then
# -sf -x), then while HAProxy 2.6 is upgraded the same way (-sf on SO_REUSEPORT, then -sf -x
# through `expose-fd listeners`). Prints sent, answered and lost for each phase, and fails if
# lbtop lost a request. The short form runs in CI: tests/zero_loss.rs.
#
#   bench/reload_loss.sh                                   # 20 reloads, 10 upgrades, 60 s
#   bench/reload_loss.sh --reloads 20 --upgrades 10 --seconds 120
#   bench/reload_loss.sh --keep-alive 8 --new-conn 8 --pause-ms 1 --only haproxy
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  echo "options: --reloads N (20) --upgrades N (10, half -sf, half -sf -x) --seconds N (60)"
  echo "         --keep-alive N (4) --new-conn N (4) clients, --pause-ms N (0) between requests"
  echo "         --only lbtop|haproxy"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --reloads) export ZL_RELOADS="$2"; shift 2 ;;
    --upgrades) export ZL_UPGRADES="$2"; shift 2 ;;
    --seconds) export ZL_SECONDS="$2"; shift 2 ;;
    --keep-alive) export ZL_KEEPALIVE="$2"; shift 2 ;;
    --new-conn) export ZL_NEWCONN="$2"; shift 2 ;;
    --pause-ms) export ZL_PAUSE_MS="$2"; shift 2 ;;
    --only) export ZL_ONLY="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! command -v haproxy >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy
fi
haproxy -v | sed -n 1p
exec cargo test --release --locked --test zero_loss long_form -- --ignored --nocapture
