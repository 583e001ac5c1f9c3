#!/usr/bin/env bash
# Coverage-guided fuzzing of lbtop's hand-written parsers with cargo-fuzz (libFuzzer, nightly).
# Installs cargo-fuzz from crates.io if it is missing, builds the targets in fuzz/, then runs
# each target in turn, on one core, for SECONDS (default 300), starting from the kept seeds in
# fuzz/seeds/<target>/ and the working corpus in fuzz/corpus/<target>/ with a keyword
# dictionary from fuzz/dicts/. Prints one summary line per target (executions, exec/s, corpus,
# crashes). A crash, hang (-timeout, 2 s or FUZZ_TIMEOUT) or OOM (-rss_limit_mb=2048) is minimised with
# `cargo fuzz tmin` and copied to fuzz/seeds/<target>/crash-*, which tests/fuzz_seeds.rs
# replays on stable `cargo test` through the same checks (fuzz/checks.rs).
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target ...]
# FUZZ_RUNS=N stops each target after N executions (SECONDS stays the ceiling), so that a
# run can state its count: `FUZZ_RUNS=10000000 scripts/fuzz.sh 7200 h1_chunked`.
# FUZZ_SANITIZER=address runs under ASan (default none: the parsers are safe Rust, and
# debug assertions, on here, already turn overflows into crashes).
set -euo pipefail

cd "$(dirname "$0")/.."
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(h1_request_head h1_chunked h1_response_head config_toml config_haproxy proxy_proto dns_answer client_hello)
fi
sanitizer="${FUZZ_SANITIZER:-none}"
runs=()
[ -z "${FUZZ_RUNS:-}" ] || runs=(-runs="$FUZZ_RUNS")
# A unit slower than this is reported as a hang. Under `nice` beside a build, 2 s can be
# reached by a unit that takes 40 ms alone: raise it there (FUZZ_TIMEOUT=10).
unit_timeout="${FUZZ_TIMEOUT:-2}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

flags=(-s "$sanitizer" -a)
cargo +nightly fuzz build "${flags[@]}"

dict_of() {
    case "$1" in
        config_toml) echo fuzz/dicts/toml.dict ;;
        config_haproxy) echo fuzz/dicts/haproxy.dict ;;
        proxy_proto) echo fuzz/dicts/proxy.dict ;;
        dns_answer) echo fuzz/dicts/dns.dict ;;
        client_hello) echo fuzz/dicts/tls.dict ;;
        *) echo fuzz/dicts/http.dict ;;
    esac
}

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    before=$(ls "fuzz/artifacts/$t" | sort)
    log="$logs/$t.log"
    start=$(date +%s)
    rc=0
    cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -dict="$(dict_of "$t")" -max_total_time="$secs" -rss_limit_mb=2048 -timeout="$unit_timeout" \
        -print_final_stats=1 "${runs[@]}" >"$log" 2>&1 || rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "fuzz/corpus/$t" | wc -l)
    crashes=0
    known=0
    for a in $(comm -13 <(echo "$before") <(ls "fuzz/artifacts/$t" | sort)); do
        case "$a" in crash-* | timeout-* | oom-*) ;; *) continue ;; esac
        # A kept reproducer that still fails stops the run as it starts: not a new crash.
        sum=$(sha1sum <"fuzz/artifacts/$t/$a" | cut -d' ' -f1)
        if sha1sum "fuzz/seeds/$t"/* | grep -q "^$sum "; then
            known=$((known + 1))
            echo "fuzz.sh: $t: a kept seed still fails: $(sha1sum "fuzz/seeds/$t"/* |
                grep "^$sum " | head -1 | cut -d' ' -f3-)" >&2
            continue
        fi
        crashes=$((crashes + 1))
        kept="fuzz/seeds/$t/crash-${a#*-}"
        rm -f fuzz/artifacts/"$t"/minimized-from-*
        cargo +nightly fuzz tmin "${flags[@]}" -r 2000 "$t" "fuzz/artifacts/$t/$a" \
            >>"$log" 2>&1 || true
        small=$(ls -t fuzz/artifacts/"$t"/minimized-from-* 2>/dev/null | head -1 || true)
        cp "${small:-fuzz/artifacts/$t/$a}" "$kept"
        echo "fuzz.sh: $t: $a kept as $kept (log: $log)" >&2
    done
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && [ "$known" -eq 0 ]; then
        echo "fuzz.sh: $t: libFuzzer exited $rc without an artifact; see $log" >&2
        failed=1
    fi
    [ "$crashes" -eq 0 ] && [ "$known" -eq 0 ] || failed=1
    summary+=("$(printf '%-17s execs=%-10s time=%4ss exec/s=%-7s corpus=%-6s crashes=%s%s' \
        "$t" "${execs:-?}" "$took" "${rate:-?}" "$corpus" "$crashes" \
        "$([ "$known" -eq 0 ] || echo " (+$known kept reproducer still failing: fix it first)")")")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
