"""A byte-level ZIP writer for the safety tests: every header field can be made to lie.

`zipfile` refuses to write most of what a hostile wheel contains (names with `..`, local
headers that disagree with the central directory, stacked archives), so this module lays out
local headers, data, descriptors, the central directory and the end record itself.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field

from helpers import record_hash

STORED, DEFLATED = 0, 8
FLAG_ENCRYPTED, FLAG_DESCRIPTOR, FLAG_UTF8 = 0x1, 0x8, 0x800
UNIX = 3

#: The safety suite's figures, printed at the end of the run (see conftest.py).
FIGURES: Counter[str] = Counter()


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


@dataclass
class Entry:
    """One member. `local` overrides fields of the local header only, `central` of the central
    directory entry only (keys: name, method, flags, crc, csize, size, offset)."""

    name: bytes
    data: bytes
    method: int = DEFLATED
    flags: int = 0
    mode: int = 0o100644
    raw: bytes | None = None  # the member's bytes as stored (default: `data` compressed)
    local: dict[str, int | bytes] = field(default_factory=dict)
    central: dict[str, int | bytes] = field(default_factory=dict)

    def stored_bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return deflate(self.data) if self.method == DEFLATED else self.data


def _local(e: Entry, raw: bytes) -> bytes:
    f: dict[str, int | bytes] = {
        "name": e.name,
        "method": e.method,
        "flags": e.flags,
        "crc": zlib.crc32(e.data),
        "csize": len(raw),
        "size": len(e.data),
    }
    if e.flags & FLAG_DESCRIPTOR:
        f.update(crc=0, csize=0, size=0)
    f.update(e.local)
    name = f["name"]
    assert isinstance(name, bytes)
    head = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        f["flags"],
        f["method"],
        0,
        0x21,
        f["crc"],
        f["csize"],
        f["size"],
        len(name),
        0,
    )
    out = head + name + raw
    if e.flags & FLAG_DESCRIPTOR:
        out += struct.pack("<IIII", 0x08074B50, zlib.crc32(e.data), len(raw), len(e.data))
    return out


def _central(e: Entry, raw: bytes, offset: int) -> bytes:
    f: dict[str, int | bytes] = {
        "name": e.name,
        "method": e.method,
        "flags": e.flags,
        "crc": zlib.crc32(e.data),
        "csize": len(raw),
        "size": len(e.data),
        "offset": offset,
    }
    f.update(e.central)
    name = f["name"]
    assert isinstance(name, bytes)
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            UNIX << 8 | 20,
            20,
            f["flags"],
            f["method"],
            0,
            0x21,
            f["crc"],
            f["csize"],
            f["size"],
            len(name),
            0,
            0,
            0,
            0,
            e.mode << 16,
            f["offset"],
        )
        + name
    )


def end_record(count: int, cd_size: int, cd_offset: int, comment: bytes = b"") -> bytes:
    return (
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, len(comment))
        + comment
    )


def build_zip(
    entries: list[Entry],
    *,
    prefix: bytes = b"",
    shift_offsets: bool = True,
    between: bytes = b"",
    before_cd: bytes = b"",
    comment: bytes = b"",
    trailer: bytes = b"",
    extra_central: list[tuple[Entry, int]] = (),  # type: ignore[assignment]
) -> bytes:
    """Lays out `entries`. `prefix` goes before the first member (offsets count it when
    `shift_offsets`), `between` after each member, `before_cd` before the central directory,
    `trailer` after the end record; `extra_central` adds central entries pointing at offsets."""
    out = bytearray(prefix)
    base = 0 if shift_offsets else len(prefix)
    central = bytearray()
    for e in entries:
        raw = e.stored_bytes()
        central += _central(e, raw, len(out) - base)
        out += _local(e, raw)
        out += between
    for e, offset in extra_central:
        central += _central(e, e.stored_bytes(), offset)
    out += before_cd
    cd_offset = len(out) - base
    out += central
    out += end_record(len(entries) + len(extra_central), len(central), cd_offset, comment)
    out += trailer
    return bytes(out)


def wheel_files(
    name: str = "evil", version: str = "1.0", files: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """The members of a minimal wheel, RECORD last and correct."""
    dist_info = f"{name}-{version}.dist-info"
    out = dict(files if files is not None else {f"{name}/__init__.py": b"VALUE = 'genuine'\n"})
    out[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n".encode()
    )
    out[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: safety\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    out[f"{dist_info}/RECORD"] = record_for(out, dist_info)
    return out


def record_for(files: dict[str, bytes], dist_info: str) -> bytes:
    rows = [
        f"{n},{record_hash(d)},{len(d)}" for n, d in files.items() if n != f"{dist_info}/RECORD"
    ]
    rows.append(f"{dist_info}/RECORD,,")
    return ("\n".join(rows) + "\n").encode()


def entries_for(files: dict[str, bytes], method: int = DEFLATED) -> list[Entry]:
    return [Entry(n.encode(), d, method=method) for n, d in files.items()]
