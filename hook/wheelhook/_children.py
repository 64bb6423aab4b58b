"""Child processes get the parent's versions.

`WHEELHOOK_REQUIRES` (the pinned set, set by every activation) reaches every child through its
environment; a child that loads wheelhook activates it. A `multiprocessing` child started by
spawn or forkserver may never import wheelhook by itself (the main module does not, or does so
only under `if __name__ == "__main__":`), yet it unpickles objects whose classes live in wheel
modules. So, once something is activated, the preparation data multiprocessing sends to each
such child carries one extra entry whose unpickling activates the pins: the child unpickles
that data before it re-imports the main module and before it unpickles the process object.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

#: The key added to multiprocessing's preparation data (its `prepare()` ignores unknown keys).
PREPARATION_KEY = "wheelhook_requires"
SPAWN_MODULE = "multiprocessing.spawn"


def activate_pins(pins: str) -> str:
    """Runs in the child while it unpickles the preparation data: activates `pins`."""
    from wheelhook._constants import REQUIRES_ENV

    os.environ[REQUIRES_ENV] = pins
    import wheelhook  # activates WHEELHOOK_REQUIRES when first imported

    wheelhook.require(pins)
    return pins


class Pins:
    """Pickles as a call to `activate_pins` in the process that unpickles it."""

    def __init__(self, pins: str) -> None:
        self.pins = pins

    def __reduce__(self) -> "tuple[Callable[[str], str], tuple[str]]":
        return (activate_pins, (self.pins,))


def patch(spawn: "ModuleType") -> None:
    """Wraps `multiprocessing.spawn.get_preparation_data` (once)."""
    original: Callable[[str], dict[str, Any]] = getattr(spawn, "get_preparation_data")  # noqa: B009
    if getattr(original, "__wheelhook__", False):
        return

    def get_preparation_data(name: str) -> "dict[str, Any]":
        data: dict[str, Any] = original(name)
        from wheelhook._constants import REQUIRES_ENV

        pins = os.environ.get(REQUIRES_ENV, "")
        if pins:
            data[PREPARATION_KEY] = Pins(pins)
        return data

    get_preparation_data.__wheelhook__ = True  # type: ignore[attr-defined]
    get_preparation_data.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(spawn, "get_preparation_data", get_preparation_data)  # noqa: B010


class _PatchOnLoad:
    """Loader wrapper: patches `multiprocessing.spawn` right after it executes."""

    def __init__(self, loader: "Any") -> None:
        self.loader = loader

    def create_module(self, spec: "ModuleSpec") -> "ModuleType | None":
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: "ModuleType") -> None:
        self.loader.exec_module(module)
        patch(module)

    def __getattr__(self, name: str) -> "Any":
        return getattr(self.loader, name)


def _spawn_spec(
    fullname: str, path: "Sequence[str] | None", target: "ModuleType | None"
) -> "ModuleSpec | None":
    """The finder's one-shot hook for `multiprocessing.spawn`: the spec the other finders give,
    its loader wrapped so the module is patched as soon as it has run."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        # The wheelhook finder answers None now: its hook for this name has been used.
        spec: ModuleSpec | None = None if find is None else find(fullname, path, target)
        if spec is not None:
            if spec.loader is not None:
                spec.loader = _PatchOnLoad(spec.loader)  # type: ignore[assignment]
            return spec
    return None
