#!/usr/bin/env python3
"""Writes wheels with Python's zipfile, for the differential archive test.

Usage: zipfile_writer.py DIR. Writes a few wheels into DIR, each with a correct
RECORD, using the writer options real tools use (stored and deflated members,
Zip64 extra fields, streamed members with data descriptors, directory entries,
an archive comment), and prints each path on its own line.
"""

import base64
import hashlib
import io
import os
import sys
import zipfile

FILES = {
    "pkg/__init__.py": b"VALUE = 1\n",
    "pkg/big.py": b"# filler line\n" * 500,
    "pkg/empty.py": b"",
    "pkg/data/blob.bin": bytes(range(256)),
    "pkg/donn\u00e9es.txt": "\u00e9t\u00e9".encode(),
    "demo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
}


def record() -> bytes:
    rows = []
    for name, data in FILES.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        rows.append(f"{name},sha256={digest.decode()},{len(data)}\n")
    rows.append("demo-1.0.dist-info/RECORD,,\n")
    return "".join(rows).encode()


def write(path: str, *, compression: int, zip64: bool, stream: bool, comment: bytes) -> None:
    members = dict(FILES)
    members["demo-1.0.dist-info/RECORD"] = record()
    if stream:
        # A non-seekable target makes zipfile write data descriptors.
        target = io.BytesIO()
        target.seekable = lambda: False  # type: ignore[method-assign]
    else:
        target = open(path, "wb")
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        archive.mkdir("pkg/") if hasattr(archive, "mkdir") else archive.writestr("pkg/", b"")
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = compression
            with archive.open(info, "w", force_zip64=zip64) as member:
                member.write(data)
        archive.comment = comment
    if stream:
        with open(path, "wb") as out:
            out.write(target.getvalue())
    else:
        target.close()


def main() -> None:
    out = sys.argv[1]
    cases = {
        "py-stored": dict(compression=zipfile.ZIP_STORED, zip64=False, stream=False, comment=b""),
        "py-deflated": dict(
            compression=zipfile.ZIP_DEFLATED, zip64=False, stream=False, comment=b"hi"
        ),
        "py-zip64": dict(compression=zipfile.ZIP_DEFLATED, zip64=True, stream=False, comment=b""),
        "py-streamed": dict(
            compression=zipfile.ZIP_DEFLATED, zip64=False, stream=True, comment=b""
        ),
        "py-streamed-zip64": dict(
            compression=zipfile.ZIP_STORED, zip64=True, stream=True, comment=b""
        ),
    }
    for label, options in cases.items():
        path = os.path.join(out, f"{label}.whl")
        write(path, **options)
        print(path)


if __name__ == "__main__":
    main()
