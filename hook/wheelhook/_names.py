"""Distribution names as the packaging specifications compare them."""

__all__ = ["normalize"]


def normalize(name: str) -> str:
    """The PEP 503 normalised form of a distribution name: runs of `-`, `_` and `.` become one
    `-`, and the name is lowercased. Written without `re`, which a fast start (`wheelhook tool`)
    does not otherwise import.
    <https://packaging.python.org/en/latest/specifications/name-normalization/>
    Ex) `Jaraco.Functools` -> `jaraco-functools`"""
    out = name.lower().replace("_", "-").replace(".", "-")
    while "--" in out:
        out = out.replace("--", "-")
    return out
