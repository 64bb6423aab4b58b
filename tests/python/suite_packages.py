"""The test-suite table: real distributions whose own test suites run against a dropped wheel.

Each suite runs twice, offline, in two venvs built from the pins below: once with the NEW version
served by wheelhook from a dropped wheel while the OLD version is installed normally in the same
venv (`python -m wheelhook run --with NAME==NEW ... -m pytest`), and once with the NEW version
installed normally. The pass/fail sets per test node id must be identical, and a probe plugin
(`suite_probe.py`) records where each run imported the package from and which version it saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Suite:
    """One distribution whose own tests run from its wheel and from a normal install."""

    #: The distribution name, as given to `require()`.
    name: str
    #: The version served from the dropped wheel and installed normally in the reference venv.
    new: str
    #: The version installed normally in the venv where NEW is served from the wheel.
    old: str
    #: What its wheel holds: "pure", "C ext", "Cython", "mypyc".
    kind: str
    #: The top-level modules its tests import (the probe checks each comes from the wheel).
    modules: tuple[str, ...]
    #: Where the tests come from: "sdist" (copied out, without the package's own source, so
    #: they can only import the served package) or "wheel" (they ship inside the package and
    #: run with `--pyargs`, from the served copy itself).
    source: str
    #: For "sdist": the files and directories, relative to the sdist root, copied next to its
    #: pytest configuration (`SRC:DEST` copies SRC to DEST, to take tests out of the package
    #: directory). For "wheel": the package holding the tests, for `--pyargs`.
    tests: tuple[str, ...]
    #: Compiled extension modules that must be loaded (from wheelhook's cache, for the wheel).
    native: tuple[str, ...] = ()
    #: Node ids deselected on both sides, with the reason (network, missing tools...).
    deselect: dict[str, str] = field(default_factory=dict)
    #: Whether the suite takes long (> ~20 s): then it runs only with `pytest -m suites`.
    slow: bool = False
    #: Extra pytest arguments given to both sides.
    args: tuple[str, ...] = ()
    #: The suite uses hypothesis: both sides get `--hypothesis-seed=0` and no deadline.
    hypothesis: bool = False
    #: Markers the suite uses without registering them (a plugin it expects registers them), so
    #: that its `filterwarnings = error` does not turn them into errors: registered by the probe.
    markers: tuple[str, ...] = ()
    #: Serve the wheel from a copy unpacked into the private cache (`WHEELHOOK_UNPACK`): the
    #: reason, when the suite needs real files and directories.
    unpack: str | None = None
    #: Node ids whose outcome differs under wheelhook, with the cause: each must still differ
    #: (the equivalent of `xfail(strict=True)` per node), everything else must be identical.
    differs: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.name}-{self.new}"


#: What the test suites themselves need, installed normally on both sides (exact pins; the
#: markers are evaluated by pip for the interpreter the venvs are made from).
TEST_DEPS = [
    "pytest==8.3.5",
    "pluggy==1.5.0",
    "iniconfig==2.0.0",
    'exceptiongroup==1.2.2; python_version < "3.11"',
    'tomli==2.2.1; python_version < "3.11"',
    "hypothesis==6.122.3",
    "sortedcontainers==2.4.0",
    "freezegun==1.5.1",
    "pretend==1.0.9",
    "pympler==1.1",
    "cloudpickle==3.1.0",
]

TABLE = [
    Suite("six", "1.17.0", "1.16.0", "pure", ("six",), "sdist", ("test_six.py",)),
    Suite("idna", "3.10", "3.7", "pure", ("idna",), "sdist", ("tests",)),
    Suite(
        "markupsafe",
        "3.0.2",
        "3.0.1",
        "C ext",
        ("markupsafe",),
        "sdist",
        ("tests",),
        native=("markupsafe._speedups",),
    ),
    Suite(
        "pyyaml",
        "6.0.3",
        "6.0.2",
        "Cython",
        ("yaml",),
        "sdist",
        ("tests/legacy_tests",),
        native=("yaml._yaml",),
        slow=True,
    ),
    Suite(
        "msgpack",
        "1.1.1",
        "1.1.0",
        "Cython",
        ("msgpack",),
        "sdist",
        ("test",),
        native=("msgpack._cmsgpack",),
    ),
    Suite(
        "simplejson",
        "3.20.1",
        "3.19.3",
        "C ext",
        ("simplejson",),
        "wheel",
        ("simplejson.tests",),
        native=("simplejson._speedups",),
        unpack="pytest collects `--pyargs` packages from directories on disk: a package inside an"
        " archive is 'not found' (as under zipimport), so the wheel is served unpacked",
    ),
    Suite(
        "more-itertools",
        "10.5.0",
        "10.4.0",
        "pure",
        ("more_itertools",),
        "sdist",
        ("tests",),
        slow=True,
    ),
    Suite("packaging", "24.2", "24.1", "pure", ("packaging",), "sdist", ("tests",), slow=True),
    # attrs 24.2.0's TestPipe::test_wrapped_annotation fails under CPython 3.11.7 and 3.12.1, on
    # both sides alike (an upstream test of annotations, kept: identical outcomes are the point).
    Suite(
        "attrs",
        "24.2.0",
        "23.2.0",
        "pure",
        ("attr", "attrs"),
        "sdist",
        ("tests",),
        slow=True,
        hypothesis=True,
    ),
    Suite(
        "python-dateutil",
        "2.9.0.post0",
        "2.8.2",
        "pure",
        ("dateutil",),
        "sdist",
        ("tests",),
        hypothesis=True,
        markers=("no_cover: pytest-cov's marker, used by the suite's conftest",),
        slow=True,
    ),
    Suite(
        "wrapt",
        "1.17.2",
        "1.17.0",
        "C ext",
        ("wrapt",),
        "sdist",
        ("tests",),
        native=("wrapt._wrappers",),
    ),
    Suite(
        "toolz",
        "1.0.0",
        "0.12.1",
        "pure",
        ("toolz", "tlz"),
        "sdist",
        # The wheel ships toolz/tests too, but without an `__init__.py`: `--pyargs` cannot name it.
        ("toolz/tests:tests",),
    ),
    Suite(
        "ujson",
        "5.11.0",
        "5.10.0",
        "C ext",
        ("ujson",),
        "sdist",
        ("tests",),
        native=("ujson",),
    ),
]

#: Every pin of the reference venv (NEW versions) and of the wheel venv (OLD versions).
NEW_PINS = [f"{s.name}=={s.new}" for s in TABLE]
OLD_PINS = [f"{s.name}=={s.old}" for s in TABLE]
