#!/usr/bin/env bash
# Which keyword blocks each config of tests/configs/ (and its sub-folders) that `lbtop check`
# refuses, and how many configs each keyword blocks: the first error lbtop prints for a file
# names its blocker. Also says how many of them `haproxy -c` accepts, when it is installed.
#
#   scripts/corpus-status.sh              # table per file, then counts per keyword
#   scripts/corpus-status.sh --expected   # routing/ only, as lines for routing/EXPECTED
#
# Uses target/debug/lbtop (built with `cargo build` if missing), or $LBTOP. The files run in a
# copy of the tree with the certificates their `crt` lines name written by openssl, as the
# test (tests/config_corpus.rs) writes them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lbtop=${LBTOP:-$root/target/debug/lbtop}
if [[ ! -x $lbtop ]]; then
    (cd "$root" && cargo build --quiet --bin lbtop)
fi
mode=${1:-table}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/configs/." "$work/"
mkdir -p "$work/routing/certs"
for name in localhost other; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=$name.test" -days 2 -keyout "$work/key.pem" -out "$work/crt.pem" 2>/dev/null
    cat "$work/crt.pem" "$work/key.pem" >"$work/routing/certs/$name.pem"
done
rm -f "$work/key.pem" "$work/crt.pem"

# The environment the corpus files expand (as ENV in tests/config_corpus.rs).
export PORT=18080 APP_PORT=18081 BACKEND_HOST=127.0.0.1 MAXCONN=1000

# The blocking keyword named by one error line of `lbtop check`.
keyword_of() {
    local line=$1
    if [[ $line =~ bind\ option\ \'([^\']+)\' ]]; then
        echo "bind ${BASH_REMATCH[1]}"
    elif [[ $line =~ \'([^\']+)\'\ sections\ are\ not\ supported ]]; then
        echo "${BASH_REMATCH[1]}"
    elif [[ $line =~ \'([^\']+)\'\ is\ not\ supported ]]; then
        echo "${BASH_REMATCH[1]}"
    elif [[ $line =~ (option|parameter|keyword)\ \'([^\']+)\' ]]; then
        echo "${BASH_REMATCH[2]}"
    else
        echo "other: ${line#*: }"
    fi
}

total=0
accepted=0
haproxy_ok=0
have_haproxy=$(command -v haproxy >/dev/null && echo yes || echo no)
declare -A blocks
folders=("$work" "$work/routing")
[[ $mode == --expected ]] && folders=("$work/routing")
for folder in "${folders[@]}"; do
    prefix=${folder#"$work"}
    prefix=${prefix#/}
    for cfg in "$folder"/*.cfg; do
        file=$(basename "$cfg")
        shown=${prefix:+$prefix/}$file
        total=$((total + 1))
        if [[ $have_haproxy == yes ]] && (cd "$folder" && haproxy -c -f "$file" >/dev/null 2>&1); then
            haproxy_ok=$((haproxy_ok + 1))
        fi
        errors=$(cd "$folder" && "$lbtop" check --config "$file" 2>&1 >/dev/null |
            grep -v ': warning: ' | grep -v '^lbtop: ' || true)
        if [[ -z $errors ]]; then
            accepted=$((accepted + 1))
            if [[ $mode == --expected ]]; then
                printf '%-32s accepted\n' "$file"
            else
                printf '%-44s accepted\n' "$shown"
            fi
            continue
        fi
        kw=$(keyword_of "$(head -n 1 <<<"$errors")")
        blocks[$kw]=$((${blocks[$kw]:-0} + 1))
        if [[ $mode == --expected ]]; then
            printf '%-32s refused: %s\n' "$file" "$kw"
        else
            printf '%-44s refused: %s\n' "$shown" "$kw"
        fi
    done
done

[[ $mode == --expected ]] && exit 0
echo
echo "haproxy -c accepts $haproxy_ok of $total (haproxy installed: $have_haproxy); lbtop accepts $accepted of $total"
echo
echo "configs blocked, per keyword (first error of each file):"
for kw in "${!blocks[@]}"; do
    printf '%5d  %s\n' "${blocks[$kw]}" "$kw"
done | sort -rn -k1,1 -k2
