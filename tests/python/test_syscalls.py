"""The metadata-operation budget on the store: a wheel of 50 modules costs the store the same
file-system system calls as a wheel of 5, cold or warm, and a warm start a small constant
(counted under strace as `bench/syscalls.py` counts them: counts, not times, so it is exact)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from helpers import ROOT, WheelSpec, build_wheel, child_environ

needs_strace = pytest.mark.skipif(
    shutil.which("strace") is None,
    reason="strace is not installed (bash scripts/system-deps.sh installs it)",
)

#: How long a directory must have been left alone before a resolution that read it is kept
#: (`activation::SETTLE`, plus a margin).
SETTLE = 2.3

PROGRAM = """
import json, wheelhook
wheelhook.require("many")
import many
stats = wheelhook.finder().stats()
print(json.dumps({"modules": len(many.ALL), "hits": stats["activation_hits"],
                  "compiled": stats["compiled"]}))
"""


def counter() -> ModuleType:
    """bench/syscalls.py: the strace run and the attribution of each call to a place."""
    spec = importlib.util.spec_from_file_location("bench_syscalls", ROOT / "bench" / "syscalls.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def many_wheel(store: Path, modules: int) -> Path:
    """`many` 1.0: a package that imports its `modules` submodules."""
    names = [f"m{i}" for i in range(modules)]
    files: dict[str, bytes | str] = {f"many/{n}.py": f"VALUE = {i}\n" for i, n in enumerate(names)}
    files["many/__init__.py"] = f"from . import {', '.join(names)}\nALL = [{', '.join(names)}]\n"
    store.mkdir()
    return build_wheel(WheelSpec("many", "1.0", files), store)


#: Lines as `strace -f -y` writes them, and where each counted call lands.
TRACE = r"""
7  openat(AT_FDCWD</work>, "rel/../x.py", O_RDONLY|O_CLOEXEC) = 3</work/x.py>
7  statx(3</store/a-1.0-py3-none-any.whl>, "", AT_EMPTY_PATH, STATX_BASIC_STATS, {}) = 0
7  newfstatat(4</cache/code>, "e.whcp", {st_mode=S_IFREG|0600}, 0) = 0
8  getdents64(5</store>, 0x55d0 /* 3 entries */, 32768) = 80
8  openat(AT_FDCWD</work>, "/store/a \"b\".whl", O_RDONLY <unfinished ...>
7  <... openat resumed>) = 3</work/x.py>
7  stat("/cache", {st_mode=S_IFDIR|0700}) = 0
7  access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)
7  fstat(3</site/six.py>, {st_mode=S_IFREG|0644}) = 0
7  read(3</site/six.py>, "", 5) = 0
7  readlinkat(AT_FDCWD</work>, "/proc/self/exe", "/usr/bin/python3.11", 4096) = 19
+++ exited with 0 +++
"""


def test_each_call_lands_where_its_path_does() -> None:
    syscalls = counter()
    pairs = syscalls.calls(TRACE)
    assert pairs == [
        ("openat", "/work/rel/../x.py"),
        ("statx", "/store/a-1.0-py3-none-any.whl"),
        ("newfstatat", "/cache/code/e.whcp"),
        ("getdents64", "/store"),
        ("openat", '/store/a "b".whl'),
        ("stat", "/cache"),
        ("access", "/etc/ld.so.preload"),
        ("fstat", "/site/six.py"),
        ("readlinkat", "/proc/self/exe"),
    ]
    roots = {"store": ["/store"], "private cache": ["/cache"], "site-packages": ["/site"]}
    counts = syscalls.tally(pairs, roots)
    assert {place: sum(fam.values()) for place, fam in counts.items()} == {
        "store": 3,
        "private cache": 2,
        "site-packages": 1,
        "rest": 3,
    }
    assert counts["store"] == {"open": 1, "stat": 1, "access": 0, "readlink": 0, "getdents": 1}
    assert counts["rest"]["readlink"] == counts["rest"]["access"] == counts["rest"]["open"] == 1


@needs_strace
def test_store_calls_do_not_grow_with_the_modules(tmp_path: Path) -> None:
    syscalls = counter()
    program = tmp_path / "program" / "main.py"
    program.parent.mkdir()
    program.write_text(PROGRAM)
    sizes = (5, 50)
    for n in sizes:
        many_wheel(tmp_path / f"store-{n}", n)
    time.sleep(SETTLE)  # the directories settle: the first start remembers its activation
    store: dict[tuple[int, str], dict[str, int]] = {}
    private: dict[int, dict[str, int]] = {}
    for n in sizes:
        roots = {"store": str(tmp_path / f"store-{n}"), "private cache": str(tmp_path / f"c{n}")}
        env = child_environ(
            {"WHEELHOOK_PATH": roots["store"], "WHEELHOOK_CACHE": roots["private cache"]}
        )
        for start in ("cold", "warm"):
            counts, out = syscalls.strace_counts([sys.executable, str(program)], env, roots)
            assert out["modules"] == n
            # The first start lists the store and compiles; the second recalls both.
            assert (out["hits"], out["compiled"] == 0) == (
                (0, False) if start == "cold" else (1, True)
            )
            store[n, start] = counts["store"]
            if start == "warm":
                private[n] = counts["private cache"]
    for start in ("cold", "warm"):
        assert store[5, start] == store[50, start], start
    # The private cache holds one code pack per wheel: a warm start costs it the same whatever
    # the number of modules (the pack, the remembered activation, the directory's check).
    assert private[5] == private[50], private
    assert 0 < sum(private[5].values()) <= 12, private[5]
    # A warm start: the store directory's stamp, the wheel opened and examined once, and one
    # failed stat of the folder where a store's owner publishes code (once per store, whatever
    # the number of wheels).
    warm = store[5, "warm"]
    assert warm["getdents"] == 0, "a remembered activation does not list the store"
    assert warm["open"] == 1 and sum(warm.values()) <= 4, warm
