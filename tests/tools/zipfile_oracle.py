#!/usr/bin/env python3
"""The oracle of the differential archive test: what Python's zipfile sees.

For each archive named on the command line, prints one header line

    archive <TAB> PATH <TAB> ok <TAB> COUNT
    archive <TAB> PATH <TAB> error <TAB> REPR-OF-EXCEPTION

then, when ok, COUNT member lines, in central-directory order:

    member <TAB> HEX-OF-UTF8-NAME <TAB> CRC <TAB> SIZE <TAB> SHA256-OF-BYTES

Every member is read with ZipFile.read, which checks the local header name and
the CRC-32, so an archive whose bytes zipfile cannot produce is an error.
"""

import hashlib
import sys
import zipfile


def describe(path: str) -> list[str]:
    lines = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            name = info.filename.encode("utf-8", "surrogateescape").hex()
            digest = hashlib.sha256(data).hexdigest()
            lines.append(f"member\t{name}\t{info.CRC}\t{len(data)}\t{digest}")
    return lines


def main() -> None:
    for path in sys.argv[1:]:
        try:
            lines = describe(path)
        except Exception as error:
            print(f"archive\t{path}\terror\t{error!r}".replace("\n", " "))
            continue
        print(f"archive\t{path}\tok\t{len(lines)}")
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
