#!/usr/bin/env bash
# Rebuilds the extension and reinstalls it into .venv-test (for iterating on the Python tests).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv-test/bin/maturin build --release --quiet --out target/wheels
.venv-test/bin/python -m pip install -q --force-reinstall --no-deps target/wheels/wheelhook-*.whl
