"""Reference answers from `packaging` for the differential test of tests/rust/markers_differential.rs.

Reads a table of rows (tab-separated, one per line) and prints one answer line per row:

    spec   SPECIFIERS VERSION    -> ok|<contains, pre-releases admitted>|<names a pre-release>|<contains, pre-releases as named>
    marker MARKER EXTRA ENV(11)  -> ok|<evaluates true>   or  error (evaluation raised)
    req    REQUIREMENT           -> ok|name|extras|specifiers|url|<marker true on the fixed environment>

Anything that does not parse answers `invalid`. Usage: python3 requirements_oracle.py TABLE
"""

from __future__ import annotations

import sys

from packaging.markers import InvalidMarker, Marker, UndefinedComparison
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

MARKER_NAMES = [
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
]

FIXED_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "3.11.7",
    "python_version": "3.11",
    "sys_platform": "linux",
    "extra": "",
}


def flag(value: bool) -> str:
    return "1" if value else "0"


def normal_specifiers(specifiers: SpecifierSet) -> str:
    """Each clause as operator + normalised version, sorted, comma-joined."""
    parts = []
    for spec in specifiers:
        version = spec.version
        if spec.operator == "===":
            parts.append(f"==={version}")
        elif version.endswith(".*"):
            parts.append(f"{spec.operator}{Version(version[:-2])}.*")
        else:
            parts.append(f"{spec.operator}{Version(version)}")
    return ",".join(sorted(parts))


def answer_spec(specifiers: str, version: str) -> str:
    try:
        spec_set = SpecifierSet(specifiers)
        parsed = Version(version)
    except (InvalidSpecifier, InvalidVersion):
        return "invalid"
    names = spec_set.prereleases is True
    return f"ok|{flag(spec_set.contains(parsed, prereleases=True))}|{flag(names)}|{flag(spec_set.contains(parsed, prereleases=names))}"


def answer_marker(marker: str, extra: str, env: list[str]) -> str:
    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return "invalid"
    environment = dict(zip(MARKER_NAMES, env))
    environment["extra"] = extra
    try:
        return "ok|" + flag(parsed.evaluate(environment))
    except (UndefinedComparison, InvalidVersion, TypeError, ValueError):
        return "error"


def answer_req(text: str) -> str:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return "invalid"
    extras = ",".join(sorted(canonicalize_name(e) for e in req.extras))
    try:
        marker = "1" if req.marker is None else flag(req.marker.evaluate(dict(FIXED_ENV)))
    except (UndefinedComparison, InvalidVersion, TypeError, ValueError):
        marker = "error"
    return "ok|{}|{}|{}|{}|{}".format(
        canonicalize_name(req.name),
        extras,
        normal_specifiers(req.specifier),
        req.url or "",
        marker,
    )


def main() -> None:
    out = []
    with open(sys.argv[1], encoding="utf-8") as table:
        for line in table:
            fields = line.rstrip("\n").split("\t")
            kind = fields[0]
            if kind == "spec":
                out.append(answer_spec(fields[1], fields[2]))
            elif kind == "marker":
                out.append(answer_marker(fields[1], fields[2], fields[3:]))
            elif kind == "req":
                out.append(answer_req(fields[1]))
            else:
                raise SystemExit(f"unknown row kind {kind!r}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
