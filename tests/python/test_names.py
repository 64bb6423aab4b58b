"""PEP 503 name normalisation agrees with packaging's `canonicalize_name`."""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name
from wheelhook._names import normalize


@pytest.mark.parametrize(
    "name",
    [
        "six",
        "Jaraco.Functools",
        "zope.interface",
        "typing_extensions",
        "A__B..C--D",
        "a-_.-b",
        "PyYAML",
        "ruamel.yaml.clib",
        "x",
        "Ünïcode_Name",
    ],
)
def test_ok_normalize_matches_packaging(name: str) -> None:
    assert normalize(name) == canonicalize_name(name)
