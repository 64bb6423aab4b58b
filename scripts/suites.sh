#!/usr/bin/env bash
# Every real test suite of tests/python/suite_packages.py (the slow ones too), each run from a
# dropped wheel and from a normal install and compared node by node, under each interpreter given
# (default: the test venv's). Needs the test venv and the built wheel: run scripts/test.sh first.
# Usage: bash scripts/suites.sh [PYTHON...]
#   e.g. bash scripts/suites.sh "$(pyenv root)"/versions/3.9.18/bin/python3 python3.13
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-test
if [ ! -x "$VENV/bin/pytest" ] || ! ls target/wheels/wheelhook-*.whl >/dev/null 2>&1; then
    echo "no test venv or built wheel: run scripts/test.sh first" >&2
    exit 2
fi
[ $# -gt 0 ] || set -- "$PWD/$VENV/bin/python"
status=0
for python in "$@"; do
    printf '\n== %s\n' "$python"
    SUITES_PYTHON="$python" "$VENV/bin/pytest" -q tests/python/test_suites.py \
        -m "suites or not suites" || status=1
done
exit $status
