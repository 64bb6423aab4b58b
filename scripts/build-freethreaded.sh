#!/usr/bin/env bash
# Builds the free-threaded wheels (cp314t and later): one per free-threaded interpreter found.
#
# abi3 does not apply to a free-threaded CPython (before 3.15's abi3t): with the crate's
# `abi3-py39` feature, pyo3 0.30 sees `Py_GIL_DISABLED` in the interpreter's configuration and
# builds a version-specific extension instead (maturin tags it `cp314-cp314t`). pyo3 0.30 refuses
# free-threaded 3.13 ("PyO3 does not support the free-threaded build of CPython versions below
# 3.14"), so there is no cp313t wheel. The module is declared `gil_used = false`, so importing
# it does not turn the GIL back on.
#
# Usage: bash scripts/build-freethreaded.sh [PYTHON...]   (default: python3.14t, python3.15t
# on PATH, then pyenv's 3.14t+ versions). Wheels go to target/wheels-freethreaded/.
# With no free-threaded interpreter, the free-threaded code path is still compiled and linted
# (cargo clippy against a 3.14t interpreter configuration), and nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/wheels-freethreaded

candidates=("$@")
if [ ${#candidates[@]} -eq 0 ]; then
    for name in python3.14t python3.15t; do
        command -v "$name" >/dev/null && candidates+=("$(command -v "$name")")
    done
    if command -v pyenv >/dev/null; then
        for dir in "$(pyenv root)"/versions/3.1[4-9]*t; do
            [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
        done
    fi
fi

# Only interpreters built with Py_GIL_DISABLED: a plain 3.13 would give an ordinary wheel.
interpreters=()
for py in "${candidates[@]}"; do
    if "$py" -c 'import sys, sysconfig; sys.exit(0 if sysconfig.get_config_var("Py_GIL_DISABLED") else 1)' 2>/dev/null; then
        interpreters+=("$py")
    else
        echo "skipping $py: not a free-threaded interpreter" >&2
    fi
done
if [ ${#interpreters[@]} -eq 0 ]; then
    echo "no free-threaded CPython (python3.14t+) found: checking the free-threaded build only" >&2
    config=$(mktemp)
    trap 'rm -f "$config"' EXIT
    printf '%s\n' implementation=CPython version=3.14 shared=true abi3=false \
        build_flags=Py_GIL_DISABLED suppress_build_script_link_lines=true >"$config"
    PYO3_CONFIG_FILE=$config cargo clippy --features python,pyo3/extension-module -- -D warnings
    echo "the free-threaded (3.14t) configuration compiles; nothing built" >&2
    exit 0
fi

MATURIN=${MATURIN:-maturin}
rm -rf "$OUT"
for py in "${interpreters[@]}"; do
    echo "building for $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
    "$MATURIN" build --release --quiet --interpreter "$py" --out "$OUT"
done
ls "$OUT"
# Each wheel imports with the GIL still off: a module that did not declare itself safe would
# re-enable it (and warn).
for py in "${interpreters[@]}"; do
    venv="target/venv-ft-$("$py" -c 'import sys; print("%d%d" % sys.version_info[:2])')"
    "$py" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install -q --no-index --find-links "$OUT" wheelhook
    "$venv/bin/python" -W error -c 'import sys, wheelhook; assert not sys._is_gil_enabled(), "the GIL was re-enabled"; print("ok:", sys.version)'
done
