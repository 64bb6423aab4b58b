#!/usr/bin/env bash
# The demo, from a fresh machine: two versions of six side by side in one environment.
# six 1.16.0 is installed normally; the six 1.15.0 wheel is dropped into site-packages;
# two programs each import their own version. Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-demo

echo "== a fresh virtual environment with wheelhook"
bash scripts/system-deps.sh
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r scripts/lock/build.txt
"$VENV/bin/maturin" build --release --quiet --out target/wheels
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps target/wheels/wheelhook-*.whl

echo "== six 1.16.0 installed normally, the six 1.15.0 wheel fetched and dropped"
"$VENV/bin/python" -m pip install -q six==1.16.0
mkdir -p .cache/demo
"$VENV/bin/python" -m pip download -q --no-deps --only-binary=:all: -d .cache/demo six==1.15.0
"$VENV/bin/python" -m wheelhook drop .cache/demo/six-1.15.0-py2.py3-none-any.whl
"$VENV/bin/python" -m wheelhook list six

echo "== examples/six_pinned.py (__requires__ = [\"six==1.15.0\"])"
"$VENV/bin/python" examples/six_pinned.py
echo "== examples/six_plain.py (no requirement)"
"$VENV/bin/python" examples/six_plain.py
