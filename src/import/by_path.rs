//! Which wheels are served from an unpacked copy by default: those whose packages read their own
//! files by path, told apart by what the wheel holds, and the overrides a user gives.
//!
//! A module served from the archive has `__file__` inside the `.whl`, as with zipimport; code that
//! opens `os.path.dirname(__file__) + "/zoneinfo/CET"` or `os.scandir()`s its own directory fails
//! there. The rule, decided once when a wheel is first activated (and kept in the activation
//! cache), unpacks a wheel when one of its import packages
//! - ships a data file: anything but Python sources, stubs, bytecode, native code, `py.typed` and
//!   the C/Cython sources left beside compiled modules (pytz's zoneinfo, numpy's headers for
//!   `get_include()`, lxml's XSLT, jinja2 templates, black's `Grammar.txt` beside its mypyc
//!   extensions, which are materialised into the same directory), or
//! - has a Python source that mentions `__file__` (transformers' `scandir` of its `models/`,
//!   test suites run with `pytest --pyargs`).
//!
//! Otherwise (six, requests, click, attrs, msgpack...) the archive serves it: no copy on disk.

use std::fmt;
use std::str::FromStr;

use crate::archive::Archive;
use crate::wheel::PackageName;
use crate::wheel::{is_identifier, is_native};

/// Why a wheel is served from an unpacked copy by default. Ex) `data pytz/zoneinfo/CET`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByPath {
    /// A package ships this data file (its name inside the package's root).
    Data(String),
    /// This source mentions `__file__`.
    FileRef(String),
}

impl fmt::Display for ByPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Data(member) => write!(f, "data {member}"),
            Self::FileRef(member) => write!(f, "file-ref {member}"),
        }
    }
}

impl FromStr for ByPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(' ') {
            Some(("data", member)) if !member.is_empty() => Ok(Self::Data(member.to_owned())),
            Some(("file-ref", member)) if !member.is_empty() => {
                Ok(Self::FileRef(member.to_owned()))
            }
            _ => Err(format!("not a reason to unpack: \"{s}\"")),
        }
    }
}

/// Endings of the files a package holds that are never read by path: code the import system
/// loads, and the sources of compiled modules (Cython, C) that build tools leave in wheels.
/// Headers (`.h`) are not among them: `numpy.get_include()` hands their directory to compilers.
const NOT_DATA: &[&str] = &[
    ".py", ".pyi", ".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".c", ".cc", ".cpp",
];

/// Whether `member` (a path below an importable root) is a data file of an import package.
fn is_data(member: &str) -> bool {
    let leaf = member.rsplit('/').next().unwrap_or(member);
    !is_native(member) && leaf != "py.typed" && !NOT_DATA.iter().any(|e| leaf.ends_with(e))
}

/// The path below its importable root (`""`, `<name>.data/purelib/`, `<name>.data/platlib/`)
/// of a member; `None` for `.dist-info` and the other `.data` directories.
fn root_path(member: &str) -> Option<&str> {
    let Some((head, rest)) = member.split_once('/') else {
        return Some(member);
    };
    if head.ends_with(".data") {
        let (scheme, below) = rest.split_once('/')?;
        (scheme == "purelib" || scheme == "platlib").then_some(below)
    } else if head.ends_with(".dist-info") {
        None
    } else {
        Some(member)
    }
}

/// The first component of a path. Ex) `pytz` for `pytz/zoneinfo/CET`
fn top(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// Why `archive` should be served unpacked, or `None` to serve it from the archive. Member names
/// decide first; sources are read only when they do not (so once per wheel without data files).
pub fn by_path(archive: &Archive) -> Option<ByPath> {
    let members = || {
        archive
            .members()
            .iter()
            .filter(|m| !m.is_dir)
            .filter_map(|m| Some((m, root_path(&m.name)?)))
            // Not `numpy.libs/`; a file at the top is a module, or no package's.
            .filter(|(_, path)| !path.contains('/') || is_identifier(top(path)))
    };
    // A directory is an import package when it holds a module; `rust/Cargo.toml` beside
    // cryptography's packages is no package's file, nor is a file beside the top modules.
    let packages: std::collections::HashSet<&str> = members()
        .filter(|(_, path)| path.contains('/') && !is_data(path))
        .map(|(_, path)| top(path))
        .collect();
    let in_package = |path: &str| path.contains('/') && packages.contains(top(path));
    if let Some((_, path)) = members().find(|(_, path)| in_package(path) && is_data(path)) {
        return Some(ByPath::Data(path.to_owned()));
    }
    // Top-level modules too: `os.path.dirname(__file__)` of `mod.py` is the root.
    members()
        .filter(|(_, path)| path.ends_with(".py"))
        .find(|(m, _)| {
            // A member that cannot be read is reported when it is imported.
            archive
                .read_unmarked(&m.name)
                .is_ok_and(|code| code.windows(8).any(|w| w == b"__file__"))
        })
        .map(|(_, path)| ByPath::FileRef(path.to_owned()))
}

/// What the user asked for, over the automatic choice: `WHEELHOOK_UNPACK` and `require(...,
/// unpack=)` entries, read in order, a later entry overriding an earlier one. `name` unpacks a
/// distribution, `-name` serves it from its archive; `*` and `-*` do so for all of them, below
/// any entry that names a distribution. Ex) `-* pytz` (only pytz unpacked)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    all: Option<bool>,
    names: Vec<(PackageName, bool)>,
}

impl Overrides {
    /// Reads entries in order. Ex) `["*", "-six"]`
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out = Self::default();
        for entry in entries {
            let (unpack, name) = match entry.strip_prefix('-') {
                Some(name) => (false, name),
                None => (true, entry.strip_prefix('+').unwrap_or(entry)),
            };
            if name == "*" {
                out.all = Some(unpack);
            } else if !name.is_empty() {
                let name = PackageName::new(name);
                out.names.retain(|(n, _)| *n != name);
                out.names.push((name, unpack));
            }
        }
        out
    }

    /// Whether `name` is served unpacked, given the automatic choice.
    pub fn unpacked(&self, name: &PackageName, automatic: bool) -> bool {
        self.names
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, u)| u)
            .or(self.all)
            .unwrap_or(automatic)
    }

    /// Whether nothing overrides the automatic choice.
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.names.is_empty()
    }
}

impl fmt::Display for Overrides {
    /// The entries, space-separated, as `WHEELHOOK_UNPACK` takes them. Ex) `-* pytz`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = |unpack: bool| if unpack { "" } else { "-" };
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { " " };
            first = false;
            f.write_str(s)
        };
        if let Some(all) = self.all {
            sep(f)?;
            write!(f, "{}*", sign(all))?;
        }
        for (name, unpack) in &self.names {
            sep(f)?;
            write!(f, "{}{name}", sign(*unpack))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_root_path() {
        for (member, want) in [
            ("pytz/zoneinfo/CET", Some("pytz/zoneinfo/CET")),
            ("x-1.0.data/platlib/pkg/a.txt", Some("pkg/a.txt")),
            ("x-1.0.data/purelib/pkg/a.txt", Some("pkg/a.txt")),
            ("x-1.0.data/data/share/a.txt", None),
            ("x-1.0.data/headers/a.h", None),
            ("x-1.0.dist-info/METADATA", None),
            ("x-1.0.data/purelib", None),
            ("six.py", Some("six.py")),
            ("pkg/six.py", Some("pkg/six.py")),
        ] {
            assert_eq!(root_path(member), want, "{member}");
        }
    }

    #[test]
    fn ok_data_files() {
        for yes in [
            "pytz/zoneinfo/CET",
            "numpy/_core/include/numpy/arrayobject.h",
            "lxml/isoschematron/resources/xsl/iso_svrl_for_xslt1.xsl",
            "blib2to3/Grammar.txt",
            "pkg/templates/index.html",
        ] {
            assert!(is_data(yes), "{yes}");
        }
        for no in [
            "pkg/__init__.py",
            "pkg/__init__.pyi",
            "pkg/py.typed",
            "pkg/_c.cpython-311-x86_64-linux-gnu.so",
            "pkg/_c.pyx",
            "pkg/_c.pxd",
            "markupsafe/_speedups.c",
            "pkg/__pycache__/m.cpython-311.pyc",
        ] {
            assert!(!is_data(no), "{no}");
        }
    }

    #[test]
    fn ok_identifiers() {
        for yes in ["numpy", "_yaml", "blib2to3", "é"] {
            assert!(is_identifier(yes), "{yes}");
        }
        for no in ["numpy.libs", ".dylibs", "9lives", "", "a-b"] {
            assert!(!is_identifier(no), "{no}");
        }
    }

    #[test]
    fn ok_reason_round_trip() {
        for text in ["data pytz/zoneinfo/CET", "file-ref jinja2/debug.py"] {
            assert_eq!(text.parse::<ByPath>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn err_reason() {
        for bad in ["", "data", "data ", "why pkg/x"] {
            assert_eq!(
                bad.parse::<ByPath>().unwrap_err(),
                format!("not a reason to unpack: \"{bad}\"")
            );
        }
    }

    #[test]
    fn ok_overrides() {
        let six = PackageName::new("six");
        let pytz = PackageName::new("pytz");
        for (entries, six_auto_false, pytz_auto_true, shown) in [
            (&[][..], false, true, ""),
            (&["*"][..], true, true, "*"),
            (&["-*"][..], false, false, "-*"),
            (&["-*", "pytz"][..], false, true, "-* pytz"),
            (&["pytz", "-*"][..], false, true, "-* pytz"),
            (&["six", "-Six"][..], false, true, "-six"),
            (&["-six", "+six"][..], true, true, "six"),
            (&["-PyTZ", "*"][..], true, false, "* -pytz"),
        ] {
            let o = Overrides::parse(entries.iter().copied());
            assert_eq!(o.unpacked(&six, false), six_auto_false, "{entries:?}");
            assert_eq!(o.unpacked(&pytz, true), pytz_auto_true, "{entries:?}");
            assert_eq!(o.to_string(), shown);
            assert_eq!(Overrides::parse(shown.split_whitespace()), o);
            assert_eq!(o.is_empty(), entries.is_empty());
        }
    }
}
