"""PEP 440 versions, PEP 508 requirements and markers, in plain Python, for `wheelhook.pkg_resources`.

wheelhook imports no distribution of yours for its own needs, so the compatibility module does
not need `packaging` (setuptools vendored it; with setuptools 82 and later nothing provides it
unless it is installed). The comparisons are PEP 440's, as `packaging` makes them.
<https://packaging.python.org/en/latest/specifications/version-specifiers/>
"""

from __future__ import annotations

import operator
import os
import platform
import re
import sys

from wheelhook._names import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Version", "evaluate_marker", "parse_requirement", "specifier_contains"]

_VERSION = re.compile(
    r"""^\s*v?(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?P<dev>[-_.]?dev[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PRE = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}


class Version:
    """A PEP 440 version: ordered, hashable, and printed in its normal form (`1.0-RC1` ->
    `1.0rc1`). Raises `ValueError` for text that is not one."""

    def __init__(self, text: str) -> None:
        m = _VERSION.match(text)
        if m is None:
            raise ValueError(f"invalid version: {text!r}")
        self.epoch = int(m["epoch"] or 0)
        self.release = tuple(int(p) for p in m["release"].split("."))
        self.pre = (_PRE.get(m["pre_l"].lower(), "rc"), int(m["pre_n"] or 0)) if m["pre"] else None
        post = m["post_n1"] or m["post_n2"]
        self.post = int(post or 0) if m["post"] else None
        self.dev = int(m["dev_n"] or 0) if m["dev"] else None
        self.local = m["local"].lower().replace("-", ".").replace("_", ".") if m["local"] else None
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        # Pre-releases sort before the release, dev releases before their pre- or post-release.
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[object, ...] = (-1,)
        else:
            pre = (2,) if self.pre is None else (1, self.pre[0], self.pre[1])
        local = (
            ()
            if self.local is None
            else tuple((1, int(s), "") if s.isdigit() else (0, 0, s) for s in self.local.split("."))
        )
        self._key = (
            self.epoch,
            tuple(release),
            pre,
            (0,) if self.post is None else (1, self.post),
            (2,) if self.dev is None else (1, self.dev),
            local,
        )

    @property
    def public(self) -> str:
        return str(self).split("+")[0]

    @property
    def base_version(self) -> str:
        epoch = f"{self.epoch}!" if self.epoch else ""
        return epoch + ".".join(map(str, self.release))

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    @property
    def is_postrelease(self) -> bool:
        return self.post is not None

    def __str__(self) -> str:
        text = self.base_version
        if self.pre is not None:
            text += f"{self.pre[0]}{self.pre[1]}"
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text + (f"+{self.local}" if self.local else "")

    def __repr__(self) -> str:
        return f"<Version({str(self)!r})>"

    def __hash__(self) -> int:
        return hash(self._key)

    def _cmp(self, other: object, op: Callable[[Any, Any], Any]) -> bool:
        if isinstance(other, str):
            other = Version(other)
        if not isinstance(other, Version):
            unsupported: bool = NotImplemented
            return unsupported
        return bool(op(self._key, other._key))

    def __eq__(self, other: object) -> bool:
        return self._cmp(other, operator.eq)

    def __ne__(self, other: object) -> bool:
        return self._cmp(other, operator.ne)

    def __lt__(self, other: object) -> bool:
        return self._cmp(other, operator.lt)

    def __le__(self, other: object) -> bool:
        return self._cmp(other, operator.le)

    def __gt__(self, other: object) -> bool:
        return self._cmp(other, operator.gt)

    def __ge__(self, other: object) -> bool:
        return self._cmp(other, operator.ge)


def _release_prefix(version: Version, spec: str) -> bool:
    """`==spec.*`: the release starts with `spec`'s (padded with zeros), epochs equal."""
    want = Version(spec)
    have = version.release + (0,) * max(0, len(want.release) - len(version.release))
    return version.epoch == want.epoch and have[: len(want.release)] == want.release


def _one(version: Version, op: str, spec: str) -> bool:
    if op == "===":
        return str(version) == spec
    if op in ("==", "!=") and spec.endswith(".*"):
        return _release_prefix(version, spec[:-2]) == (op == "==")
    want = Version(spec)
    # A specifier without a local label ignores the candidate's.
    have = version if want.local else Version(version.public)
    if op == "~=":
        prefix = ".".join(map(str, want.release[:-1]))
        return have >= want and _release_prefix(version, f"{want.epoch}!{prefix}")
    same_release = Version(have.base_version) == Version(want.base_version)
    if op == ">":  # not a post-release (or local version) of the version itself
        return have > want and not (same_release and have.is_postrelease and not want.post)
    if op == "<":  # not a pre-release of the version itself
        return have < want and not (same_release and have.is_prerelease and not want.is_prerelease)
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "==": operator.eq,
        "!=": operator.ne,
        "<=": operator.le,
        ">=": operator.ge,
        "<": operator.lt,
        ">": operator.gt,
    }
    return bool(ops[op](have, want))


def specifier_contains(specs: list[tuple[str, str]], version: str | Version) -> bool:
    """Whether `version` satisfies every `(operator, version)` pair (pre-releases included, as
    `pkg_resources.Requirement.__contains__` has it)."""
    try:
        parsed = version if isinstance(version, Version) else Version(version)
    except ValueError:
        return all(op == "===" and spec == str(version) for op, spec in specs)
    return all(_one(parsed, op, spec) for op, spec in specs)


_REQUIREMENT = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
    (?:\[(?P<extras>[^\]]*)\])?\s*
    (?:@\s*(?P<url>[^\s;]+)\s*|\(?(?P<specs>[^;()]*)\)?\s*)
    (?:;\s*(?P<marker>.+?))?\s*$""",
    re.VERBOSE,
)
_SPEC = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,]+)\s*$")


def parse_requirement(
    text: str,
) -> tuple[str, tuple[str, ...], list[tuple[str, str]], str | None, str | None]:
    """A PEP 508 requirement's parts: name, extras, specs (`(op, version)` pairs), url, marker.
    Raises `ValueError` naming the text."""
    m = _REQUIREMENT.match(text)
    if m is None:
        raise ValueError(f"invalid requirement: {text!r}")
    specs = []
    for part in filter(None, (p.strip() for p in (m["specs"] or "").split(","))):
        s = _SPEC.match(part)
        if s is None:
            raise ValueError(f"invalid requirement: {text!r}: bad specifier {part!r}")
        specs.append((s[1], s[2]))
    extras = tuple(e.strip() for e in (m["extras"] or "").split(",") if e.strip())
    return m["name"], extras, specs, m["url"], m["marker"]


def marker_environment() -> dict[str, str]:
    """PEP 508's marker variables for this interpreter."""
    info = sys.implementation.version
    impl = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        impl += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": impl,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b)
    |(?P<bool>and\b|or\b)|(?P<paren>[()])|(?P<var>[a-z_]+))""",
    re.VERBOSE,
)


def _tokens(marker: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(marker.rstrip()):
        m = _TOKEN.match(marker, pos)
        if m is None:
            raise ValueError(f"invalid marker: {marker!r} at {marker[pos:]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m[kind]))
        pos = m.end()
    return out


def _compare(left: str, op: str, right: str) -> bool:
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    try:
        return specifier_contains([(op, right)], Version(left))
    except ValueError:  # not versions: compared as strings
        if op in ("==", "==="):
            return left == right
        if op == "!=":
            return left != right
        return False


def evaluate_marker(marker: str, extra: str = "") -> bool:
    """Whether a PEP 508 marker holds here, `extra` being the extra asked for (`""`: none)."""
    env = marker_environment()
    env["extra"] = normalize(extra) if extra else ""
    tokens = _tokens(marker)
    pos = 0

    def value() -> tuple[str, bool]:
        nonlocal pos
        kind, text = tokens[pos]
        pos += 1
        if kind == "str":
            return text[1:-1], False
        if kind == "var" and text in env:
            return env[text], text == "extra"
        raise ValueError(f"invalid marker: {marker!r}: unexpected {text!r}")

    def atom() -> bool:
        nonlocal pos
        if tokens[pos] == ("paren", "("):
            pos += 1
            result = expr()
            pos += 1  # ")"
            return result
        left, left_extra = value()
        kind, op = tokens[pos]
        if kind != "op":
            raise ValueError(f"invalid marker: {marker!r}: expected an operator, not {op!r}")
        pos += 1
        right, right_extra = value()
        op = " ".join(op.split())
        if left_extra or right_extra:  # extra names compare normalised
            left, right = normalize(left), normalize(right)
        return _compare(left, op, right)

    def expr() -> bool:
        nonlocal pos
        result = conjunction()
        while pos < len(tokens) and tokens[pos] == ("bool", "or"):
            pos += 1
            result = conjunction() or result
        return result

    def conjunction() -> bool:
        nonlocal pos
        result = atom()
        while pos < len(tokens) and tokens[pos] == ("bool", "and"):
            pos += 1
            result = atom() and result
        return result

    return expr()
