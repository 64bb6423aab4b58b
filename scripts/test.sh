#!/usr/bin/env bash
# Every check of the project, from a fresh machine: installs what it needs (exactly the versions
# and hashes pinned in scripts/lock/), runs the lints and the Rust tests, builds the one abi3
# wheel, then runs the Python test suite under every supported CPython it finds, and ends with one
# summary line per interpreter. Exits non-zero when any check or any interpreter fails.
#
# Usage: bash scripts/test.sh [PYTEST ARGS...]
#   WHEELHOOK_TEST_PYTHONS="3.9 3.12"  the interpreters of the matrix (default: 3.9 to 3.14);
#                                      each is `python3.X` on PATH or under pyenv, or a path
#   WHEELHOOK_TEST_JOBS=N              interpreters tested at once (default: 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
VENV=.venv-test
MATRIX=${WHEELHOOK_TEST_PYTHONS:-3.9 3.10 3.11 3.12 3.13 3.14}
JOBS=${WHEELHOOK_TEST_JOBS:-2}
LOGS=target/test-logs
# Never fetch an interpreter: the matrix is what this machine has.
export UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1 PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    exit 2
fi
if command -v rustup >/dev/null; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "the lint and build tools need Python 3.10+ ($PY is older or missing): set PYTHON" >&2
    exit 2
fi
bash scripts/system-deps.sh
# The tools' environment is exactly scripts/lock/tools.txt: pip bootstraps uv from the lock
# (hash-checked), and uv removes whatever else an older run left there.
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r scripts/lock/tools.txt
"$VENV/bin/uv" pip sync -q --require-hashes --python "$VENV/bin/python" scripts/lock/tools.txt
export PATH="$PWD/$VENV/bin:$PATH"
export PYTHON="$PWD/$VENV/bin/python"

step "cargo fmt"
cargo fmt --all -- --check
step "layers (scripts/layers.py) and function lengths (scripts/long_functions.py)"
"$PYTHON" scripts/layers.py
"$PYTHON" scripts/long_functions.py
step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets --features python -- -D warnings
step "cargo test"
cargo test --locked --quiet 2>&1 | tail -n 40
step "fuzz targets compile (run by fuzz/run.sh)"
cargo check --locked --quiet --manifest-path fuzz/Cargo.toml

step "build the wheel (abi3: one wheel for every interpreter)"
rm -rf target/wheels
maturin build --locked --release --quiet --out target/wheels
WHEEL=$(ls target/wheels/wheelhook-*.whl)
"$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps --reinstall "$WHEEL"

step "ruff"
ruff check hook tests examples bench
ruff format --check hook tests examples bench
step "mypy"
mypy --strict hook/wheelhook
step "stubtest"
(cd /tmp && "$PYTHON" -m mypy.stubtest wheelhook._native)

# -- the interpreter matrix -------------------------------------------------------------------

find_python() {  # VERSION-or-PATH -> the interpreter's path, or nothing
    local want=$1 candidate
    if [[ $want == */* ]]; then
        [ -x "$want" ] && echo "$want"
        return 0
    fi
    for candidate in "$(command -v "python$want" 2>/dev/null || true)" \
        $(ls -d "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/$want".*/bin/python3 2>/dev/null | sort -V -r) \
        "/usr/bin/python$want" "/usr/local/bin/python$want"; do
        # pyenv's shims exist for versions that are not selected: ask the interpreter itself.
        if [ -n "$candidate" ] && [ -x "$candidate" ] &&
            "$candidate" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$want')" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
}

prepare() {  # VERSION PYTHON -> a venv with exactly scripts/lock/pytest.txt and the wheel
    local venv=$ROOT/.venv-test-$1
    "$VENV/bin/uv" venv -q --allow-existing --python "$2" "$venv"
    "$VENV/bin/uv" pip sync -q --require-hashes --python "$venv/bin/python" scripts/lock/pytest.txt
    "$VENV/bin/uv" pip install -q --python "$venv/bin/python" --no-deps --reinstall "$WHEEL"
}

run_one() {  # VERSION PYTHON [PYTEST ARGS...]: the suite under one interpreter, logged
    local version=$1 python=$2 log=$LOGS/pytest-$1.log start=$SECONDS
    shift 2
    set +e  # a background job: its status goes to the log, not to errexit
    {
        echo "== pytest on $("$python" -c 'import sys; print(sys.version.split()[0])') ($python)"
        if prepare "$version" "$python"; then
            "$ROOT/.venv-test-$version/bin/python" -m pytest -q -p no:cacheprovider \
                --basetemp="$ROOT/target/pytest-tmp/$version" "$@"
        else
            echo "could not set up the environment for $python"
            false
        fi
    } >"$log" 2>&1
    local status=$?
    echo "$status $((SECONDS - start))" >"$log.status"
}

step "pytest under every supported CPython (${JOBS} at a time; logs in $LOGS/)"
rm -rf "$LOGS" target/pytest-tmp
mkdir -p "$LOGS" target/pytest-tmp
found=()
missing=()
declare -A where
for entry in $MATRIX; do
    python=$(find_python "$entry")
    if [ -n "$python" ]; then
        # Named by the interpreter's own X.Y (an entry may be a path): venvs and logs use it.
        version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        [ -n "${where[$version]:-}" ] && continue
        found+=("$version")
        where[$version]=$python
        echo "$version: $python"
    else
        missing+=("$entry")
        echo "$entry: not found (no python$entry on PATH, under pyenv or in /usr/bin)"
    fi
done
if [ ${#found[@]} -eq 0 ]; then
    echo "no interpreter of the matrix was found: nothing was tested" >&2
    exit 2
fi
running=0
for version in "${found[@]}"; do
    run_one "$version" "${where[$version]}" "$@" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=0
summary=()
totals=(0 0 0)  # passed failed skipped, over the matrix
for version in "${found[@]}"; do
    log=$LOGS/pytest-$version.log
    read -r status took <"$log.status"
    cat "$log"
    last=$(grep -E '(passed|failed|error|no tests ran)' "$log" | tail -n 1 | sed -e 's/=//g' -e 's/^ *//' -e 's/ *$//')
    for i in 0 1 2; do
        word=(passed failed skipped)
        n=$(grep -oE "[0-9]+ ${word[$i]}" <<<"$last" | grep -oE '[0-9]+' || true)
        totals[i]=$((totals[i] + ${n:-0}))
    done
    if [ "$status" != 0 ] && ! grep -qE '[0-9]+ failed' <<<"$last"; then
        totals[1]=$((totals[1] + 1))  # it failed before pytest could count
    fi
    if [ "$status" = 0 ]; then
        summary+=("$(printf 'python %-6s ok    %s (%ss with set-up)' "$version" "${last:-?}" "$took")")
    else
        failed=1
        summary+=("$(printf 'python %-6s FAIL  %s (exit %s; log: %s)' "$version" "${last:-no summary}" "$status" "$log")")
    fi
done
for entry in ${missing[@]+"${missing[@]}"}; do
    summary+=("$(printf 'python %-6s not found: not tested' "$entry")")
done

step "benchmark smoke (bench/run.py --quick: runs every figure once, asserts nothing)"
"$PYTHON" bench/run.py --quick --wheel "$WHEEL"

step "summary: the Python test suite per interpreter"
printf '%s\n' "${summary[@]}"
echo "matrix: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped"
exit "$failed"
