"""The compatibility table: widely used PyPI distributions, each with a small real smoke check.

Each entry is imported from its wheel (and its dependencies' wheels) through `WHEELHOOK_PATH` +
`wheelhook.require("name==version")` in a venv where only wheelhook is installed; the check
then exercises what users rely on: C extensions, bundled shared libraries, data files read
through `importlib.resources` / `pkgutil.get_data`, entry points, meta-path tricks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Compat:
    """One distribution of the sweep."""

    #: The distribution name, as given to `require()`.
    name: str
    version: str
    #: What its wheel holds: "pure", "C ext", "mypyc", "Cython", "Rust", "C++", "cffi".
    kind: str
    #: The top-level module the smoke check imports first (it must come from the wheel).
    module: str
    #: Python code run after activation; an exception or failed assert is a failure.
    smoke: str
    #: What the check exercises, when a distribution has more than one entry.
    label: str = ""
    #: An inherent limit (the package reads its files by path, not through its loader): why it
    #: fails. The test is `xfail(strict=True)`, so it turns red the day it passes.
    limit: str | None = None
    #: A wheelhook bug, not yet fixed: the cause. Also `xfail(strict=True)`.
    bug: str | None = None
    #: For a limit or a bug: text its error output must contain (any other failure is a failure).
    symptom: str = ""
    #: `require(..., unpack=)`: `None` lets wheelhook choose; `False` serves from the archive.
    unpack: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.name}-{self.version}" + (f"-{self.label}" if self.label else "")


#: Smoke checks run twice: as wheelhook chooses (unpacked: a pass) and forced to serve from the
#: archive (an inherent limit).
JINJA2_PACKAGE_LOADER = """
        import jinja2
        loader = jinja2.PackageLoader("jinja2", ".")
        assert "nodes.py" in loader.list_templates()
"""

LXML_SCHEMATRON = """
        from lxml import etree, isoschematron
        schema = isoschematron.Schematron(etree.XML(
            "<schema xmlns='http://purl.oclc.org/dsdl/schematron'><pattern><rule context='a'>"
            "<assert test='@n'>a needs n</assert></rule></pattern></schema>"))
        assert schema.validate(etree.XML("<a n='1'/>")) and not schema.validate(etree.XML("<a/>"))
"""

PYTZ_TIMEZONE = """
        import datetime, pytz
        paris = pytz.timezone("Europe/Paris")
        summer = paris.localize(datetime.datetime(2024, 7, 1, 12))
        assert summer.utcoffset() == datetime.timedelta(hours=2)
        assert summer.astimezone(pytz.utc).hour == 10
"""

#: Every wheel the sweep needs, dependencies included, pinned so the sweep is reproducible.
PINS = [
    "aiohappyeyeballs==2.7.1",
    "aiohttp==3.11.10",
    "aiosignal==1.4.0",
    "annotated-types==0.8.0",
    "attrs==24.2.0",
    "certifi==2024.8.30",
    "cffi==1.17.1",
    "charset-normalizer==3.4.0",
    "click==8.1.7",
    "cryptography==44.0.0",
    "decorator==5.1.1",
    "frozenlist==1.5.0",
    "greenlet==3.5.6",
    "idna==3.10",
    "jinja2==3.1.4",
    "lxml==5.3.0",
    "markdown-it-py==4.3.0",
    "markupsafe==3.0.2",
    "mdurl==0.1.2",
    "msgpack==1.1.0",
    "multidict==6.1.0",
    "numpy==2.1.3",
    "orjson==3.10.12",
    "packaging==24.2",
    "pluggy==1.5.0",
    "propcache==0.5.4",
    "psutil==6.1.0",
    "pycparser==2.22",
    "pydantic==2.10.3",
    "pydantic-core==2.27.1",
    "pygments==2.18.0",
    "python-dateutil==2.9.0.post0",
    "pytz==2024.2",
    "pyyaml==6.0.2",
    "regex==2024.11.6",
    "requests==2.32.3",
    "rich==13.9.4",
    "simplejson==3.19.3",
    "six==1.16.0",
    "sqlalchemy==2.0.36",
    "tomli==2.2.1",
    "typing-extensions==4.12.2",
    "tzdata==2024.2",
    "ujson==5.10.0",
    "urllib3==2.2.3",
    "wrapt==1.17.0",
    "yarl==1.18.3",
]

#: `native(mod)`: the named module is loaded and is a compiled extension (not a pure fallback).
HELPERS = """
import importlib.machinery, sys
def native(name):
    mod = sys.modules.get(name) or __import__(name, fromlist=["_"])
    origin = getattr(mod, "__file__", "") or ""
    assert origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), (name, origin)
"""

TABLE = [
    Compat(
        "requests",
        "2.32.3",
        "pure",
        "requests",
        """
        import os, requests
        req = requests.Request("GET", "https://example.com/a b", params={"q": "x y"}).prepare()
        assert req.url == "https://example.com/a%20b?q=x+y", req.url
        assert os.path.isfile(requests.certs.where())
        with open(requests.certs.where()) as f:
            assert "BEGIN CERTIFICATE" in f.read()
        """,
    ),
    Compat(
        "urllib3",
        "2.2.3",
        "pure",
        "urllib3",
        """
        import urllib3
        url = urllib3.util.parse_url("https://user@host:8443/p?q=1#f")
        assert (url.host, url.port, url.query) == ("host", 8443, "q=1")
        assert urllib3.PoolManager(num_pools=2).connection_from_url("http://h").host == "h"
        """,
    ),
    Compat(
        "idna",
        "3.10",
        "pure",
        "idna",
        """
        import idna
        assert idna.encode("ドメイン.テスト") == b"xn--eckwd4c7c.xn--zckzah"
        assert idna.decode(b"xn--eckwd4c7c.xn--zckzah") == "ドメイン.テスト"
        """,
    ),
    Compat(
        "charset-normalizer",
        "3.4.0",
        "mypyc",
        "charset_normalizer",
        """
        from charset_normalizer import from_bytes
        text = "Привет, мир! Это проверка определения кодировки текста."
        best = from_bytes(text.encode("cp1251")).best()
        assert best is not None and str(best) == text, best
        native("charset_normalizer.md")
        """,
    ),
    Compat(
        "certifi",
        "2024.8.30",
        "pure",
        "certifi",
        """
        import os, certifi
        assert os.path.isfile(certifi.where())
        assert "BEGIN CERTIFICATE" in certifi.contents()
        """,
    ),
    Compat(
        "attrs",
        "24.2.0",
        "pure",
        "attrs",
        """
        import attrs
        @attrs.define
        class P:
            x: int
            y: int = attrs.field(default=0, validator=attrs.validators.instance_of(int))
        assert attrs.asdict(attrs.evolve(P(1), y=2)) == {"x": 1, "y": 2}
        try:
            P(1, "no")
        except TypeError:
            pass
        else:
            raise AssertionError("validator did not run")
        """,
    ),
    Compat(
        "click",
        "8.1.7",
        "pure",
        "click",
        """
        import click
        from click.testing import CliRunner
        @click.command()
        @click.option("--n", type=int, default=1)
        @click.argument("name")
        def hello(n, name):
            click.echo(f"hi {name} " * n)
        out = CliRunner().invoke(hello, ["--n", "2", "bob"])
        assert out.exit_code == 0 and out.output == "hi bob hi bob \\n", out.output
        assert "Usage: hello" in CliRunner().invoke(hello, ["--help"]).output
        """,
    ),
    Compat(
        "jinja2",
        "3.1.4",
        "pure",
        "jinja2",
        """
        import jinja2
        env = jinja2.Environment(autoescape=True)
        out = env.from_string("{% for x in xs %}<{{ x }}>{% endfor %}").render(xs=["a&b", "<c>"])
        assert out == "<a&amp;b><&lt;c&gt;>", out
        native("markupsafe._speedups")
        """,
    ),
    Compat(
        "jinja2",
        "3.1.4",
        "pure",
        "jinja2",
        JINJA2_PACKAGE_LOADER,
        label="PackageLoader",
    ),
    Compat(
        "markupsafe",
        "3.0.2",
        "C ext",
        "markupsafe",
        """
        import markupsafe
        assert str(markupsafe.escape("<a href='x'>")) == "&lt;a href=&#39;x&#39;&gt;"
        native("markupsafe._speedups")
        """,
    ),
    Compat(
        "pyyaml",
        "6.0.2",
        "C ext",
        "yaml",
        """
        import yaml
        assert yaml.__with_libyaml__
        data = {"a": [1, 2.5, None, True], "b": {"c": "d"}}
        text = yaml.dump(data, Dumper=yaml.CSafeDumper)
        assert yaml.load(text, Loader=yaml.CSafeLoader) == data
        native("yaml._yaml")
        """,
    ),
    Compat(
        "packaging",
        "24.2",
        "pure",
        "packaging",
        """
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
        from packaging.tags import sys_tags
        from packaging.version import Version
        assert Version("1.10") > Version("1.9")
        assert SpecifierSet(">=1,<2").contains("1.5")
        assert Requirement("a[b]>=1; python_version>'3'").marker.evaluate()
        assert next(iter(sys_tags())).interpreter.startswith("cp")
        """,
    ),
    Compat(
        "pluggy",
        "1.5.0",
        "pure",
        "pluggy",
        """
        import pluggy
        spec, impl = pluggy.HookspecMarker("p"), pluggy.HookimplMarker("p")
        class Spec:
            @spec
            def add(self, x): ...
        class A:
            @impl
            def add(self, x): return x + 1
        class B:
            @impl
            def add(self, x): return x * 10
        pm = pluggy.PluginManager("p")
        pm.add_hookspecs(Spec)
        pm.register(A())
        pm.register(B())
        assert sorted(pm.hook.add(x=2)) == [3, 20]
        """,
    ),
    Compat(
        "tomli",
        "2.2.1",
        "mypyc",
        "tomli",
        """
        import tomli
        assert tomli.loads('a = 1\\n[t]\\nb = "x"\\nc = [1, 2]\\n') == {"a": 1, "t": {"b": "x", "c": [1, 2]}}
        if sys.version_info >= (3, 11):  # tomli 2.2.1 is compiled only for 3.11+
            native("tomli._parser")
        """,
    ),
    Compat(
        "rich",
        "13.9.4",
        "pure",
        "rich",
        """
        import io
        from rich.console import Console
        from rich.markdown import Markdown
        from rich.syntax import Syntax
        from rich.table import Table
        console = Console(file=io.StringIO(), width=60, color_system="truecolor", force_terminal=True)
        table = Table("name", "value")
        table.add_row("pi", "3.14")
        console.print(table, Markdown("# Title\\n\\n* item :smile:"), Syntax("def f(): pass", "python"))
        console.print(":thumbs_up: [bold red]done[/]")
        out = console.file.getvalue()
        assert "3.14" in out and "Title" in out and "\\N{THUMBS UP SIGN}" in out, out
        assert "\\x1b[" in out  # styled
        """,
    ),
    Compat(
        "pygments",
        "2.18.0",
        "pure",
        "pygments",
        """
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_all_lexers, get_lexer_by_name, guess_lexer_for_filename
        from pygments.styles import get_all_styles
        html = highlight("def f(): pass", get_lexer_by_name("python"), HtmlFormatter())
        assert '<span class="k">def</span>' in html, html
        assert guess_lexer_for_filename("x.rs", "fn main() {}").name == "Rust"
        assert len(list(get_all_lexers())) > 300
        assert "monokai" in set(get_all_styles())
        """,
    ),
    Compat(
        "typing-extensions",
        "4.12.2",
        "pure",
        "typing_extensions",
        """
        import typing_extensions as te
        class M(te.TypedDict):
            a: te.Annotated[int, "meta"]
            b: te.NotRequired[str]
        assert te.is_typeddict(M) and M.__required_keys__ == frozenset({"a"})
        assert te.get_type_hints(M, include_extras=True)["a"].__metadata__ == ("meta",)
        """,
    ),
    Compat(
        "six",
        "1.16.0",
        "pure",
        "six",
        """
        import six
        from six.moves.urllib.parse import quote
        from six.moves import range as srange
        assert quote("a b") == "a%20b" and list(srange(2)) == [0, 1]
        assert six.ensure_text(b"x") == "x"
        """,
    ),
    Compat(
        "python-dateutil",
        "2.9.0.post0",
        "pure",
        "dateutil",
        """
        import datetime
        from dateutil import parser, relativedelta, rrule, tz
        from dateutil.zoneinfo import get_zonefile_instance
        d = parser.parse("2024-03-10T12:30:00+02:00")
        assert d.utcoffset() == datetime.timedelta(hours=2)
        assert d + relativedelta.relativedelta(months=+1, day=31) == parser.parse("2024-04-30T12:30:00+02:00")
        assert len(list(rrule.rrule(rrule.DAILY, count=3, dtstart=d))) == 3
        # The bundled zoneinfo tarball, read with pkgutil.get_data.
        paris = get_zonefile_instance().get("Europe/Paris")
        assert paris is not None
        assert datetime.datetime(2024, 7, 1, tzinfo=paris).utcoffset() == datetime.timedelta(hours=2)
        assert tz.gettz("UTC") is not None
        """,
    ),
    Compat(
        "pytz",
        "2024.2",
        "pure",
        "pytz",
        PYTZ_TIMEZONE,
    ),
    Compat(
        "tzdata",
        "2024.2",
        "pure",
        "tzdata",
        """
        import datetime, importlib.resources, zoneinfo
        assert importlib.resources.files("tzdata.zoneinfo").joinpath("Europe/Paris").read_bytes()[:4] == b"TZif"
        zoneinfo.reset_tzpath(to=[])  # no system zoneinfo: only the tzdata package
        paris = zoneinfo.ZoneInfo("Europe/Paris")
        assert datetime.datetime(2024, 1, 1, tzinfo=paris).utcoffset() == datetime.timedelta(hours=1)
        assert "America/New_York" in zoneinfo.available_timezones()
        """,
    ),
    Compat(
        "msgpack",
        "1.1.0",
        "Cython",
        "msgpack",
        """
        import msgpack
        data = {"a": [1, 2.5, None, b"bin"], "b": {"c": True}}
        assert msgpack.unpackb(msgpack.packb(data), raw=False) == data
        native("msgpack._cmsgpack")
        """,
    ),
    Compat(
        "orjson",
        "3.10.12",
        "Rust",
        "orjson",
        """
        import datetime, orjson
        data = {"a": [1, 2.5, None], "t": datetime.datetime(2024, 1, 2, 3, 4, 5)}
        out = orjson.dumps(data)
        assert out == b'{"a":[1,2.5,null],"t":"2024-01-02T03:04:05"}', out
        assert orjson.loads(out)["a"] == [1, 2.5, None]
        native("orjson.orjson")
        """,
    ),
    Compat(
        "ujson",
        "5.10.0",
        "C ext",
        "ujson",
        """
        import ujson
        assert ujson.loads(ujson.dumps({"a": [1, "é"]}, ensure_ascii=False)) == {"a": [1, "é"]}
        native("ujson")
        """,
    ),
    Compat(
        "regex",
        "2024.11.6",
        "C ext",
        "regex",
        """
        import regex
        assert regex.match(r"(?<w>\\p{L}+)", "héllo wörld").group("w") == "héllo"
        assert regex.fullmatch(r"(?:colour){e<=1}", "color") is not None
        native("regex._regex")
        """,
    ),
    Compat(
        "lxml",
        "5.3.0",
        "Cython",
        "lxml",
        """
        from lxml import etree, html
        root = etree.fromstring("<a xmlns:x='urn:x'><x:b n='1'>t</x:b></a>")
        assert root.xpath("//x:b/@n", namespaces={"x": "urn:x"}) == ["1"]
        xslt = etree.XSLT(etree.fromstring(
            "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
            "<xsl:template match='/'><out><xsl:value-of select='count(//*)'/></out></xsl:template>"
            "</xsl:stylesheet>"))
        assert str(xslt(root)).strip().endswith("<out>2</out>"), str(xslt(root))
        assert html.fromstring("<p>hi <b>there</b></p>").text_content() == "hi there"
        native("lxml.etree")
        """,
    ),
    Compat(
        "lxml",
        "5.3.0",
        "Cython",
        "lxml",
        LXML_SCHEMATRON,
        label="isoschematron",
    ),
    Compat(
        "pydantic",
        "2.10.3",
        "pure",
        "pydantic",
        """
        import pydantic
        class User(pydantic.BaseModel):
            id: int
            tags: list[str] = []
        assert User.model_validate({"id": "3", "tags": ["a"]}).id == 3
        try:
            User(id="x")
        except pydantic.ValidationError as e:
            assert e.errors()[0]["type"] == "int_parsing"
        else:
            raise AssertionError("no ValidationError")
        assert User.model_json_schema()["required"] == ["id"]
        native("pydantic_core._pydantic_core")
        """,
    ),
    Compat(
        "pydantic-core",
        "2.27.1",
        "Rust",
        "pydantic_core",
        """
        from pydantic_core import SchemaValidator, core_schema
        v = SchemaValidator(core_schema.list_schema(core_schema.int_schema()))
        assert v.validate_python(["1", 2]) == [1, 2]
        assert v.validate_json("[3]") == [3]
        """,
    ),
    Compat(
        "sqlalchemy",
        "2.0.36",
        "Cython",
        "sqlalchemy",
        """
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
        class Base(DeclarativeBase):
            pass
        class Item(Base):
            __tablename__ = "item"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]
        engine = sa.create_engine("sqlite://")
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            s.add_all([Item(name="a"), Item(name="b")])
            s.commit()
            assert s.scalars(sa.select(Item.name).order_by(Item.name.desc())).all() == ["b", "a"]
        from sqlalchemy.util import _has_cy
        assert _has_cy.HAS_CYEXTENSION
        """,
    ),
    Compat(
        "greenlet",
        "3.5.6",
        "C++",
        "greenlet",
        """
        import greenlet
        def child(x):
            y = greenlet.getcurrent().parent.switch(x + 1)
            return y * 2
        g = greenlet.greenlet(child)
        assert g.switch(1) == 2 and g.switch(5) == 10 and g.dead
        native("greenlet._greenlet")
        """,
    ),
    Compat(
        "numpy",
        "2.1.3",
        "C ext + bundled libs",
        "numpy",
        """
        import numpy as np
        a = np.arange(6, dtype=float).reshape(2, 3)
        assert (a @ np.ones(3)).tolist() == [3.0, 12.0]
        m = np.array([[2.0, 1.0], [1.0, 3.0]])
        assert np.allclose(np.linalg.inv(m) @ m, np.eye(2))  # LAPACK from numpy.libs' OpenBLAS
        assert np.random.default_rng(0).integers(0, 10, 5).shape == (5,)
        assert np.fft.fft(np.ones(4))[0] == 4
        # Build tools hand this directory to a compiler: a real one, holding the headers.
        assert os.path.isfile(os.path.join(np.get_include(), "numpy", "arrayobject.h"))
        """,
    ),
    Compat(
        "cffi",
        "1.17.1",
        "C ext + bundled libs",
        "cffi",
        """
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("int abs(int); size_t strlen(const char *);")
        libc = ffi.dlopen(None)
        assert libc.abs(-3) == 3 and libc.strlen(b"four") == 4
        native("_cffi_backend")
        """,
    ),
    Compat(
        "pycparser",
        "2.22",
        "pure",
        "pycparser",
        """
        from pycparser import c_parser
        ast = c_parser.CParser().parse("int f(int a) { return a + 1; }")
        assert ast.ext[0].decl.name == "f"
        """,
    ),
    Compat(
        "cryptography",
        "44.0.0",
        "Rust + cffi",
        "cryptography",
        """
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ed25519
        f = Fernet(Fernet.generate_key())
        assert f.decrypt(f.encrypt(b"secret")) == b"secret"
        h = hashes.Hash(hashes.SHA256())
        h.update(b"abc")
        assert h.finalize().hex().startswith("ba7816bf")
        key = ed25519.Ed25519PrivateKey.generate()
        key.public_key().verify(key.sign(b"m"), b"m")
        native("cryptography.hazmat.bindings._rust")
        """,
    ),
    Compat(
        "aiohttp",
        "3.11.10",
        "Cython",
        "aiohttp",
        """
        import asyncio
        from aiohttp import ClientSession, web
        import yarl
        async def hello(request):
            return web.json_response({"name": request.match_info["name"], "q": request.query["q"]})
        async def main():
            app = web.Application()
            app.router.add_get("/hi/{name}", hello)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = yarl.URL.build(scheme="http", host="127.0.0.1", port=port, path="/hi/bob", query={"q": "a b"})
            try:
                async with ClientSession() as s, s.get(url) as r:
                    return r.status, await r.json()
            finally:
                await runner.cleanup()
        assert asyncio.run(main()) == (200, {"name": "bob", "q": "a b"})
        native("aiohttp._http_parser")
        """,
    ),
    Compat(
        "multidict",
        "6.1.0",
        "C ext",
        "multidict",
        """
        import multidict
        d = multidict.CIMultiDict([("A", "1"), ("a", "2")])
        assert d.getall("A") == ["1", "2"]
        native("multidict._multidict")
        """,
    ),
    Compat(
        "yarl",
        "1.18.3",
        "Cython",
        "yarl",
        """
        import yarl
        u = yarl.URL("http://user@例え.jp/path with space?q=1")
        assert u.raw_host == "xn--r8jz45g.jp" and u.path == "/path with space" and u.query["q"] == "1"
        assert str(u.with_query(a="b c")).endswith("?a=b+c")
        native("yarl._quoting_c")
        """,
    ),
    Compat(
        "frozenlist",
        "1.5.0",
        "Cython",
        "frozenlist",
        """
        import frozenlist
        fl = frozenlist.FrozenList([1, 2])
        fl.freeze()
        try:
            fl.append(3)
        except RuntimeError:
            pass
        else:
            raise AssertionError("frozen list grew")
        native("frozenlist._frozenlist")
        """,
    ),
    Compat(
        "psutil",
        "6.1.0",
        "C ext",
        "psutil",
        """
        import os, psutil
        assert psutil.cpu_count() >= 1
        p = psutil.Process()
        assert p.pid == os.getpid() and p.memory_info().rss > 0
        assert psutil.virtual_memory().total > 0
        native("psutil._psutil_linux")
        """,
    ),
    Compat(
        "simplejson",
        "3.19.3",
        "C ext",
        "simplejson",
        """
        import decimal, simplejson
        assert simplejson.dumps({"d": decimal.Decimal("1.10")}) == '{"d": 1.10}'
        assert simplejson.loads("[1.5]", use_decimal=True) == [decimal.Decimal("1.5")]
        native("simplejson._speedups")
        """,
    ),
    Compat(
        "wrapt",
        "1.17.0",
        "C ext",
        "wrapt",
        """
        import inspect, wrapt
        @wrapt.decorator
        def twice(wrapped, instance, args, kwargs):
            return wrapped(*args, **kwargs) * 2
        @twice
        def f(x: int) -> int:
            "doc"
            return x + 1
        assert f(1) == 4 and f.__doc__ == "doc" and str(inspect.signature(f)) == "(x: int) -> int"
        native("wrapt._wrappers")
        """,
    ),
    Compat(
        "decorator",
        "5.1.1",
        "pure",
        "decorator",
        """
        import inspect
        from decorator import decorator
        @decorator
        def traced(func, *args, **kw):
            return ("traced", func(*args, **kw))
        @traced
        def g(a, b=2):
            return a + b
        assert g(1) == ("traced", 3) and str(inspect.signature(g)) == "(a, b=2)"
        """,
    ),
    Compat(
        "jinja2",
        "3.1.4",
        "pure",
        "jinja2",
        JINJA2_PACKAGE_LOADER,
        label="PackageLoader-archive",
        unpack=False,
        limit=(
            "jinja2.PackageLoader knows two layouts: a zipimport.zipimporter, or a package"
            " directory that os.path.isdir() accepts; any other loader is refused with"
            ' "not installed in a way that PackageLoader understands" (use a FunctionLoader'
            " over importlib.resources instead)"
        ),
        symptom="not installed in a way that PackageLoader understands",
    ),
    Compat(
        "lxml",
        "5.3.0",
        "Cython",
        "lxml",
        LXML_SCHEMATRON,
        label="isoschematron-archive",
        unpack=False,
        limit=(
            "lxml.isoschematron has libxml2 parse its XSLT files from"
            " os.path.dirname(__file__) + '/resources/...' at import: C code opening a path"
            " inside the archive"
        ),
        symptom="failed to load external entity",
    ),
    Compat(
        "pytz",
        "2024.2",
        "pure",
        "pytz",
        PYTZ_TIMEZONE,
        label="archive",
        unpack=False,
        limit=(
            "pytz opens its zoneinfo files with open(os.path.join(os.path.dirname(__file__), ...)),"
            " a path inside the archive; it falls back on pkg_resources.resource_stream (which reads"
            " through the loader and works) only when setuptools < 82 is installed"
        ),
        symptom="UnknownTimeZoneError: 'Europe/Paris'",
    ),
]


#: The pins that publish no wheel for an older interpreter, and the version the sweep takes there
#: instead (the newest with one, compatible with the rest of the table): everything else is the
#: same on every interpreter.
OLDER_PYTHONS: dict[tuple[int, int], dict[str, str]] = {
    (3, 9): {
        "aiohappyeyeballs": "2.6.1",
        "annotated-types": "0.7.0",
        "greenlet": "3.2.4",
        "markdown-it-py": "3.0.0",
        "numpy": "2.0.2",
        "propcache": "0.3.2",
    },
}


#: Dependencies that only older interpreters need (by their dependents' markers).
CONDITIONAL_PINS = {
    "async-timeout==5.0.1": (3, 11),  # aiohttp, below 3.11
}


def _pin_for_this_python() -> None:
    versions = OLDER_PYTHONS.get(sys.version_info[:2], {})
    PINS[:] = [
        f"{name}=={versions.get(name, version)}"
        for name, _, version in (pin.partition("==") for pin in PINS)
    ]
    PINS.extend(pin for pin, below in CONDITIONAL_PINS.items() if sys.version_info < below)
    TABLE[:] = [replace(e, version=versions.get(e.name, e.version)) for e in TABLE]


_pin_for_this_python()
