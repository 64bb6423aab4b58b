#!/usr/bin/env bash
# Runs every fuzz target for a while (default 25 s each) from seed corpora the safety tests
# build, and prints how many inputs each ran clean. Usage: bash fuzz/run.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain (sanitizers) and cargo-fuzz; without nightly it says so and skips.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-25}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(archive wheel_filename dist_info requirement code_pack)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly): skipping"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
fi

PY=${PYTHON:-../.venv-test/bin/python}
[ -x "$PY" ] || PY=python3
if ! "$PY" seeds.py; then
    echo "fuzz: could not generate seed corpora (needs pytest and wheelhook importable); starting empty"
fi

# The sanitizer build has its own flags: keep it apart from the normal build cache.
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}/fuzz
status=0
summary=()
for target in "${TARGETS[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log=$(mktemp)
    if cargo +nightly fuzz run --target-dir "$TARGET_DIR" "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -n 1)
        summary+=("$target: ${runs:-?} executions clean in ${SECONDS_EACH}s")
    else
        tail -n 40 "$log"
        summary+=("$target: FAILED (crash input in fuzz/artifacts/$target/)")
        status=1
    fi
    rm -f "$log"
done
printf 'fuzz: %s\n' "${summary[@]}"
exit $status
