"""`wheelhook.pkg_resources`: the run-time API of pkg_resources, and legacy code that calls it,
run from wheels in environments whose setuptools has no pkg_resources (82 and later).

The version, specifier and marker logic is checked against `packaging` (which the test
interpreter has); the compatibility module itself never needs it.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, new_env, pypi_wheel
from wheelhook import _native

#: Released before 2024, calling pkg_resources at import time or through entry points.
FS = "fs==2.4.16"  # declare_namespace at import, its openers through iter_entry_points
JSONSCHEMA = "jsonschema==3.0.2"  # get_distribution(__name__).version at import
PYGMENTS = "pygments==2.11.2"  # plugin lexers through iter_entry_points + load
#: Their requirements.
DEPENDENCIES = ["appdirs==1.4.4", "six==1.16.0", "attrs==23.1.0", "pyrsistent==0.19.3"]
SETUPTOOLS_WITHOUT = "setuptools==82.0.0"
SETUPTOOLS_WITH = "setuptools==69.5.1"

VERSIONS = [
    "0.9", "1.0.dev1", "1.0a1", "1.0a2.dev3", "1.0b1", "1.0rc1", "1.0", "1.0.0", "1.0+abc.5",
    "1.0+abc.7", "1.0+5", "1.0.post1.dev1", "1.0.post1", "1.0.1", "1.1.dev0", "1.10", "2!0.1",
    "1.0-RC2", "1.0_post3", "v1.2", "1.0c3", "1.0-1", "1.0.post1+local", "1.0a1.post2.dev3",
    "1!1.0", "1.0.0.0.1", "2.0.dev0", "2.0b2.post1", "1.0+Ubuntu-1", "1.0+1.abc", "1.0rc",
    "1.0.dev", "1.0a", " 1.0 ", "3.1.4.1.5", "0!0.0.1",
]  # fmt: skip
ATTRIBUTES = [
    "epoch", "release", "pre", "post", "dev", "local", "public", "base_version", "is_prerelease",
    "is_postrelease", "is_devrelease", "major", "minor", "micro",
]  # fmt: skip


def test_ok_versions_agree_with_packaging() -> None:
    from packaging.version import Version

    ours = sorted(VERSIONS, key=_native.Version)
    theirs = sorted(VERSIONS, key=Version)
    assert [str(Version(v)) for v in ours] == [str(Version(v)) for v in theirs]
    for v in VERSIONS:
        native = _native.Version(v)
        assert (str(native), repr(native)) == (str(Version(v)), repr(Version(v)))
        for attribute in ATTRIBUTES:
            assert getattr(native, attribute) == getattr(Version(v), attribute), (v, attribute)
        for w in VERSIONS:
            pair = (Version(v) < Version(w), Version(v) == Version(w), Version(v) >= Version(w))
            assert (native < _native.Version(w), native == _native.Version(w)) == pair[:2]
            assert (native >= _native.Version(w)) == pair[2], (v, w)
            if pair[1]:
                assert hash(native) == hash(_native.Version(w)), (v, w)
    assert (
        _native.Version("1.0") != "1.0"
        and len({_native.Version("1"), _native.Version("1.0.0")}) == 1
    )
    with pytest.raises(TypeError):
        _native.Version("1.0") < "2.0"  # noqa: B015


@pytest.mark.parametrize("text", ["not a version", "", "1.0+", "1..0", "1.0.x", "1.0+a_", "=1"])
def test_err_invalid_version(text: str) -> None:
    from packaging.version import InvalidVersion, Version

    with pytest.raises(InvalidVersion):
        Version(text)
    with pytest.raises(ValueError, match="invalid version"):
        _native.Version(text)


@pytest.mark.parametrize(
    "spec", ["==1.0", "!=1.0", ">=1.0", "<1.0.1", ">1.0", "<=1.0", "~=1.0", "~=1.0.0", "==1.*",
             "!=1.0.*", ">=1.0a1,<2", "===1.0", "==1.0+abc.5", "<1.0", ">1.0.dev1", ">1.0.post1",
             "<1.0rc1", "==1.0.*", "~=1!1.0", "==2!0.*", ">=1.0.post1.dev1", "!=1.0+5", "~=1.0a1",
             ">=0.9,!=1.0.*,<1.10", "==1", "===1.0+abc.5", "==1.0.0.0"],
)  # fmt: skip
def test_ok_specifiers_agree_with_packaging(spec: str) -> None:
    from packaging.specifiers import SpecifierSet
    from wheelhook import pkg_resources as pr

    req = pr.Requirement.parse(f"x{spec}")
    for v in VERSIONS:
        if spec.startswith("===") and v != v.strip():
            continue  # packaging compares `===` on the text as given, spaces included
        expected = SpecifierSet(spec).contains(v, prereleases=True)
        assert _native.specifier_contains(req.specifier, v) == expected, (spec, v)
        assert (v in req) == expected, (spec, v)


@pytest.mark.parametrize("spec", [">=", "~=1", "==1.*.0", "=>1.0", ">=1.0.*", "<>1"])
def test_err_invalid_specifier(spec: str) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    with pytest.raises(InvalidSpecifier):
        SpecifierSet(spec)
    with pytest.raises(ValueError, match="invalid specifier") as err:
        _native.specifier_contains(spec, "1.0")
    assert "\n" not in str(err.value) and spec in str(err.value)


@pytest.mark.parametrize(
    "marker",
    [
        'python_version >= "3.9"',
        'python_version < "3"',
        "sys_platform == 'linux' or os_name == 'nt'",
        '(python_version < "3.5") and extra == "scandir"',
        'extra == "Foo_Bar" and platform_python_implementation == "CPython"',
        '"linux" in sys_platform and platform_machine not in "arm64 aarch64"',
        'python_full_version != "3.0.1" and implementation_name == "cpython"',
        'extra == "scandir" or extra == "foo.bar"',
        'extra != "scandir"',
        '(extra == "scandir" or os_name == "nt") and python_version >= "3"',
        'os_name == "nt" or (sys_platform == "linux" and (extra == "foo-bar" or extra == "x"))',
        'os_name == "nt" and sys_platform == "linux" or python_version > "3.0"',
        'python_version ~= "3.0"',
        'python_version == "3.*"',
        "python_full_version >= '3.9.0a1'",
        '"3.9" <= python_version',
        'implementation_version > "3"',
        'platform_system == "Linux" and platform_release != ""',
    ],
)
def test_ok_markers_agree_with_packaging(marker: str) -> None:
    from packaging.markers import Marker

    for extra in ("", "scandir", "foo-bar", "Foo_Bar"):
        expected = Marker(marker).evaluate({"extra": extra})
        assert _native.evaluate_marker(marker, extra) == expected, (marker, extra)


@pytest.mark.parametrize(
    "marker",
    ["", "python_version", "python_version >=", '(python_version >= "3"', 'os_name == "nt")',
     'python_version >= "3" and', 'nonsense == "1"', 'os_name = "nt"', 'os_name == "nt" xor 1',
     "'linux' ~= sys_platform", '"a" == "b" == "c"', "extra =="],
)  # fmt: skip
def test_err_invalid_marker(marker: str) -> None:
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison

    with pytest.raises((InvalidMarker, UndefinedComparison)):
        Marker(marker).evaluate({"extra": ""})
    with pytest.raises(ValueError) as err:
        _native.evaluate_marker(marker, "")
    assert type(err.value) is ValueError


@pytest.mark.parametrize(
    "text",
    ["", "bad.>=1", "x >= 1.0 ;", "x (>=1", "x @", "x[", "x >=1.0 ; os_name ==",
     "x==1.0 extra", "-x"],
)  # fmt: skip
def test_err_invalid_requirement(text: str) -> None:
    from packaging.requirements import InvalidRequirement, Requirement
    from wheelhook import pkg_resources as pr

    with pytest.raises(InvalidRequirement):
        Requirement(text)
    with pytest.raises(ValueError, match="is invalid") as err:
        pr.Requirement.parse(text)
    assert type(err.value) is ValueError


def test_ok_requirements_and_entry_points_parse() -> None:
    from wheelhook import pkg_resources as pr

    req = pr.Requirement.parse("Foo_Bar[x, y] (>=1.0, <2) ; python_version > '3'")
    assert (req.project_name, req.key, req.extras) == ("Foo-Bar", "foo-bar", ("x", "y"))
    assert req.specs == [(">=", "1.0"), ("<", "2")] and req.marker == "python_version > '3'"
    assert "1.5" in req and "2.0" not in req
    lines = "a>=1\n# comment\n\nb[x] ; python_version > '3' # tail\nc \\\n  ==2\n"
    assert [str(r) for r in pr.parse_requirements(lines)] == [
        "a>=1",
        "b[x]; python_version > '3'",
        "c==2",
    ]
    ep = pr.EntryPoint.parse("main = pkg.mod:Class.attr [extra1, extra2]")
    assert (ep.name, ep.module_name, ep.attrs, ep.extras) == (
        "main",
        "pkg.mod",
        ("Class", "attr"),
        ("extra1", "extra2"),
    )
    assert str(ep) == "main = pkg.mod:Class.attr [extra1,extra2]"
    with pytest.raises(ValueError, match="format"):
        pr.EntryPoint.parse("no equals sign")
    with pytest.raises(AttributeError, match="'Environment' is not part of it"):
        pr.Environment  # noqa: B018


def _env(base: Path, setuptools: str) -> Env:
    env = new_env(base, str(pypi_wheel(setuptools)))
    env.run_args("-m", "wheelhook", "enable", "--pkg-resources")
    return env


@pytest.fixture(scope="module")
def legacy_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The legacy distributions and their requirements, and a Pygments plugin, as wheels."""
    store = tmp_path_factory.mktemp("legacy-store")
    for pin in [FS, JSONSCHEMA, PYGMENTS, *DEPENDENCIES, "six==1.15.0"]:
        shutil.copy(pypi_wheel(pin), store)
    plugin = """
        from pygments.lexer import RegexLexer
        from pygments.token import Keyword
        class DemoLexer(RegexLexer):
            name = "Demo"
            aliases = ["whdemo"]
            tokens = {"root": [(r".+", Keyword)]}
    """
    files = {
        "demo_lexer.py": plugin.replace("\n        ", "\n"),
        "demo_lexer-1.0.dist-info/entry_points.txt": "[pygments.lexers]\ndemo = demo_lexer:DemoLexer\n",
    }
    build_wheel(WheelSpec("demo-lexer", "1.0", files, requires=["pygments"]), store)
    opener = """
        from fs.memoryfs import MemoryFS
        from fs.opener import Opener
        class DemoOpener(Opener):
            protocols = ["whmem"]
            def open_fs(self, fs_url, parse_result, writeable, create, cwd):
                return MemoryFS()
    """
    files = {
        "demo_opener.py": opener.replace("\n        ", "\n"),
        "demo_opener-1.0.dist-info/entry_points.txt": "[fs.opener]\nwhmem = demo_opener:DemoOpener\n",
    }
    build_wheel(WheelSpec("demo-opener", "1.0", files, requires=["fs"]), store)
    return store


@pytest.fixture(scope="module")
def without(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """setuptools 82 (no pkg_resources), `enable --pkg-resources`."""
    return _env(tmp_path_factory.mktemp("without"), SETUPTOOLS_WITHOUT)


def run(env: Env, store: Path, code: str) -> dict[str, object]:
    variables = {"WHEELHOOK_PATH": str(store), "PYTHONWARNINGS": "ignore"}
    result: dict[str, object] = env.run_json(code, env=variables)
    return result


def test_ok_legacy_code_runs_from_wheels(without: Env, legacy_store: Path) -> None:
    out = run(
        without,
        legacy_store,
        """
        __requires__ = ["fs==2.4.16", "jsonschema==3.0.2", "pygments==2.11.2", "demo-lexer==1.0",
                        "demo-opener==1.0"]
        import json, importlib.metadata
        import fs, jsonschema, pkg_resources
        from pygments.lexers import get_lexer_by_name
        with fs.open_fs("whmem://") as mem:  # the opener found through iter_entry_points
            mem.writetext("a.txt", "hello")
            text = [type(mem).__name__, mem.readtext("a.txt")]
        jsonschema.validate({"a": 1}, {"properties": {"a": {"type": "integer"}}})
        print(json.dumps({
            "pkg_resources": pkg_resources.__name__,
            "setuptools": importlib.metadata.version("setuptools"),
            "fs": [fs.__version__, text, "whmem" in fs.opener.registry.protocols],
            "jsonschema": jsonschema.__version__,
            "lexer": type(get_lexer_by_name("whdemo")).__name__,
        }))
        """,
    )
    assert out["pkg_resources"] == "wheelhook.pkg_resources"
    assert out["fs"] == ["2.4.16", ["MemoryFS", "hello"], True]
    assert out["setuptools"] == "82.0.0"
    assert out["jsonschema"] == "3.0.2"
    assert out["lexer"] == "DemoLexer"


def test_ok_multi_version_example(without: Env, legacy_store: Path) -> None:
    """The pkg_resources documentation's multi-version example: `__requires__` set before
    `import pkg_resources` selects the version; `require` then says what is active."""
    out = run(
        without,
        legacy_store,
        """
        __requires__ = ["six==1.15.0"]
        import json, pkg_resources
        dists = pkg_resources.require("six==1.15.0")
        import six
        try:
            pkg_resources.require("six==1.16.0")
        except pkg_resources.VersionConflict as e:
            conflict = str(e)
        ws = pkg_resources.working_set
        dist = pkg_resources.get_distribution("six")
        print(json.dumps({
            "six": six.__version__,
            "require": [str(d) for d in dists],
            "conflict": conflict,
            "location": dist.location,
            "in": dist in ws and "six" in ws.by_key and ws.find(dist.as_requirement()) == dist,
            "parsed": [str(dist.parsed_version), type(dist.parsed_version).__module__],
            "metadata": "Version: 1.15.0" in dist.get_metadata_lines("METADATA"),
        }))
        """,
    )
    assert out["six"] == "1.15.0" and out["require"] == ["six 1.15.0"]
    assert "1.16.0" in str(out["conflict"])
    assert str(out["location"]).endswith("six-1.15.0-py2.py3-none-any.whl")
    assert (
        out["in"] is True
        and out["parsed"] == ["1.15.0", "wheelhook._native"]
        and out["metadata"] is True
    )


def test_ok_entry_point_load_checks_requirements(without: Env, legacy_store: Path) -> None:
    out = run(
        without,
        legacy_store,
        """
        import json, pkg_resources
        pkg_resources.require("demo-lexer==1.0")
        dist = pkg_resources.get_distribution("demo-lexer")
        ep = dist.get_entry_info("pygments.lexers", "demo")
        requires = [str(r) for r in dist.requires()]
        cls = ep.load()
        try:
            dist.requires(["nope"])
        except pkg_resources.UnknownExtra as e:
            unknown = str(e)
        listed = [str(e) for e in pkg_resources.iter_entry_points("pygments.lexers")]
        print(json.dumps({"cls": cls.__name__, "requires": requires, "unknown": unknown,
                          "listed": listed, "map": list(dist.get_entry_map())}))
        """,
    )
    assert out == {
        "cls": "DemoLexer",
        "requires": ["pygments"],
        "unknown": "demo-lexer 1.0 has no such extra feature 'nope'",
        "listed": ["demo = demo_lexer:DemoLexer"],
        "map": ["pygments.lexers"],
    }
    # An entry point's extras are checked before it is loaded, as pkg_resources did.
    spec = WheelSpec(
        "needy",
        "1.0",
        {
            "needy.py": "X = 1\n",
            "needy-1.0.dist-info/entry_points.txt": "[demo]\nx = needy:X [more]\n",
        },
        requires=["absent-dist>=1; extra == 'more'"],
        extras=["more"],
    )
    store = legacy_store.parent / "needy-store"
    store.mkdir(exist_ok=True)
    build_wheel(spec, store)
    site = legacy_store.parent / "needy-site"
    with zipfile.ZipFile(
        build_wheel(WheelSpec("plain", "2.0", {"plain.py": ""}), site.parent)
    ) as zf:
        zf.extractall(site)
    out = run(
        without,
        store,
        f"""
        import json, pkg_resources
        pkg_resources.require("needy==1.0")
        (ep,) = pkg_resources.iter_entry_points("demo", "x")
        try:
            ep.load()
        except pkg_resources.DistributionNotFound as e:
            missing = str(e)
        before = "plain" in pkg_resources.working_set.by_key
        pkg_resources.working_set.add_entry({str(site)!r})
        print(json.dumps({{
            "missing": missing,
            "resolved": [ep.resolve(), ep.load(require=False)],
            "added": [before, str(pkg_resources.working_set.by_key["plain"])],
        }}))
        """,
    )
    assert "absent-dist" in str(out["missing"])
    assert out["resolved"] == [1, 1] and out["added"] == [False, "plain 2.0"]


def test_ok_resources_through_pkg_resources(without: Env, legacy_store: Path) -> None:
    out = run(
        without,
        legacy_store,
        """
        import json, os, pkg_resources
        pkg_resources.require("pygments==2.11.2")
        name = pkg_resources.resource_filename("pygments", "styles")
        print(json.dumps({
            "isdir": os.path.isdir(name) and pkg_resources.resource_isdir("pygments", "styles"),
            "listed": "monokai.py" in pkg_resources.resource_listdir("pygments", "styles"),
            "exists": [pkg_resources.resource_exists("pygments", p) for p in ("lexer.py", "nope")],
            "string": pkg_resources.resource_string("pygments", "styles/monokai.py")[:3].decode(),
            "stream": pkg_resources.resource_stream("pygments", "lexer.py").read(3).decode(),
        }))
        """,
    )
    assert out["isdir"] is True and out["listed"] is True
    assert out["exists"] == [True, False]
    assert out["string"] == out["stream"] == '"""'


def test_ok_never_shadows_a_real_pkg_resources(
    tmp_path: Path, without: Env, legacy_store: Path
) -> None:
    code = "import json, pkg_resources; print(json.dumps([pkg_resources.__name__, pkg_resources.__file__]))"
    name, file = without.run_json(code)
    assert name == "wheelhook.pkg_resources"
    # setuptools before 82 has one: it is what `import pkg_resources` gives.
    with_it = _env(tmp_path / "with", SETUPTOOLS_WITH)
    name, file = with_it.run_json(code)
    assert name == "pkg_resources" and str(with_it.site_packages) in file
    # A setuptools wheel activated from the store is found before the alias too.
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(pypi_wheel(SETUPTOOLS_WITH), store)
    code = "import wheelhook; wheelhook.require('setuptools==69.5.1'); " + code
    # (setuptools' `.pth` imports its `_distutils_hack` at start-up unless told otherwise.)
    variables = {"WHEELHOOK_PATH": str(store), "SETUPTOOLS_USE_DISTUTILS": "stdlib"}
    name, file = without.run_json(code, env=variables)
    assert name == "pkg_resources" and "setuptools-69.5.1-py3-none-any.whl" in file
    # Enabled without the flag: no alias.
    without.run_args("-m", "wheelhook", "enable")
    try:
        proc = without.run_args("-c", "import pkg_resources", check=False)
        assert "No module named 'pkg_resources'" in proc.stderr
    finally:
        without.run_args("-m", "wheelhook", "enable", "--pkg-resources")
