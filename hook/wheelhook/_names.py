"""Distribution names as the packaging specifications compare them."""

import re

__all__ = ["normalize"]


def normalize(name: str) -> str:
    """The PEP 503 normalised form of a distribution name: runs of `-`, `_` and `.` become one
    `-`, and the name is lowercased.
    <https://packaging.python.org/en/latest/specifications/name-normalization/>
    Ex) `Jaraco.Functools` -> `jaraco-functools`"""
    return re.sub(r"[-_.]+", "-", name).lower()
