"""The start-up trigger (`_boot`) keeps literal copies of the package's constants, because it
must not import the package: each copy is pinned to its one home, `wheelhook._constants`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from wheelhook import _boot, _constants

COPIES = [
    ("DISABLE_ENV", _constants.DISABLE_ENV),
    ("REQUIRES_ENV", _constants.REQUIRES_ENV),
    ("LOCK_ENV", _constants.LOCK_ENV),
    ("SCRIPT_MARK", _constants.SCRIPT_MARK.encode()),
]


@pytest.mark.parametrize(("name", "home"), COPIES, ids=[name for name, _ in COPIES])
def test_ok_boot_copy_equals_its_home(name: str, home: object) -> None:
    assert getattr(_boot, name) == home


def test_ok_boot_imports_only_os_and_sys_at_run_time() -> None:
    tree = ast.parse(Path(_boot.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:  # top level only: the `if TYPE_CHECKING:` block never runs
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"os", "sys"}
