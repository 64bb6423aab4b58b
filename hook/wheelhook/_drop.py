"""Dropping wheels into a store and removing them: atomic, and serialised on the store's lock
file (readers never lock).

A store may be read-only (a shared network or software-distribution file system): every writer
first calls `writable_store(store)`, a stable name other writers use too, which raises
`StoreReadOnly` naming the store and why before anything is created there. A wheel the store
already holds, byte for byte, is not written again, so `drop` and `add` of what is there succeed
on a read-only store.
"""

from __future__ import annotations

import contextlib
import os
import sys

from wheelhook import _native
from wheelhook._files import atomic_copy, collect_stale, fsync_dir
from wheelhook._names import normalize
from wheelhook.errors import InvalidWheel, StoreReadOnly

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

#: The file writers to one store serialise on.
LOCK_NAME = ".wheelhook.lock"


def _unwritable(directory: str) -> tuple[str, bool] | None:
    """Why this process cannot create files in the existing `directory` (and whether it is a
    read-only file system), or None when it can. `access(2)` asks the kernel, so capabilities,
    ACLs and the server of a network file system have their say."""
    if os.statvfs(directory).f_flag & os.ST_RDONLY:
        return "it is on a read-only file system", True
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    st = os.stat(directory)
    uid = os.geteuid()
    if st.st_uid != uid:
        return f"it is owned by {_user(st.st_uid)} and not writable by {_user(uid)}", False
    return f"it is not writable by this user (mode {st.st_mode & 0o7777:04o})", False


def _user(uid: int) -> str:
    """Ex) `uid 65534 (nobody)`"""
    import pwd

    try:
        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except KeyError:
        return f"uid {uid}"


def writable_store(store: str) -> None:
    """Raises `StoreReadOnly` when this process cannot write to `store`: a read-only file
    system, a directory owned by another user or without write permission for this one, or a
    lock file it cannot open for writing. A store that does not exist yet is judged by the
    nearest directory above it that does (it would be created there). Writers call this before
    they create anything in the store, so a refused store is left untouched; its name is
    stable."""
    path = os.path.abspath(store)
    existing = path
    while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    found = _unwritable(existing)
    lock = os.path.join(path, LOCK_NAME)
    if found is None and os.path.exists(lock) and not os.access(lock, os.W_OK):
        found = f"its lock file {lock} is not writable by {_user(os.geteuid())}", False
    if found is None:
        return
    reason, read_only_fs = found
    where = path if existing == path else f"{path} (to be created in {existing})"
    fix = "where it is mounted read-write" if read_only_fs else "as a user who can write to it"
    raise StoreReadOnly(
        f"The store {where} is read-only for this process: {reason}. Nothing was written. "
        "Commands that only read it (list, resolve, verify, run, tool, lock, and importing) "
        f"work as they are; to change it, run this command {fix}.",
        path,
        reason,
        read_only_fs,
    )


def already_stored(wheel: str, dest: str) -> bool:
    """Whether `dest` exists and is `wheel`, or a file with the same bytes (compared only when
    the sizes agree): dropping it again would write nothing new. False when `dest` cannot be
    read (writing it is then the way to find out)."""
    try:
        if os.path.samefile(wheel, dest):
            return True
        if os.path.getsize(wheel) != os.path.getsize(dest):
            return False
        with open(wheel, "rb") as a, open(dest, "rb") as b:
            while True:
                block = a.read(1 << 20)
                if block != b.read(len(block)):
                    return False
                if not block:
                    return True
    except OSError:
        return False


@contextlib.contextmanager
def locked(store: str) -> Iterator[None]:
    """Serialises writers to one store (readers never lock); refuses a store this process
    cannot write (`writable_store`) before creating the store or its lock file."""
    import fcntl

    writable_store(store)
    os.makedirs(store, exist_ok=True)
    fd = os.open(os.path.join(store, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        collect_stale(store)
        yield
    finally:
        os.close(fd)


def drop(
    wheel: str,
    store: str,
    max_member_size: int | None = None,
    max_total_size: int | None = None,
) -> dict[str, str]:
    """Validates `wheel` and copies it into `store` (`place`), then compiles its modules into
    the private cache when it was added; returns its description."""
    info = place(wheel, store, max_member_size, max_total_size)
    if info["stored"] == "added" and not sys.dont_write_bytecode:
        info["compiled"] = str(_native.precompile(info["path"]))
    return info


def place(
    wheel: str,
    store: str,
    max_member_size: int | None = None,
    max_total_size: int | None = None,
) -> dict[str, str]:
    """Validates `wheel` and copies it into `store`; returns its description, whose `stored` is
    `added`, or `present` when the store already holds these very bytes (then nothing is
    written, so this works on a read-only store). The size limits replace the default budgets
    on what the wheel inflates to (`inspect_wheel`). A wheel that replaces another of the same
    name takes the compiled code published for the old one with it."""
    from wheelhook._publish import remove_packs

    if not os.path.isfile(wheel):
        raise InvalidWheel(f"{wheel}: no such file")
    info: dict[str, str] = _native.inspect_wheel(wheel, max_member_size, max_total_size)
    dest = os.path.join(store, os.path.basename(wheel))
    if already_stored(wheel, dest):
        return {**info, "path": dest, "stored": "present"}
    with locked(store):
        replacing = os.path.exists(dest)
        atomic_copy(wheel, dest)
        if replacing:
            remove_packs(dest)
    return {**info, "path": dest, "stored": "added"}


def pip_download(dest: str, targets: Sequence[str], options: Sequence[str], deps: bool) -> int:
    """`pip download` of `targets` (binary wheels only) into `dest`, pip's progress on stderr;
    `options` are pip's index options, `deps`: whether dependencies come too. Returns pip's
    exit code (the caller says what a failure means)."""
    import subprocess

    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", dest]
    cmd += ["--progress-bar", "on" if sys.stderr.isatty() else "off"]
    if not deps:
        cmd.append("--no-deps")
    proc = subprocess.run([*cmd, *options, *targets], stdout=sys.stderr, stdin=subprocess.DEVNULL)
    return proc.returncode


def default_store() -> str:
    """The interpreter's (first) site-packages directory."""
    import sysconfig

    return sysconfig.get_path("purelib")


def remove(path: str) -> None:
    """Removes a wheel from its store, and the compiled code published for it: under the store's
    lock, renamed away (so no reader can open it by its name any more), then unlinked. A process
    that has it mapped keeps reading it."""
    from wheelhook._publish import remove_packs

    store = os.path.dirname(os.path.abspath(path))
    with locked(store):
        if not os.path.isfile(path):
            raise InvalidWheel(f"{path}: no such file")
        doomed = os.path.join(
            store, f".wheelhook-removing-{os.getpid()}-{os.path.basename(path)}.tmp"
        )
        os.replace(path, doomed)
        fsync_dir(store)
        os.unlink(doomed)
        remove_packs(path)


def find_wheels(dirs: list[str], name: str, version: str | None = None) -> list[str]:
    """The `*.whl` files directly in `dirs` whose filename names `name` (normalised) and, when
    given, `version` (as spelled in the filename, or equal once trailing `.0`s are dropped)."""

    def short(v: str) -> str:
        while v.endswith(".0") and v.count(".") > 0:
            v = v[:-2]
        return v

    wanted = normalize(name)
    out: list[str] = []
    for d in dirs:
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".whl"):
                continue
            try:
                parsed = _native.parse_wheel_filename(entry)
            except ValueError:
                continue
            if parsed["name"] != wanted:
                continue
            if version is not None and short(parsed["version"]) != short(version):
                continue
            out.append(os.path.join(d, entry))
    return out
