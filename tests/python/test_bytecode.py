"""The bytecode cache: a warm import unmarshals, never compiles; stale entries are rewritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import Env, WheelSpec

PROGRAM = """
    __requires__ = ["kappa"]
    import wheelhook, json
    import kappa, kappa.a, kappa.b
    print(json.dumps(wheelhook.finder().stats()))
"""


def wheel(make_wheel, body: str = "X = 1\n") -> Path:
    files: dict[str, bytes | str] = {
        "kappa/__init__.py": body,
        "kappa/a.py": "A = 1\n",
        "kappa/b.py": "B = 2\n",
    }
    return make_wheel(WheelSpec("kappa", "1.0", files))  # type: ignore[no-any-return]


def stats(host: Env, store: Path, cache: Path, **extra: str) -> dict[str, int]:
    """What the import cost: modules compiled, and entries taken from the cache."""
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **extra}
    got = json.loads(host.run(PROGRAM, env=env).stdout)
    return {key: got[key] for key in ("compiled", "cache_hits")}


def test_second_run_compiles_nothing(host: Env, make_wheel, store: Path, tmp_path: Path) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}
    assert (cache.stat().st_mode & 0o777) == 0o700


def test_dont_write_bytecode_is_honoured(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    assert stats(host, store, cache, PYTHONDONTWRITEBYTECODE="1") == {
        "compiled": 3,
        "cache_hits": 0,
    }
    assert stats(host, store, cache, PYTHONDONTWRITEBYTECODE="1") == {
        "compiled": 3,
        "cache_hits": 0,
    }
    assert list(cache.rglob("*.whc")) == []


def test_changed_wheel_and_corrupt_entries_are_recompiled(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    path = wheel(make_wheel)
    cache = tmp_path / "cache"
    stats(host, store, cache)
    # The same file name with other content: CRC-32 differs, only that module recompiles.
    path.unlink()
    wheel(make_wheel, body="X = 2\n")
    assert stats(host, store, cache) == {"compiled": 1, "cache_hits": 2}
    # Corrupt every entry: all are rejected and rewritten, none trusted.
    entries = list((cache / "bytecode").rglob("*.whc"))
    assert len(entries) == 3
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0xFF
        entry.write_bytes(bytes(data))
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


def test_unsafe_cache_falls_back_to_memory_with_one_warning(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    proc = host.run(PROGRAM, env=env)
    got = json.loads(proc.stdout)
    assert (got["compiled"], got["cache_hits"], got["activation_hits"]) == (3, 0, 0)
    assert proc.stderr.count("writable by group or others") == 1
    assert list(cache.iterdir()) == []


# -- the background writer ------------------------------------------------------------------------

#: Enough temporary files of a live writer (pid 1 exists, the files are young) that the first
#: write into the directory, which looks at each of them, takes a while: a write not waited for
#: is then still missing when a process checks or ends.
SLOW_SWEEP = 20_000


def slowed_entries(host: Env, make_wheel, store: Path, cache: Path) -> list[str]:
    """Fills the cache once, then empties the wheel's entry directory and slows its next first
    write; returns the entry paths the next cold import writes."""
    wheel(make_wheel)
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    [wheel_dir] = (cache / "bytecode").iterdir()
    entries = sorted(wheel_dir.glob("*.whc"))
    assert len(entries) == 3
    for entry in entries:
        entry.unlink()
    for i in range(SLOW_SWEEP):
        (wheel_dir / f".busy{i}.whc.1.0.tmp").touch()
    return [str(e) for e in entries]


FLUSH = """
    __requires__ = ["kappa"]
    import json, os, sys, wheelhook
    import kappa, kappa.a, kappa.b
    before = sum(map(os.path.exists, sys.argv[1:]))
    wheelhook.finder().flush()
    after = sum(map(os.path.exists, sys.argv[1:]))
    print(json.dumps({"before": before, "after": after, **wheelhook.finder().stats()}))
"""


def test_flush_waits_for_the_entries(host: Env, make_wheel, store: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    entries = slowed_entries(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    got = json.loads(host.run(FLUSH, *entries, env=env).stdout)
    assert (got["after"], got["compiled"]) == (3, 3), got


def test_exit_writes_the_entries_without_a_flush(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    entries = slowed_entries(host, make_wheel, store, cache)
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert [Path(e).is_file() for e in entries] == [True] * 3
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


def test_dont_write_bytecode_set_at_run_time_writes_nothing(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    program = """
        __requires__ = ["kappa"]
        import sys, wheelhook
        import kappa
        sys.dont_write_bytecode = True
        import kappa.a, kappa.b
        wheelhook.finder().flush()
    """
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    host.run(program, env=env)
    assert len(list(cache.rglob("*.whc"))) == 1
    assert stats(host, store, cache) == {"compiled": 2, "cache_hits": 1}


#: The parent starts its writer with a cold import, then forks; the child imports the rest cold
#: and flushes. `os.fork` stops the parent's writer first; libc's `fork`, which the interpreter
#: does not see (as a C library's would not be), leaves the child a writer thread in memory that
#: does not exist: the child must notice and start its own (exit status 3 if it has none), or
#: its entries wait for a thread that never comes, and a flush may wait forever.
FORK = """
    __requires__ = ["kappa"]
    import ctypes, json, os, sys, time, wheelhook
    how, entries = sys.argv[1], sys.argv[2:]
    import kappa.a
    fork = os.fork if how == "os.fork" else ctypes.PyDLL(None).fork
    pid = fork()
    if pid == 0:
        import kappa, kappa.b
        # A fork child has one thread: any other is its writer.
        writer = len(os.listdir("/proc/self/task")) > 1
        wheelhook.finder().flush()
        os._exit(0 if writer else 3)
    threads = len(os.listdir("/proc/self/task"))
    for _ in range(300):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = -1
    wheelhook.finder().flush()
    print(json.dumps({
        "status": status,
        "threads_at_fork": threads,
        "entries": sum(map(os.path.exists, entries)),
    }))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.parametrize("how", ["os.fork", "libc fork"])
def test_fork_child_writes_its_own_entries(
    host: Env, make_wheel, store: Path, tmp_path: Path, how: str
) -> None:
    cache = tmp_path / "cache"
    entries = slowed_entries(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    got = json.loads(host.run(FORK, how, *entries, env=env).stdout)
    assert (got["status"], got["entries"]) == (0, 3), got
    if how == "os.fork":
        # Python 3.12 warns when a process with threads forks: ours is stopped first.
        assert got["threads_at_fork"] == 1, got


MULTIPROCESSING = """
    __requires__ = ["kappa"]
    import multiprocessing, wheelhook

    def child():
        import kappa, kappa.a, kappa.b

    if __name__ == "__main__":
        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join()
        print(process.exitcode)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_multiprocessing_fork_child_writes_its_entries_at_exit(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    """A `multiprocessing` child ends with `os._exit`, skipping `atexit`: its entries are still
    written."""
    cache = tmp_path / "cache"
    entries = slowed_entries(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    assert host.run(MULTIPROCESSING, env=env).stdout.split() == ["0"]
    assert [Path(e).is_file() for e in entries] == [True] * 3
