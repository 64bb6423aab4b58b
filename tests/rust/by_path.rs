//! The choice to serve a wheel unpacked, from its member names and sources, on built archives.

use std::path::Path;

use _native::archive::Archive;
use _native::import::{by_path, ByPath};

use crate::zipbuild::{Member, Zip};

fn choice(files: &[(&str, &str)]) -> Option<ByPath> {
    let members = files
        .iter()
        .map(|(n, d)| Member::deflated(n, d.as_bytes()))
        .collect();
    let bytes = Zip::wheel(members).build();
    let archive = Archive::from_bytes(Path::new("demo-1.0-py3-none-any.whl"), &bytes).unwrap();
    by_path(&archive)
}

fn data(member: &str) -> Option<ByPath> {
    Some(ByPath::Data(member.to_owned()))
}

fn file_ref(member: &str) -> Option<ByPath> {
    Some(ByPath::FileRef(member.to_owned()))
}

#[test]
fn ok_rule_branches() {
    let init = "X = 1\n";
    let reads = "import os\nHERE = os.path.dirname(__file__)\n";
    for (files, want) in [
        // Pure Python, stubs, marker, bytecode: the archive.
        (
            vec![
                ("demo/__init__.py", init),
                ("demo/a.pyi", init),
                ("demo/py.typed", ""),
                ("demo/__pycache__/a.cpython-311.pyc", "\0"),
            ],
            None,
        ),
        // A data file of a package (the first one found is named).
        (
            vec![("demo/__init__.py", init), ("demo/zoneinfo/CET", "tz")],
            data("demo/zoneinfo/CET"),
        ),
        // A header counts (numpy.get_include()); sources left by Cython and C builds do not.
        (
            vec![("demo/__init__.py", init), ("demo/include/demo.h", "")],
            data("demo/include/demo.h"),
        ),
        (
            vec![
                ("demo/__init__.py", init),
                ("demo/_x.pyx", ""),
                ("demo/_x.pxd", ""),
                ("demo/_x.c", ""),
                ("demo/_x.cpython-311-x86_64-linux-gnu.so", "\x7fELF"),
            ],
            None,
        ),
        // An extension beside a data file (mypyc's Grammar.txt).
        (
            vec![
                ("demo/pygram.cpython-311-x86_64-linux-gnu.so", "\x7fELF"),
                ("demo/Grammar.txt", "file_input"),
            ],
            data("demo/Grammar.txt"),
        ),
        // Bundled libraries and directories that are no package are not data.
        (
            vec![
                ("demo/__init__.py", init),
                ("demo.libs/libz-1234.so.1.2.13", "\x7fELF"),
                ("rust/Cargo.toml", "[package]"),
            ],
            None,
        ),
        // Under .data/platlib it is a package's; under .data/data it is not.
        (
            vec![
                ("demo-1.0.data/platlib/demo/__init__.py", init),
                ("demo-1.0.data/platlib/demo/v.json", "{}"),
            ],
            data("demo/v.json"),
        ),
        (
            vec![
                ("demo/__init__.py", init),
                ("demo-1.0.data/data/share/demo/v.json", "{}"),
            ],
            None,
        ),
        // A source that mentions __file__, in a package or at the top.
        (
            vec![("demo/__init__.py", init), ("demo/models.py", reads)],
            file_ref("demo/models.py"),
        ),
        (vec![("demo.py", reads)], file_ref("demo.py")),
    ] {
        assert_eq!(choice(&files), want, "{files:?}");
    }
}
