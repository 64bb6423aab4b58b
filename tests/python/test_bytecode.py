"""The bytecode cache (one code pack per wheel and interpreter): a warm import unmarshals, never
compiles; stale, corrupt or untrusted entries and packs are recompiled and rewritten."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, pack_payloads, packs

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
    assert list(cache.rglob("*.whcp")) == []


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
    # Corrupt every entry's code: all are rejected and rewritten, none trusted.
    [pack] = packs(cache)
    entries = pack_payloads(pack)
    assert sorted(entries) == ["kappa/__init__.py", "kappa/a.py", "kappa/b.py"]
    data = bytearray(pack.read_bytes())
    for at, length in entries.values():
        data[at + length - 1] ^= 0xFF
    pack.write_bytes(bytes(data))
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}
    # One entry's code damaged: only that module recompiles, the rest of the pack serves.
    data = bytearray(pack.read_bytes())
    at, length = pack_payloads(pack)["kappa/a.py"]
    data[at : at + length] = bytes(length)
    pack.write_bytes(bytes(data))
    assert stats(host, store, cache) == {"compiled": 1, "cache_hits": 2}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


def damaged(data: bytes, how: str) -> bytes:
    """A pack damaged the ways a crash, a disk or another program can: none may be trusted."""
    if how == "torn":
        return data[: len(data) // 2]
    if how == "empty":
        return b""
    if how == "trailing byte":
        return data + b"\0"
    if how == "table bit":
        at = len(data) - 40  # the last record
        return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]
    assert how == "other interpreter"
    at = len(data) - 36  # the trailer's magic number
    return data[:at] + b"\x00\x00\r\n" + data[at + 4 :]


@pytest.mark.parametrize(
    "how", ["torn", "empty", "trailing byte", "table bit", "other interpreter"]
)
def test_damaged_pack_is_recompiled_and_replaced(
    host: Env, make_wheel, store: Path, tmp_path: Path, how: str
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    stats(host, store, cache)
    [pack] = packs(cache)
    pack.write_bytes(damaged(pack.read_bytes(), how))
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}
    assert packs(cache) == [pack]


@pytest.mark.parametrize("unsafe", ["group-writable", "world-writable", "other-owner"])
def test_untrusted_pack_is_not_executed(
    host: Env, make_wheel, store: Path, tmp_path: Path, unsafe: str
) -> None:
    """A pack someone else could have written is never run: its modules are compiled, and the
    pack is replaced by one of this user's own, 0600."""
    wheel(make_wheel)
    cache = tmp_path / "cache"
    stats(host, store, cache)
    [pack] = packs(cache)
    if unsafe == "other-owner":
        if os.geteuid() != 0:
            pytest.skip("chown to another user needs root")
        os.chown(pack, pwd.getpwnam("nobody").pw_uid, -1)
    else:
        pack.chmod(0o620 if unsafe == "group-writable" else 0o602)
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert pack.stat().st_uid == os.geteuid()
    assert pack.stat().st_mode & 0o777 == 0o600
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


OPTIMIZED = """
    __requires__ = ["kappa"]
    import json, sys, wheelhook
    import kappa.a
    print(json.dumps([kappa.a.A, sys.flags.optimize, wheelhook.finder().stats()["compiled"]]))
"""


def test_optimized_code_is_kept_apart(host: Env, make_wheel, store: Path, tmp_path: Path) -> None:
    """Code compiled under -O has no asserts: it is never served to a process without -O, nor
    the reverse; each level has its own pack, beside the other."""
    files: dict[str, bytes | str] = {
        "kappa/__init__.py": "",
        "kappa/a.py": "A = 'no asserts'\ntry:\n    assert False\nexcept AssertionError:\n"
        "    A = 'asserts'\n",
    }
    make_wheel(WheelSpec("kappa", "1.0", files))
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")}
    plain, optimized = {**env, "PYTHONOPTIMIZE": ""}, {**env, "PYTHONOPTIMIZE": "1"}
    for compiled in (2, 0):
        assert json.loads(host.run(OPTIMIZED, env=plain).stdout) == ["asserts", 0, compiled]
        assert json.loads(host.run(OPTIMIZED, env=optimized).stdout) == [
            "no asserts",
            1,
            compiled,
        ]
    names = [p.name for p in packs(tmp_path / "cache")]
    assert len(names) == 2 and sum(n.endswith(".opt-1.whcp") for n in names) == 1, names


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

#: Enough temporary files of a live writer (pid 1 exists, the files are young) that a process's
#: first write into the cache, which looks at each of them, takes a while: a write not waited for
#: is then still missing when a process checks or ends.
SLOW_SWEEP = 20_000


def slowed_pack(host: Env, make_wheel, store: Path, cache: Path) -> Path:
    """Fills the cache once, then removes the wheel's pack and slows the next process's first
    write; returns the pack's path, which the next cold import writes."""
    wheel(make_wheel)
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    [pack] = packs(cache)
    assert len(pack_payloads(pack)) == 3
    pack.unlink()
    for i in range(SLOW_SWEEP):
        (pack.parent / f".busy{i}.whcp.1.0.tmp").touch()
    return pack


def entries(pack: Path) -> int:
    return len(pack_payloads(pack)) if pack.exists() else 0


FLUSH = """
    __requires__ = ["kappa"]
    import json, os, sys, wheelhook
    import kappa, kappa.a, kappa.b
    before = os.path.exists(sys.argv[1])
    wheelhook.finder().flush()
    after = os.path.exists(sys.argv[1])
    print(json.dumps({"before": before, "after": after, **wheelhook.finder().stats()}))
"""


def test_flush_waits_for_the_entries(host: Env, make_wheel, store: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pack = slowed_pack(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    got = json.loads(host.run(FLUSH, str(pack), env=env).stdout)
    assert (got["before"], got["after"], got["compiled"]) == (False, True, 3), got
    assert entries(pack) == 3


def test_exit_writes_the_entries_without_a_flush(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    pack = slowed_pack(host, make_wheel, store, cache)
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert entries(pack) == 3
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


IDLE = """
    __requires__ = ["kappa"]
    import json, os, sys, time, wheelhook
    import kappa, kappa.a
    deadline = time.monotonic() + 30
    while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps(os.path.exists(sys.argv[1])))
"""


def test_a_running_process_writes_its_entries_once_idle(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    """A long-running process (a server) keeps its compiled code without exiting: the pack is
    written once the process has compiled nothing for a moment."""
    cache = tmp_path / "cache"
    pack = slowed_pack(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    assert host.run(IDLE, str(pack), env=env).stdout.split() == ["true"]
    assert entries(pack) == 2
    assert stats(host, store, cache) == {"compiled": 1, "cache_hits": 2}


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
    [pack] = packs(cache)
    assert list(pack_payloads(pack)) == ["kappa/__init__.py"]
    assert stats(host, store, cache) == {"compiled": 2, "cache_hits": 1}


#: The parent starts its writer with a cold import, then forks; the child imports the rest cold
#: and flushes. `os.fork` stops the parent's writer first; libc's `fork`, which the interpreter
#: does not see (as a C library's would not be), leaves the child a writer thread in memory that
#: does not exist: the child must notice and start its own (exit status 3 if it has none), or
#: its entries wait for a thread that never comes, and a flush may wait forever.
FORK = """
    __requires__ = ["kappa"]
    import ctypes, json, os, sys, time, wheelhook
    how = sys.argv[1]
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
    print(json.dumps({"status": status, "threads_at_fork": threads}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.parametrize("how", ["os.fork", "libc fork"])
def test_fork_child_writes_its_own_entries(
    host: Env, make_wheel, store: Path, tmp_path: Path, how: str
) -> None:
    cache = tmp_path / "cache"
    pack = slowed_pack(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    got = json.loads(host.run(FORK, how, env=env).stdout)
    # Parent and child each added their entries to the pack as they found it on disk.
    assert (got["status"], entries(pack)) == (0, 3), got
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
    pack = slowed_pack(host, make_wheel, store, cache)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    assert host.run(MULTIPROCESSING, env=env).stdout.split() == ["0"]
    assert entries(pack) == 3
