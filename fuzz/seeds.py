"""Writes the seed corpora for the fuzz targets into fuzz/corpus/<target>/.

Seeds are the hostile and accepted wheels the safety tests build (tests/python/safety_zip.py,
test_safety_drop.py), their dist-info files, the wheel filenames of tests/data, and some PEP 508
requirements. Run with the test venv's python (it needs pytest and wheelhook importable).
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import test_safety_drop  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"

REQUIREMENTS = [
    "six",
    "six==1.16.0",
    "requests[security,socks]>=2.8.1,==2.8.*; python_version < '2.7'",
    "name @ https://example.com/x-1.0-py3-none-any.whl",
    "A.B-C_D ~= 1.2.3",
    "pkg!=1.*,<3",
    "pkg; os_name == 'nt' and (extra == 'test' or platform_machine in 'x86_64 aarch64')",
    "pkg (>=1.0)",
    "pkg===1.0+local",
    "pkg>=1.0.post1.dev2; implementation_name != 'pypy'",
    "x; '3.9' <= python_full_version",
    "x[]",
    "x <= 2 ,  > 1",
    # Inputs that made pep508_rs panic (now refused or caught): regression seeds.
    "si[ni_",
    "six[WW_\r\0W",
    "x; 'linux' ~= sys_platform",
    "bad.>=1",
]


def put(target: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> int:
    wheels = [case.build() for case in test_safety_drop.HOSTILE]
    wheels += [build() for build in test_safety_drop.ACCEPTED.values()]
    for data in wheels:
        if len(data) <= 64 << 10:
            put("archive", data)
        try:
            import io

            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    for which, suffix in enumerate(["/METADATA", "/WHEEL", "/RECORD"]):
                        if info.filename.endswith(suffix):
                            put("dist_info", bytes([which]) + zf.read(info))
        except Exception:
            continue  # zipfile refuses it too; the archive seed is enough
    for listing in sorted((ROOT / "tests" / "data").glob("wheel-filenames*.txt")):
        for line in listing.read_text().splitlines():
            if line and not line.startswith("#"):
                put("wheel_filename", line.encode())
    for requirement in REQUIREMENTS:
        put("requirement", requirement.encode())
    counts = {p.name: len(list(p.iterdir())) for p in sorted(CORPUS.iterdir())}
    print("seeds:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
