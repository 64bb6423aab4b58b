"""`wheelhook compile`: the store's owner publishes compiled code beside the wheels, one code
pack per wheel per interpreter, at `<store>/.wheelhook/code/<wheel>.<cache_tag>[.opt-N].whcp`.

A process on any node that mounts the store then imports with no compile at all, its private
cache empty (the extension reads a pack only when the store's owner or root owns it and neither
group nor others may write it, and checks every entry against the wheel's member). Code for
another interpreter is compiled by that interpreter, run as a small compile server over its
stdin and stdout that needs nothing but its own `compile` and `marshal`; the pack is encoded by
this process's extension and written like every write to a store: under the store's lock,
atomically and durably.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from wheelhook import _drop, _native
from wheelhook._files import atomic_write, collect_stale
from wheelhook.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import BinaryIO

#: Where a store keeps its published code, and the extension of a pack.
CODE_DIR, PACK_SUFFIX = os.path.join(".wheelhook", "code"), ".whcp"
#: Where a store keeps the unpacked copies it publishes (wheels whose packages open their own
#: files by path, and have no native member), one folder per wheel, named as the wheel.
UNPACKED_DIR = os.path.join(".wheelhook", "unpacked")

#: The compile server, run by the target interpreter with `-I -S -c`: it says its magic number,
#: cache tag and version, then answers each request (optimisation level, file name, source) with the
#: marshalled code object (`C`) or the compile error (`E`). Frames are a kind byte and a
#: little-endian 8-byte length.
SERVER = r"""
import marshal, sys
from importlib.util import MAGIC_NUMBER
r, w = sys.stdin.buffer, sys.stdout.buffer
def send(kind, data):
    w.write(kind + len(data).to_bytes(8, "little") + data)
    w.flush()
tag = sys.implementation.cache_tag or ""
send(b"M", MAGIC_NUMBER + ("%s\n%d.%d.%d" % ((tag,) + tuple(sys.version_info[:3]))).encode())
while True:
    head = r.read(13)
    if len(head) < 13:
        break
    name = r.read(int.from_bytes(head[1:5], "little")).decode("utf-8", "surrogateescape")
    source = r.read(int.from_bytes(head[5:13], "little"))
    try:
        code = compile(source, name, "exec", dont_inherit=True, optimize=head[0])
    except Exception as exc:
        send(b"E", ("%s: %s" % (type(exc).__name__, exc)).encode("utf-8", "replace"))
    else:
        send(b"C", marshal.dumps(code))
"""


class CompileServer:
    """One interpreter compiling for us: its magic number and cache tag, and `compile`."""

    def __init__(self, python: str) -> None:
        self.python = python
        try:
            self._proc = subprocess.Popen(
                [python, "-I", "-S", "-c", SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as exc:
            raise UsageError(f"{python}: cannot run this interpreter: {exc.strerror}.") from None
        kind, hello = self._receive()
        if kind != b"M" or len(hello) < 4:
            self.close()
            raise UsageError(
                f"{python}: no magic number and cache tag from this interpreter (is it CPython "
                "3.9 or newer?)."
            )
        # An interpreter with no cache tag is named by its magic number, as the extension
        # names it (`interpreter_tag`).
        self.magic = hello[:4]
        tag, _, self.version = hello[4:].decode().partition("\n")
        self.cache_tag = tag or f"magic-{self.magic.hex()}"

    def _receive(self) -> tuple[bytes, bytes]:
        assert self._proc.stdout is not None  # opened with a pipe
        head = self._proc.stdout.read(9)
        if len(head) < 9:
            self.close()
            raise UsageError(f"{self.python}: the compile server stopped.")
        data = self._proc.stdout.read(int.from_bytes(head[1:], "little"))
        return head[:1], data

    def compile(self, filename: str, source: bytes, optimize: int) -> tuple[bytes | None, str]:
        """(marshalled code, "") or (None, the compile error)."""
        assert self._proc.stdin is not None  # opened with a pipe
        name = filename.encode("utf-8", "surrogateescape")
        head = bytes([optimize]) + len(name).to_bytes(4, "little")
        self._proc.stdin.write(head + len(source).to_bytes(8, "little") + name + source)
        self._proc.stdin.flush()
        kind, data = self._receive()
        if kind == b"C":
            return data, ""
        return None, data.decode("utf-8", "replace")

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


@dataclass
class Written:
    """One pack `compile` wrote, or would have written."""

    wheel: str
    python: str
    pack: str
    modules: int = 0
    bytes: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    #: Why no pack was written, when none was.
    note: str = ""
    #: Why the wheel could not be compiled at all.
    failed: str = ""
    #: "pack", or "unpacked copy" (then `pack` is the copy's folder).
    kind: str = "pack"

    def row(self) -> dict[str, object]:
        return {
            "wheel": self.wheel,
            "python": self.python,
            "pack": self.pack,
            "modules": self.modules,
            "bytes": self.bytes,
            "skipped": self.skipped,
            "note": self.note,
            "failed": self.failed,
            "kind": self.kind,
        }


def pack_path(wheel: str, cache_tag: str, optimize: int) -> str:
    """Where the pack of `wheel` for an interpreter and optimisation level lives (PEP 488's
    `.opt-N` as for `.pyc` files). Ex) `/srv/store/.wheelhook/code/six-1.16.0-py2.py3-none-any.whl.cpython-311.whcp`"""
    tag = cache_tag if optimize == 0 else f"{cache_tag}.opt-{optimize}"
    store, name = os.path.split(os.path.abspath(wheel))
    return os.path.join(store, CODE_DIR, f"{name}.{tag}{PACK_SUFFIX}")


def check_publisher(store: str) -> None:
    """Refuses to publish as a user whose packs no process would trust: only the store
    directory's owner's and root's are executed."""
    if not hasattr(os, "geteuid") or not os.path.isdir(store):
        return
    owner, me = os.stat(store).st_uid, os.geteuid()
    if me not in (0, owner):
        raise UsageError(
            f"The store {store} is owned by uid {owner}: compiled code published by uid {me} "
            f"would be ignored (only the store owner's and root's is used). Run compile as uid "
            f"{owner} or as root."
        )


def remove_packs(wheel: str) -> list[str]:
    """Removes every pack published for `wheel` (whatever the interpreter) and its published
    unpacked copy; the caller holds the store's lock. Returns the paths removed."""
    store, name = os.path.split(os.path.abspath(wheel))
    removed = []
    copy = os.path.join(store, UNPACKED_DIR, name)
    if os.path.isdir(copy):
        # Moved aside first, so no process finds half a copy.
        aside = os.path.join(store, UNPACKED_DIR, f".{name}.{os.getpid()}.removing")
        os.rename(copy, aside)
        shutil.rmtree(aside, ignore_errors=True)
        removed.append(copy)
    code_dir = os.path.join(store, CODE_DIR)
    try:
        names = os.listdir(code_dir)
    except OSError:
        return removed
    for entry in names:
        if entry.startswith(f"{name}.") and entry.endswith(PACK_SUFFIX):
            path = os.path.join(code_dir, entry)
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


def runs_on(wheel: str, cache_tag: str) -> bool:
    """Whether a wheel's tags let the CPython of `cache_tag` install it, as far as its Python
    and ABI tags tell (`py3`, `py38` from 3.8 on, `cp38-abi3` from 3.8 on, `cp311-cp311` on
    3.11 only): code is not compiled for an interpreter that never imports it. Its platform is
    left to the interpreters the store's owner names. Ex) `cpython-311`"""
    digits = cache_tag[len("cpython-") :] if cache_tag.startswith("cpython-") else ""
    if not digits.isdigit() or len(digits) < 2:
        return True  # not CPython: compile, its tags are not ours to judge
    version = (int(digits[0]), int(digits[1:]))
    for tag in _native.parse_wheel_filename(os.path.basename(wheel))["tags"]:
        interpreter, abi, _platform = tag.split("-", 2)
        kind, digits = interpreter[:2], interpreter[2:]
        if kind not in ("py", "cp") or not digits.isdigit() or digits[0] != "3":
            continue
        wanted = (3, int(digits[1:] or "0"))
        if kind == "cp" and abi != "abi3":
            if wanted == version:
                return True
        elif len(digits) == 1 or wanted <= version:
            return True
    return False


def requires_python(wheel: str) -> str | None:
    """The wheel's `Requires-Python`, read from its METADATA; None when it has none or the
    wheel cannot be read that way (compile then judges it by its tags alone)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            found = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(found) != 1:
                return None
            headers = BytesHeaderParser().parsebytes(archive.read(found[0]))
    except (OSError, zipfile.BadZipFile):
        return None
    value = headers.get("Requires-Python")
    return str(value).strip() if value else None


def python_allows(spec: str | None, version: str) -> bool:
    """Whether an interpreter of `version` (`3.9.18`) may install a wheel whose
    `Requires-Python` is `spec`, as pip judges it: code is not compiled for an interpreter the
    wheel excludes. True when either is unknown or the specifier does not parse."""
    if not spec or not version:
        return True
    try:
        return _native.specifier_contains(spec, version)
    except ValueError:
        return True


def _identity(path: str) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def up_to_date(wheel: str, pack: str, magic: bytes) -> bool:
    """Whether `pack` needs no rewrite: younger than its wheel, for this interpreter, and with
    no entry stale for the wheel (as CPython judges a `.pyc` by its source's time)."""
    try:
        if os.stat(pack).st_mtime_ns < os.stat(wheel).st_mtime_ns:
            return False
    except OSError:
        return False
    return _native.code_pack_matches(pack, magic, wheel)


def compile_wheel(
    wheel: str, servers: Sequence[CompileServer], levels: Iterable[int], force: bool = False
) -> list[Written]:
    """Compiles every module of `wheel` with each server at each optimisation level and writes
    one pack for each, under the store's lock, unless the pack is up to date (`up_to_date`;
    `force`: rewrite it anyway). A module that does not compile is left out (its import
    compiles it from source and raises its own SyntaxError) and reported."""
    wheel = os.path.abspath(wheel)
    out: list[Written] = []
    todo: list[tuple[Written, CompileServer, int]] = []
    spec = requires_python(wheel)  # read once, for every server and level
    for server in servers:
        for level in levels:
            written = Written(wheel, server.cache_tag, pack_path(wheel, server.cache_tag, level))
            out.append(written)
            if not runs_on(wheel, server.cache_tag):
                written.note = "not for this interpreter (its tags)"
            elif not python_allows(spec, server.version):
                written.note = "not for this interpreter (its Requires-Python)"
            elif not force and up_to_date(wheel, written.pack, server.magic):
                written.note = "up to date"
            else:
                todo.append((written, server, level))
    if not todo:
        return out
    try:
        before = _identity(wheel)
        sources = _native.wheel_sources(wheel)
    except (OSError, ValueError, ImportError) as exc:
        return [Written(wheel, "", "", failed=f"cannot be read: {exc}")]
    for written, server, level in todo:
        entries: list[tuple[str, int, int, bytes]] = []
        for member, filename, crc32, size, source in sources:
            code, error = server.compile(filename, source, level)
            if code is None:
                written.skipped.append({"member": member, "error": error})
            else:
                entries.append((member, crc32, size, code))
        if not entries:
            written.note = "no module to publish"
            continue
        data = _native.encode_code_pack(server.magic, entries)
        if _write(wheel, before, written.pack, data):
            written.modules, written.bytes = len(entries), len(data)
        else:
            written.note = "the wheel was replaced while it compiled: run compile again"
    return out


def _write(wheel: str, before: tuple[int, int, int, int], dest: str, data: bytes) -> bool:
    """Writes one pack under the store's lock, if the wheel is still the file compiled."""
    store = os.path.dirname(wheel)
    with _drop.locked(store):
        try:
            if _identity(wheel) != before:
                return False
        except FileNotFoundError:
            return False
        code_dir = os.path.dirname(dest)
        _make_readable_dirs(store, code_dir)
        collect_stale(code_dir)

        def write(out: BinaryIO) -> None:
            out.write(data)

        atomic_write(dest, write)
    return True


def _make_readable_dirs(store: str, code_dir: str) -> None:
    """Creates the folders from `store` down to `code_dir` that do not exist, mode 0755 whatever
    the umask: every user of the store must reach the packs (a 0700 folder would make each of
    their processes warn that it cannot read them)."""
    missing: list[str] = []
    path = code_dir
    while path != store and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        os.chmod(path, 0o755)


def publish_copy(wheel: str) -> Written | None:
    """Publishes the unpacked copy of `wheel` beside it when the wheel is served unpacked by
    default (its packages open their own files by path) and has no native member: every node
    then reads that copy instead of writing one into each user's private cache. `None` for a
    wheel served from its archive (or with native members, materialised on each node)."""
    wheel = os.path.abspath(wheel)
    try:
        with _drop.locked(os.path.dirname(wheel)):
            copy = _native.publish_unpacked(wheel)
    except (OSError, ValueError, ImportError) as exc:
        return Written(wheel, "", "", failed=f"cannot publish its unpacked copy: {exc}")
    return None if copy is None else Written(wheel, "", copy, kind="unpacked copy")


def publish(
    wheels: Sequence[str], pythons: Sequence[str], levels: Sequence[int], force: bool = False
) -> list[Written]:
    """Compiles `wheels` for the running interpreter and each of `pythons`, at each level
    (`force`: packs that are up to date too)."""
    for store in sorted({os.path.dirname(os.path.abspath(w)) for w in wheels}):
        _drop.writable_store(store)
        check_publisher(store)
    servers: list[CompileServer] = []
    try:
        for python in [sys.executable, *pythons]:
            server = CompileServer(python)
            if any(s.cache_tag == server.cache_tag for s in servers):
                server.close()  # the same interpreter named twice
            else:
                servers.append(server)
        out: list[Written] = []
        for wheel in wheels:
            rows = compile_wheel(wheel, servers, levels, force)
            out.extend(rows)
            copy = None if any(r.failed for r in rows) else publish_copy(wheel)
            if copy is not None:
                out.append(copy)
        return out
    finally:
        for server in servers:
            server.close()
