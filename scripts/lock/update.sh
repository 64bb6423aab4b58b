#!/usr/bin/env bash
# Re-pins everything the test command installs: compiles scripts/lock/*.in into *.txt with exact
# versions and sha256 hashes (uv's universal resolution, so one file serves every interpreter and
# platform). Run it on purpose, read the diff, run `bash scripts/test.sh`, commit.
# Usage: bash scripts/lock/update.sh
set -euo pipefail
cd "$(dirname "$0")"
UV_VERSION=0.13.9
PY=${PYTHON:-python3}
TOOL=../../.venv-lock
if ! "$TOOL/bin/uv" --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
    rm -rf "$TOOL"
    "$PY" -m venv "$TOOL"
    "$TOOL/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
compile() {  # compile IN OUT MIN_PYTHON
    "$TOOL/bin/uv" pip compile --quiet --universal --generate-hashes --python-version "$3" \
        --custom-compile-command "bash scripts/lock/update.sh" --output-file "$2" "$1"
}
compile tools.in tools.txt 3.10
compile pytest.in pytest.txt 3.9
compile build.in build.txt 3.9
compile bench.in bench.txt 3.10
echo "scripts/lock: tools.txt, pytest.txt, build.txt and bench.txt re-pinned; review with git diff"
