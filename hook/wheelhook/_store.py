"""Writing to a store: atomic drops and removals, serialised on a lock file."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time

from wheelhook import _native
from wheelhook.errors import InvalidWheel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

LOCK_NAME = ".wheelhook.lock"
#: Temporary files of writers: `.wheelhook-<pid>-<random>.tmp`, beside their destination.
TEMP_PREFIX, TEMP_SUFFIX = ".wheelhook-", ".tmp"
#: A temporary file this old is collected even if its writer's pid is alive (pids are reused).
STALE_AFTER = 10 * 60


@contextlib.contextmanager
def locked(store: str) -> Iterator[None]:
    """Serialises writers to one store (readers never lock)."""
    import fcntl

    os.makedirs(store, exist_ok=True)
    fd = os.open(os.path.join(store, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        collect_stale(store)
        yield
    finally:
        os.close(fd)


def _create_temp(directory: str) -> tuple[int, str]:
    """A new temporary file (O_EXCL) whose name carries this process's pid, so a writer killed
    midway leaves a file the next writer can recognise as abandoned."""
    while True:
        name = f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}{TEMP_SUFFIX}"
        path = os.path.join(directory, name)
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), path
        except FileExistsError:
            continue


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def collect_stale(store: str, now: float | None = None) -> list[str]:
    """Removes temporary files left by writers that died (their pid is gone) or that are older
    than `STALE_AFTER`; returns their names. Called with the store lock held, so no live writer
    of this store is between creating and renaming its temporary file unless it is this one."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(store)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
            continue
        path = os.path.join(store, name)
        pid_text = name[len(TEMP_PREFIX) :].split("-", 1)[0]
        try:
            old = now - os.lstat(path).st_mtime > STALE_AFTER
        except FileNotFoundError:
            continue
        dead = pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(int(pid_text))
        if old or dead:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                removed.append(name)
    return removed


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_copy(src: str, dest: str) -> None:
    """Copies `src` to `dest` through a temporary file in the same directory: fsync, rename,
    fsync of the directory. A reader never sees a partial file; a mapped old file is untouched."""
    directory = os.path.dirname(dest) or "."
    fd, tmp = _create_temp(directory)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def drop(
    wheel: str,
    store: str,
    max_member_size: int | None = None,
    max_total_size: int | None = None,
) -> dict[str, str]:
    """Validates `wheel` and copies it into `store`; returns its description. The size limits
    replace the default budgets on what the wheel inflates to (`inspect_wheel`)."""
    if not os.path.isfile(wheel):
        raise InvalidWheel(f"{wheel}: no such file")
    info: dict[str, str] = _native.inspect_wheel(wheel, max_member_size, max_total_size)
    dest = os.path.join(store, os.path.basename(wheel))
    with locked(store):
        if os.path.exists(dest) and os.path.samefile(dest, wheel):
            return {**info, "path": dest}
        atomic_copy(wheel, dest)
    if not sys.dont_write_bytecode:
        info["compiled"] = str(_native.precompile(dest))
    return {**info, "path": dest}


def default_store() -> str:
    """The interpreter's (first) site-packages directory."""
    import sysconfig

    return sysconfig.get_path("purelib")


def remove(path: str) -> None:
    """Removes a wheel from its store: under the store's lock, renamed away (so no reader can
    open it by its name any more), then unlinked. A process that has it mapped keeps reading it."""
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


def find_wheels(dirs: list[str], name: str, version: str | None = None) -> list[str]:
    """The `*.whl` files directly in `dirs` whose filename names `name` (normalised) and, when
    given, `version` (as spelled in the filename, or equal once trailing `.0`s are dropped)."""
    import re

    def short(v: str) -> str:
        while v.endswith(".0") and v.count(".") > 0:
            v = v[:-2]
        return v

    wanted = re.sub(r"[-_.]+", "-", name).lower()
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
