"""Real PyPI wheels imported from the store over a different, normally installed version."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import Env, new_env, pypi_wheel

#: Installed normally in the venv: what a plain `import` gives.
DEFAULTS = [
    "certifi==2024.2.2",
    "jaraco.functools==3.9.0",
    "more_itertools==10.2.0",
    "prompt_toolkit==3.0.52",
    "wcwidth==0.2.13",
    "markupsafe==3.0.2",
    "pillow==11.0.0",
]
#: Dropped into the store as wheels, each a version the default is not.
WHEELS = [
    "certifi==2023.7.22",
    "jaraco.context==4.3.0",
    "jaraco.functools==4.0.1",
    "prompt_toolkit==3.0.51",
    "markupsafe==3.0.1",
    "pillow==10.4.0",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, Path]:
    root = tmp_path_factory.mktemp("real")
    store = root / "store"
    store.mkdir()
    for requirement in WHEELS:
        wheel = pypi_wheel(requirement)
        shutil.copyfile(wheel, store / wheel.name)
    env = new_env(root / "venv", *(str(pypi_wheel(r)) for r in DEFAULTS))
    return env, store


def run_json(world: tuple[Env, Path], code: str, **extra: str) -> dict[str, object]:
    env, store = world
    result: dict[str, object] = env.run_json(code, env={"WHEELHOOK_PATH": str(store), **extra})
    return result


def test_certifi_finds_its_bundle_through_importlib_resources(world: tuple[Env, Path]) -> None:
    got = run_json(
        world,
        """
        __requires__ = ["certifi==2023.7.22"]
        import json, os, wheelhook, certifi
        where = certifi.where()
        print(json.dumps({
            "version": certifi.__version__,
            "where_is_file": os.path.isfile(where),
            "where": open(where).read(),
            "contents": certifi.contents(),
        }))
        """,
    )
    bundle = zipfile.ZipFile(pypi_wheel("certifi==2023.7.22")).read("certifi/cacert.pem").decode()
    assert got["version"] == "2023.07.22"
    assert got["where_is_file"] is True
    assert got["where"] == bundle
    assert got["contents"] == bundle


NAMESPACE = """
    {requires}
    import json, wheelhook
    import importlib.metadata as md
    import jaraco.context, jaraco.functools
    with jaraco.context.suppress(KeyError):
        {{}}["missing"]
    print(json.dumps({{
        "files": [jaraco.context.__file__, jaraco.functools.__file__],
        "versions": [md.version("jaraco.context"), md.version("jaraco.functools")],
        "path": list(jaraco.__path__),
        "compose": jaraco.functools.compose(str.upper, str.strip)("  ab "),
    }}))
"""


def test_two_wheels_share_a_namespace(world: tuple[Env, Path]) -> None:
    _env, store = world
    got = run_json(
        world,
        NAMESPACE.format(
            requires='__requires__ = ["jaraco.context==4.3.0", "jaraco.functools==4.0.1"]'
        ),
    )
    context = store / pypi_wheel("jaraco.context==4.3.0").name
    functools = store / pypi_wheel("jaraco.functools==4.0.1").name
    assert got["versions"] == ["4.3.0", "4.0.1"]
    assert got["files"] == [
        f"{context}/jaraco/context.py",
        f"{functools}/jaraco/functools/__init__.py",
    ]
    assert f"{context}/jaraco" in got["path"] and f"{functools}/jaraco" in got["path"]
    assert got["compose"] == "AB"


def test_a_wheel_joins_a_namespace_installed_in_site_packages(world: tuple[Env, Path]) -> None:
    env, store = world
    got = run_json(world, NAMESPACE.format(requires='__requires__ = ["jaraco.context==4.3.0"]'))
    context = store / pypi_wheel("jaraco.context==4.3.0").name
    assert got["versions"] == ["4.3.0", "3.9.0"]
    files = got["files"]
    assert isinstance(files, list)
    assert files[0] == f"{context}/jaraco/context.py"
    assert files[1] == str(env.site_packages / "jaraco" / "functools.py") or files[1] == str(
        env.site_packages / "jaraco" / "functools" / "__init__.py"
    )
    assert got["path"] == [f"{context}/jaraco", str(env.site_packages / "jaraco")]


def test_a_package_reading_its_version_from_metadata_sees_the_wheel(
    world: tuple[Env, Path],
) -> None:
    # prompt_toolkit sets __version__ = importlib.metadata.version("prompt_toolkit") on import.
    got = run_json(
        world,
        """
        __requires__ = ["prompt_toolkit==3.0.51"]
        import json, wheelhook, prompt_toolkit
        print(json.dumps({"version": prompt_toolkit.__version__, "file": prompt_toolkit.__file__}))
        """,
    )
    assert got["version"] == "3.0.51"
    assert ".whl/prompt_toolkit/__init__.py" in str(got["file"])
    plain = run_json(
        world,
        "import json, prompt_toolkit\nprint(json.dumps({'version': prompt_toolkit.__version__}))",
    )
    assert plain["version"] == "3.0.52"


def test_a_second_run_compiles_nothing(world: tuple[Env, Path], tmp_path: Path) -> None:
    program = """
        __requires__ = ["prompt_toolkit==3.0.51"]
        import json, wheelhook
        import prompt_toolkit, prompt_toolkit.shortcuts
        print(json.dumps(wheelhook.finder().stats()))
    """
    cache = str(tmp_path / "cache")
    first = run_json(world, program, WHEELHOOK_CACHE=cache)
    second = run_json(world, program, WHEELHOOK_CACHE=cache)
    assert isinstance(first["compiled"], int) and first["compiled"] > 50
    assert second["compiled"] == 0
    assert second["cache_hits"] == first["compiled"] + first["cache_hits"]


def test_markupsafe_gets_its_accelerator_from_the_wheel(world: tuple[Env, Path]) -> None:
    _env, store = world
    got = run_json(
        world,
        """
        __requires__ = ["markupsafe==3.0.1"]
        import importlib.metadata, json, sys, wheelhook, markupsafe
        speedups = sys.modules.get("markupsafe._speedups")
        print(json.dumps({
            "version": importlib.metadata.version("markupsafe"),
            # MarkupSafe 3 escapes in Python around the accelerator's `_escape_inner`.
            "accelerated": speedups is not None
                and markupsafe._escape_inner is speedups._escape_inner,
            "escaped": str(markupsafe.escape("<a href='x'>&</a>")),
            "file": markupsafe.__file__,
        }))
        """,
    )
    assert got["version"] == "3.0.1"
    assert got["file"] == f"{store / pypi_wheel('markupsafe==3.0.1').name}/markupsafe/__init__.py"
    assert got["accelerated"] is True, "the pure-Python fallback was used"
    assert got["escaped"] == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"


def test_pillow_loads_its_extension_and_bundled_libraries(world: tuple[Env, Path]) -> None:
    got = run_json(
        world,
        """
        __requires__ = ["pillow==10.4.0"]
        import io, json, wheelhook
        import PIL
        from PIL import Image, features
        image = Image.new("RGB", (4, 3), (200, 10, 30))
        out = {}
        for fmt in ("PNG", "JPEG", "WEBP"):
            buf = io.BytesIO()
            image.save(buf, fmt)
            buf.seek(0)
            back = Image.open(buf)
            back.load()
            out[fmt] = [back.format, list(back.size)]
        print(json.dumps({
            "version": PIL.__version__,
            "imaging": Image.core.__name__,
            "jpg": features.check("jpg"),
            "saved": out,
        }))
        """,
    )
    assert got["version"] == "10.4.0"
    assert got["imaging"] == "PIL._imaging"
    assert got["jpg"] is True
    assert got["saved"] == {f: [f, [4, 3]] for f in ("PNG", "JPEG", "WEBP")}
