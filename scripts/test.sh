#!/usr/bin/env bash
# Every check of the project, from a fresh machine: installs what it needs, then runs the lints,
# the Rust tests and the Python tests. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-test

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    exit 2
fi
if command -v rustup >/dev/null; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
bash scripts/system-deps.sh
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r scripts/test-requirements.txt
export PATH="$PWD/$VENV/bin:$PATH"
export PYTHON="$PWD/$VENV/bin/python"

step "cargo fmt"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --features python -- -D warnings
step "cargo test"
cargo test --quiet 2>&1 | tail -n 40

step "build and install the wheel"
rm -rf target/wheels
maturin build --release --quiet --out target/wheels
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps target/wheels/wheelhook-*.whl

step "ruff"
ruff check hook tests examples bench
ruff format --check hook tests examples bench
step "mypy"
mypy --strict hook/wheelhook
step "stubtest"
(cd /tmp && "$PYTHON" -m mypy.stubtest wheelhook._native)

step "pytest"
pytest -q "$@"

step "benchmark smoke (bench/run.py --quick: runs every figure once, asserts nothing)"
"$PYTHON" bench/run.py --quick --wheel target/wheels/wheelhook-*.whl
