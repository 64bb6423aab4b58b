"""Dropping wheels into a store and removing them: atomic, and serialised on the store's lock
file (readers never lock)."""

from __future__ import annotations

import contextlib
import os
import sys

from wheelhook import _native
from wheelhook._files import atomic_copy, collect_stale, fsync_dir
from wheelhook._names import normalize
from wheelhook.errors import InvalidWheel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

#: The file writers to one store serialise on.
LOCK_NAME = ".wheelhook.lock"


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


def drop(
    wheel: str,
    store: str,
    max_member_size: int | None = None,
    max_total_size: int | None = None,
) -> dict[str, str]:
    """Validates `wheel` and copies it into `store` (`place`), then compiles its modules into
    the private cache; returns its description."""
    info = place(wheel, store, max_member_size, max_total_size)
    if info.pop("copied") and not sys.dont_write_bytecode:
        info["compiled"] = str(_native.precompile(info["path"]))
    return info


def place(
    wheel: str,
    store: str,
    max_member_size: int | None = None,
    max_total_size: int | None = None,
) -> dict[str, str]:
    """Validates `wheel` and copies it into `store`; returns its description, with "copied"
    ("" when it was there already). The size limits replace the default budgets on what the
    wheel inflates to (`inspect_wheel`). A wheel that replaces one of the same name takes the
    compiled code published for the old one with it."""
    from wheelhook._publish import remove_packs

    if not os.path.isfile(wheel):
        raise InvalidWheel(f"{wheel}: no such file")
    info: dict[str, str] = _native.inspect_wheel(wheel, max_member_size, max_total_size)
    dest = os.path.join(store, os.path.basename(wheel))
    with locked(store):
        if os.path.exists(dest) and os.path.samefile(dest, wheel):
            return {**info, "path": dest, "copied": ""}
        replacing = os.path.exists(dest)
        atomic_copy(wheel, dest)
        if replacing:
            remove_packs(dest)
    return {**info, "path": dest, "copied": "yes"}


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
