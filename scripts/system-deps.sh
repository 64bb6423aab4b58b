#!/usr/bin/env bash
# Debian packages the build and the tests use when present: LLVM's static libunwind, linked into
# the extension so that loading it does not load libgcc_s (see build.rs; without it everything
# still builds and works, the extension only loads about 0.2 ms slower), and strace, with which
# tests/python/test_syscalls.py and bench/syscalls.py count an import's file-system system calls
# (without it that test is skipped and that figure not measured). Usage: bash scripts/system-deps.sh
set -uo pipefail
wanted=()
ls /usr/lib/llvm-*/lib/libunwind.a >/dev/null 2>&1 || wanted+=(libunwind-14-dev)
command -v strace >/dev/null 2>&1 || wanted+=(strace)
if [ ${#wanted[@]} -eq 0 ] || ! command -v apt-get >/dev/null; then
    exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
install() { $SUDO apt-get install -y -q "${wanted[@]}" >/dev/null 2>&1; }
if ! install && ! { $SUDO apt-get update -q >/dev/null 2>&1 && install; }; then
    echo "note: ${wanted[*]} could not be installed: without libunwind-14-dev the extension links" \
        "libgcc_s; without strace the system-call test is skipped" >&2
fi
exit 0
