"""Drop-time validation end to end: hostile wheels are refused by `python -m wheelhook drop`
(exit 2, a message naming the wheel, the member and the reason) and leave the store exactly as
it was; wheels that are accepted hold exactly the members and bytes `zipfile` sees."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from safety_zip import (
    FIGURES,
    FLAG_DESCRIPTOR,
    FLAG_ENCRYPTED,
    FLAG_UTF8,
    STORED,
    Entry,
    build_zip,
    entries_for,
    record_for,
    wheel_files,
)
from wheelhook import _native

WHEEL = "evil-1.0-py3-none-any.whl"
DI = "evil-1.0.dist-info"


def evil(extra: dict[str, bytes]) -> dict[str, bytes]:
    """A wheel whose RECORD correctly lists `extra` too (so only the point under test is wrong)."""
    return wheel_files(files={"evil/__init__.py": b"VALUE = 'genuine'\n", **extra})


def with_entry(entry: Entry) -> bytes:
    """A correct wheel plus `entry` (also listed, correctly, in RECORD)."""
    files = wheel_files(files={"evil/__init__.py": b"VALUE = 'genuine'\n"})
    record = files.pop(f"{DI}/RECORD")
    name = entry.name.decode("utf-8", "surrogateescape")
    files[f"{DI}/RECORD"] = record + f"{name},{_hash(entry.data)},{len(entry.data)}\n".encode(
        "utf-8", "surrogateescape"
    )
    return build_zip([entry, *entries_for(files)])


def _hash(data: bytes) -> str:
    from helpers import record_hash

    return record_hash(data)


def tamper(index: int, **changes: object) -> bytes:
    """A correct wheel with entry `index` changed (`local=`, `central=`, or Entry fields)."""
    entries = entries_for(wheel_files())
    for key, value in changes.items():
        setattr(entries[index], key, value)
    return build_zip(entries)


def zip_bytes(files: dict[str, bytes], **layout: object) -> bytes:
    return build_zip(entries_for(files), **layout)  # type: ignore[arg-type]


def record_rows(mutate: Callable[[list[str]], list[str]]) -> bytes:
    files = wheel_files()
    rows = files[f"{DI}/RECORD"].decode().splitlines()
    files[f"{DI}/RECORD"] = ("\n".join(mutate(rows)) + "\n").encode()
    return zip_bytes(files)


def overlapping() -> bytes:
    """Member B's local header and data lie inside member A's (stored) data."""
    files = wheel_files()
    inner = Entry(b"evil/hidden.py", b"VALUE = 'hidden'\n", method=STORED)
    from safety_zip import _local

    inner_bytes = _local(inner, inner.data)
    outer = Entry(b"evil/outer.bin", inner_bytes, method=STORED)
    files = evil({"evil/outer.bin": inner_bytes, "evil/hidden.py": inner.data})
    entries = [outer] + [
        e for e in entries_for(files) if e.name not in (b"evil/outer.bin", b"evil/hidden.py")
    ]
    # The central entry of the hidden member points 30 + len(name) bytes into the outer member.
    return build_zip(entries, extra_central=[(inner, 30 + len(outer.name))])


def hidden_between() -> bytes:
    """A member present in the file but not in the central directory (streaming readers see it)."""
    from safety_zip import _local

    hidden = Entry(b"evil/hidden.py", b"VALUE = 'hidden'\n", method=STORED)
    return zip_bytes(wheel_files(), before_cd=_local(hidden, hidden.data))


def zip_in_comment() -> bytes:
    """A whole second archive in the archive comment: readers that scan from the start of the
    comment for the end record find another wheel."""
    inner = zip_bytes(evil({"evil/__init__.py": b"VALUE = 'hidden'\n"}))
    return zip_bytes(wheel_files(), comment=inner[:65000])


def stacked() -> bytes:
    """Two archives back to back: the first one's members are invisible to end-record readers."""
    first = zip_bytes(evil({"evil/__init__.py": b"VALUE = 'hidden'\n"}))
    return first + zip_bytes(wheel_files())


def bomb(size: int, declared: int | None = None) -> bytes:
    data = bytes(size)
    files = evil({"evil/zeros.bin": data})
    entries = entries_for(files)
    if declared is not None:
        entries[0 if entries[0].name == b"evil/zeros.bin" else 1].central["size"] = declared
        for e in entries:
            if e.name == b"evil/zeros.bin":
                e.central["size"] = declared
                e.local["size"] = declared
    return build_zip(entries)


def nfc_nfd() -> bytes:
    nfc = unicodedata.normalize("NFC", "evil/caf\u00e9.py")
    nfd = unicodedata.normalize("NFD", nfc)
    files = evil({nfc: b"A = 1\n", nfd: b"A = 2\n"})
    return build_zip([Entry(n.encode(), d, flags=FLAG_UTF8) for n, d in files.items()])


def with_metadata(text: bytes) -> bytes:
    """A wheel with this METADATA, correctly hashed in RECORD."""
    files = wheel_files()
    files[f"{DI}/METADATA"] = text
    files[f"{DI}/RECORD"] = record_for(files, DI)
    return zip_bytes(files)


def two_dist_infos() -> bytes:
    files = wheel_files()
    files["other-1.0.dist-info/METADATA"] = b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n\n"
    files[f"{DI}/RECORD"] = record_for(files, DI)
    return zip_bytes(files)


@dataclass
class Hostile:
    id: str
    build: Callable[[], bytes]
    reason: str  # a fragment of the refusal
    member: str | None = None  # the member the message must name
    args: tuple[str, ...] = ()  # more options for `drop`


def e(name: bytes, data: bytes = b"X = 1\n", **kw: object) -> Callable[[], bytes]:
    return lambda: with_entry(Entry(name, data, **kw))  # type: ignore[arg-type]


HOSTILE = [
    # Unsafe names.
    Hostile("absolute", e(b"/tmp/evil.py"), "absolute member name", "/tmp/evil.py"),
    Hostile("dotdot", e(b"../evil.py"), "'..' segment", "../evil.py"),
    Hostile("dotdot-deep", e(b"evil/../../x.py"), "'..' segment", "evil/../../x.py"),
    Hostile("dot", e(b"evil/./x.py"), "'.' segment", "evil/./x.py"),
    Hostile("empty-segment", e(b"evil//x.py"), "empty segment", "evil//x.py"),
    Hostile("backslash", e(b"evil\\..\\x.py"), "backslash"),
    Hostile("drive", e(b"C:evil.py"), "drive letter", "C:evil.py"),
    Hostile("drive-slash", e(b"c:/evil.py"), "drive letter"),
    Hostile("control", e(b"evil/a\x01.py"), "control character"),
    Hostile("newline", e(b"evil/a\n.py"), "control character"),
    Hostile("nul", e(b"evil/a\x00.py"), "control character"),
    Hostile("non-utf8", e(b"evil/\xff\xfe.py", flags=FLAG_UTF8), "not valid utf-8"),
    Hostile("non-utf8-unflagged", e(b"evil/\xe9.py"), "not valid utf-8"),
    Hostile("non-ascii-unflagged", e("evil/caf\u00e9.py".encode()), "without the utf-8 flag"),
    # Collisions.
    Hostile(
        "duplicate",
        lambda: build_zip([*entries_for(wheel_files()), Entry(b"evil/__init__.py", b"X = 2\n")]),
        "evil/__init__.py",
    ),
    Hostile(
        "case",
        lambda: zip_bytes(evil({"evil/Mod.py": b"A = 1\n", "evil/mod.py": b"A = 2\n"})),
        "when case is ignored",
    ),
    Hostile(
        "case-unicode",
        lambda: build_zip(
            [
                Entry(n.encode(), d, flags=FLAG_UTF8)
                for n, d in evil(
                    {"evil/stra\u00dfe.py": b"A = 1\n", "evil/STRASSE.py": b"A = 2\n"}
                ).items()
            ]
        ),
        "when case is ignored",
    ),
    Hostile("nfc-nfd", nfc_nfd, "combining character"),
    Hostile(
        "file-and-dir",
        lambda: zip_bytes(evil({"evil/sub": b"", "evil/sub/x.py": b"A = 1\n"})),
        "collides with the file",
    ),
    # Local header against central directory.
    Hostile(
        "local-name",
        lambda: tamper(0, local={"name": b"evil/__init__.pz"}),
        "local file header names",
    ),
    Hostile("local-method", lambda: tamper(0, local={"method": STORED}), "compression method"),
    Hostile("local-crc", lambda: tamper(0, local={"crc": 0xDEADBEEF}), "crc-32"),
    Hostile("local-csize", lambda: tamper(0, local={"csize": 3}), "compressed size"),
    Hostile("local-size", lambda: tamper(0, local={"size": 4}), "size"),
    Hostile("local-flags", lambda: tamper(0, local={"flags": FLAG_DESCRIPTOR}), "flags"),
    Hostile("crc-both", lambda: tamper(0, local={"crc": 1}, central={"crc": 1}), "crc"),
    Hostile(
        "central-size-lies",
        lambda: tamper(0, local={"size": 5}, central={"size": 5}),
        "evil/__init__.py",
    ),
    Hostile(
        "descriptor-lies",
        lambda: tamper(0, flags=FLAG_DESCRIPTOR, central={"crc": 7}),
        "evil/__init__.py",
    ),
    # Layout: data outside the entries.
    Hostile(
        "prefixed",
        lambda: zip_bytes(wheel_files(), prefix=b"#!/bin/sh\nexit 0\n"),
        "before the first member",
    ),
    Hostile(
        "prefixed-unshifted",
        lambda: zip_bytes(wheel_files(), prefix=b"MZ" + bytes(200), shift_offsets=False),
        WHEEL,
    ),
    Hostile("stacked", stacked, "does not end where the end of central directory record begins"),
    Hostile(
        "stacked-shifted",
        lambda: zip_bytes(wheel_files(), prefix=stacked()[: len(stacked()) // 2]),
        "before the first member",
    ),
    Hostile("trailing", lambda: zip_bytes(wheel_files(), trailer=b"trailing garbage"), WHEEL),
    Hostile("trailing-zip", lambda: zip_bytes(wheel_files()) + zip_bytes(wheel_files()), WHEEL),
    Hostile("zip-in-comment", zip_in_comment, "end of central directory signature"),
    Hostile("between", lambda: zip_bytes(wheel_files(), between=b"\0" * 16), "unexpected data"),
    Hostile("hidden-member", hidden_between, "unexpected data before the central directory"),
    Hostile("overlap", overlapping, "overlaps"),
    # Methods, encryption, file types.
    Hostile("bzip2", e(b"evil/a.py", method=12, raw=b"BZh9" + bytes(20)), "compression method 12"),
    Hostile("lzma", e(b"evil/a.py", method=14, raw=bytes(20)), "compression method 14"),
    Hostile("method-99", e(b"evil/a.py", method=99, raw=bytes(20)), "compression method 99"),
    Hostile("encrypted", e(b"evil/a.py", flags=FLAG_ENCRYPTED), "encrypted"),
    Hostile(
        "symlink", e(b"evil/link.py", b"/etc/passwd", method=STORED, mode=0o120777), "symbolic link"
    ),
    Hostile("fifo", e(b"evil/fifo", b"", mode=0o010644), "file type"),
    Hostile("device", e(b"evil/dev", b"", mode=0o020644), "file type"),
    Hostile("setuid", e(b"evil/dev2", b"", mode=0o060644), "file type"),
    # RECORD.
    Hostile(
        "record-missing-entry",
        lambda: record_rows(lambda r: [x for x in r if not x.startswith("evil/")]),
        "not listed in RECORD",
        "evil/__init__.py",
    ),
    Hostile(
        "record-hashes-itself",
        lambda: record_rows(
            lambda r: [
                x if not x.startswith(f"{DI}/RECORD") else f"{DI}/RECORD,{_hash(b'x')},1" for x in r
            ]
        ),
        "hash for itself",
    ),
    Hostile(
        "record-bad-hash",
        lambda: record_rows(
            lambda r: [
                x.replace("sha256=", "sha256=AAAA", 1) if x.startswith("evil/") else x for x in r
            ]
        ),
        "sha256 does not match RECORD",
        "evil/__init__.py",
    ),
    Hostile(
        "record-bad-size",
        lambda: record_rows(
            lambda r: [x.rsplit(",", 1)[0] + ",1" if x.startswith("evil/") else x for x in r]
        ),
        "RECORD says 1",
        "evil/__init__.py",
    ),
    Hostile(
        "record-no-hash",
        lambda: record_rows(
            lambda r: [("evil/__init__.py,," if x.startswith("evil/") else x) for x in r]
        ),
        "no hash",
        "evil/__init__.py",
    ),
    Hostile(
        "record-md5",
        lambda: record_rows(
            lambda r: [x.replace("sha256=", "md5=", 1) if x.startswith("evil/") else x for x in r]
        ),
        "md5",
    ),
    Hostile(
        "record-extra-row",
        lambda: record_rows(lambda r: [*r, f"evil/ghost.py,{_hash(b'')},0"]),
        "listed in RECORD but not in the archive",
        "evil/ghost.py",
    ),
    Hostile("record-twice", lambda: record_rows(lambda r: [*r, r[0]]), "more than once"),
    Hostile(
        "record-absent",
        lambda: zip_bytes({k: v for k, v in wheel_files().items() if not k.endswith("RECORD")}),
        "required file is missing",
    ),
    Hostile("two-dist-infos", two_dist_infos, "exactly one .dist-info"),
    Hostile(
        "metadata-name",
        lambda: with_metadata(b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n\n"),
        'the filename names the distribution "evil" but METADATA says "other"',
    ),
    Hostile(
        "requires-dist-panic",
        lambda: with_metadata(
            b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nRequires-Dist: six[test_]\n\n"
        ),
        "must end with a letter or digit",
    ),
    # Bombs.
    # A ratio alone is no bomb (4 MiB of zeros is accepted, below); budgets on inflated sizes
    # are, here lowered to test sizes.
    Hostile(
        "member-budget",
        lambda: bomb(4 << 20),
        "past the 1048576-byte limit for one member",
        "evil/zeros.bin",
        args=("--max-member-size", "1M"),
    ),
    Hostile(
        "total-budget",
        lambda: bomb(4 << 20),
        "past the 2097152-byte limit",
        args=("--max-total-size", "2M"),
    ),
    Hostile("size-lies", lambda: bomb(2 << 20, declared=100), "evil/zeros.bin"),
    Hostile("huge-declared", lambda: bomb(1 << 20, declared=0xFFFF0000), "evil/zeros.bin"),
    # Not archives at all.
    Hostile("empty-file", lambda: b"", WHEEL),
    Hostile("garbage", lambda: os.urandom(4096), WHEEL),
    Hostile("truncated", lambda: zip_bytes(wheel_files())[:-30], WHEEL),
]


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mode) for p in sorted(directory.iterdir())}


def drop(wheel: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOOK_")}
    env["WHEELHOOK_CACHE"] = str(store.parent / "cache")
    return subprocess.run(
        [sys.executable, "-m", "wheelhook", "drop", "--store", str(store), *args, str(wheel)],
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store already holding a genuine evil 1.0 (so a refused drop could clobber it)."""
    root = tmp_path_factory.mktemp("hostile")
    store = root / "store"
    src = root / "src"
    src.mkdir()
    (src / WHEEL).write_bytes(zip_bytes(wheel_files()))
    assert drop(src / WHEEL, store).returncode == 0
    return store


@pytest.mark.parametrize("case", HOSTILE, ids=[h.id for h in HOSTILE])
def test_hostile_wheel_is_refused(case: Hostile, populated: Path, tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL
    wheel.write_bytes(case.build())
    before = snapshot(populated)
    FIGURES["hostile wheels tried"] += 1
    proc = drop(wheel, populated, *case.args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = proc.stderr
    assert "Traceback" not in message
    assert str(wheel) in message, message
    assert case.reason in message, message
    if case.member is not None:
        assert f'"{case.member}"' in message, message
    assert snapshot(populated) == before
    FIGURES["hostile wheels refused"] += 1


ACCEPTED = {
    "deflated": lambda: zip_bytes(wheel_files()),
    "stored": lambda: build_zip(entries_for(wheel_files(), method=STORED)),
    "descriptors": lambda: build_zip(
        [Entry(n.encode(), d, flags=FLAG_DESCRIPTOR) for n, d in wheel_files().items()]
    ),
    "comment": lambda: zip_bytes(wheel_files(), comment=b"built by hand"),
    "utf8-names": lambda: build_zip(
        [
            Entry(n.encode(), d, flags=FLAG_UTF8)
            for n, d in evil({"evil/caf\u00e9.txt": b"cafe"}).items()
        ]
    ),
    "small-zeros": lambda: zip_bytes(evil({"evil/zeros.bin": bytes(1 << 20)})),
    "zeros-1028-to-1": lambda: zip_bytes(evil({"evil/zeros.bin": bytes(4 << 20)})),
}


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_accepted_wheel_matches_zipfile(kind: str, tmp_path: Path) -> None:
    wheel = tmp_path / "src" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(ACCEPTED[kind]())
    store = tmp_path / "store"
    proc = drop(wheel, store)
    assert proc.returncode == 0, proc.stderr
    assert (store / WHEEL).read_bytes() == wheel.read_bytes()
    with zipfile.ZipFile(store / WHEEL) as zf:
        expected = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    finder = _native.Finder()
    [dist] = finder.require(["evil==1.0"], [str(store)], [])
    assert dist.loader is not None
    seen = {m: dist.loader.read(m) for m in dist.loader.members()}
    assert seen == expected


def test_pycache_members_are_never_served(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Bytecode shipped in a wheel is ignored: the source runs, and a .pyc without source is
    not importable."""
    import importlib.util
    import marshal

    payload = compile("VALUE = 'from shipped bytecode'\n", "mod.py", "exec")
    pyc = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(payload)
    tag = sys.implementation.cache_tag
    files = evil(
        {
            "evil/mod.py": b"VALUE = 'from source'\n",
            f"evil/__pycache__/mod.{tag}.pyc": pyc,
            f"evil/__pycache__/only.{tag}.pyc": pyc,
            "evil/only.pyc": pyc,
        }
    )
    wheel = tmp_path / "src" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(zip_bytes(files))
    store = tmp_path / "store"
    assert drop(wheel, store).returncode == 0
    out = host.run(
        """
        __requires__ = ["evil==1.0"]
        import wheelhook, evil.mod
        print(evil.mod.VALUE)
        for name in ("evil.only", "evil.__pycache__"):
            try:
                __import__(name)
                print("imported", name)
            except ImportError:
                print("refused", name)
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
    ).stdout.split("\n")
    assert out[:3] == ["from source", "refused evil.only", "refused evil.__pycache__"]
