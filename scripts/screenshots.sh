#!/bin/sh
# Regenerates screenshots/*.svg from a real run of the release binary: builds it, then
# examples/screenshots.rs drives it in a private tmux session and converts each captured
# screen to SVG. How it waits, and what to do when a step stops: docs/dashboard.md.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --locked --bin lbtop
exec cargo run --locked --example screenshots -- "${CARGO_TARGET_DIR:-target}/release/lbtop"
