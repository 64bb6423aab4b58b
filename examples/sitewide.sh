#!/usr/bin/env bash
# Site-wide activation, step by step, in a scratch venv: six 1.16.0 installed, the 1.15.0 wheel
# dropped, `enable`, programs that never import wheelhook, `disable`.
# Usage: bash examples/sitewide.sh   (needs a built wheel: bash scripts/demo.sh builds one)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-sitewide
"$PY" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install -q --no-deps target/wheels/wheelhook-*.whl six==1.16.0
mkdir -p .cache/demo
"$VENV/bin/python" -m pip download -q --no-deps --only-binary=:all: -d .cache/demo six==1.15.0
"$VENV/bin/python" -m wheelhook drop .cache/demo/six-1.15.0-py2.py3-none-any.whl

echo "== enable: writes wheelhook-activate.pth into the venv's site-packages"
"$VENV/bin/python" -m wheelhook enable
echo "== __requires__ only, no import wheelhook"
"$VENV/bin/python" examples/requires_only.py
echo "== a PEP 723 script, run directly"
"$VENV/bin/python" examples/pep723_script.py
echo "== WHEELHOOK_DISABLE=1 for one run: the installed default"
WHEELHOOK_DISABLE=1 "$VENV/bin/python" examples/requires_only.py
echo "== disable: removes the file, nothing else"
"$VENV/bin/python" -m wheelhook disable
"$VENV/bin/python" examples/six_plain.py
