"""Atomic file writes: a temporary file beside the destination, fsync, rename, fsync of the
directory, so a reader sees the old file or the new one, never a part of either.

Temporary files are named `.wheelhook-<pid>-<random>.tmp`, so one that a writer killed midway
left behind can be recognised and collected (`collect_stale`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

__all__ = [
    "STALE_AFTER",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "atomic_copy",
    "atomic_write",
    "collect_stale",
    "fsync_dir",
]

#: Temporary files of writers: `.wheelhook-<pid>-<random>.tmp`, beside their destination.
TEMP_PREFIX, TEMP_SUFFIX = ".wheelhook-", ".tmp"
#: A temporary file this old (seconds) is collected even if its writer's pid is alive (pids are
#: reused).
STALE_AFTER = 10 * 60


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


def collect_stale(directory: str, now: float | None = None) -> list[str]:
    """Removes temporary files left by writers that died (their pid is gone) or that are older
    than `STALE_AFTER`; returns their names. Called with the directory's lock held, so no live
    writer of it is between creating and renaming its temporary file unless it is this one."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
            continue
        path = os.path.join(directory, name)
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


def atomic_write(dest: str, write: Callable[[BinaryIO], object]) -> None:
    """Writes `dest` (mode 0644) through `write(file)` on a temporary file in the same
    directory: fsync, rename, fsync of the directory. A reader never sees a partial file; a
    process that has the old file mapped keeps it untouched."""
    directory = os.path.dirname(dest) or "."
    fd, tmp = _create_temp(directory)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def atomic_copy(src: str, dest: str) -> None:
    """Copies `src` to `dest` with `atomic_write`."""

    def copy(out: BinaryIO) -> None:
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)

    atomic_write(dest, copy)
