//! Facts about the running interpreter, read once from `sys`, `os` and `_imp`.

use std::collections::HashSet;
use std::sync::Arc;

use once_cell::sync::OnceCell;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::resolve::EnvironmentFacts;
use crate::wheel::{InterpreterFacts, Platform, SupportedTags};

/// Everything the finder needs to know about the interpreter.
#[derive(Debug)]
pub struct Facts {
    pub interpreter: InterpreterFacts,
    /// Computed on first use: a process that activates nothing never pays for ~900 tags.
    tags: OnceCell<Arc<SupportedTags>>,
    pub environment: EnvironmentFacts,
    pub extension_suffixes: Vec<String>,
    /// The standard library's top-level module names: `sys.stdlib_module_names` itself (a
    /// frozenset, asked in place rather than copied at every start), or a set built on 3.9.
    pub stdlib: Py<PyAny>,
    /// What the resolution depends on, as text for the activation cache (made on first use).
    identity: OnceCell<String>,
}

pub fn interpreter(py: Python<'_>) -> PyResult<InterpreterFacts> {
    let sys = py.import("sys")?;
    let implementation: String = sys.getattr("implementation")?.getattr("name")?.extract()?;
    let info = sys.getattr("version_info")?;
    let major: u8 = info.get_item(0)?.extract()?;
    let minor: u8 = info.get_item(1)?.extract()?;
    let abiflags: String = sys
        .getattr("abiflags")
        .and_then(|a| a.extract())
        .unwrap_or_default();
    let suffixes: Vec<String> = py
        .import("_imp")?
        .call_method0("extension_suffixes")?
        .extract()?;
    let abi = if implementation == "cpython" {
        None
    } else {
        suffixes.first().and_then(|s| generic_abi(s))
    };
    Ok(InterpreterFacts {
        debug: abiflags.contains('d') || sys.hasattr("gettotalrefcount")?,
        free_threaded: abiflags.contains('t'),
        abi,
        implementation,
        version: (major, minor),
        platform: Platform::detect(),
    })
}

/// The ABI tag of a non-CPython interpreter from its first extension suffix, as packaging reads
/// `EXT_SUFFIX`. Ex) `.pypy310-pp73-x86_64-linux-gnu.so` -> `pypy310_pp73`
fn generic_abi(suffix: &str) -> Option<String> {
    let soabi = suffix.split('.').nth(1).filter(|s| !s.is_empty())?;
    let keep = if soabi.starts_with("pypy") {
        2
    } else if soabi.starts_with("graalpy") {
        3
    } else {
        usize::MAX
    };
    let abi: Vec<&str> = soabi.split('-').take(keep).collect();
    Some(abi.join("_").replace('.', "_"))
}

/// Reads the facts of the running interpreter.
pub fn read(py: Python<'_>) -> PyResult<Facts> {
    let interpreter = interpreter(py)?;
    let extension_suffixes: Vec<String> = py
        .import("_imp")?
        .call_method0("extension_suffixes")?
        .extract()?;
    Ok(Facts {
        stdlib: stdlib_names(py, &extension_suffixes)?,
        environment: environment(py, &interpreter)?,
        interpreter,
        tags: OnceCell::new(),
        extension_suffixes,
        identity: OnceCell::new(),
    })
}

/// The standard library's top-level names: `sys.stdlib_module_names`, or on 3.9, which has no
/// such list, the built-in names and every module in the standard library's own directories.
fn stdlib_names(py: Python<'_>, extension_suffixes: &[String]) -> PyResult<Py<PyAny>> {
    let sys = py.import("sys")?;
    if let Ok(names) = sys.getattr("stdlib_module_names") {
        return Ok(names.unbind());
    }
    let mut names: HashSet<String> = sys
        .getattr("builtin_module_names")?
        .extract::<Vec<String>>()?
        .into_iter()
        .collect();
    let os_file: String = py.import("os")?.getattr("__file__")?.extract()?;
    if let Some(lib) = std::path::Path::new(&os_file).parent() {
        names.extend(stdlib_dir_names(lib, extension_suffixes));
        names.extend(stdlib_dir_names(
            &lib.join("lib-dynload"),
            extension_suffixes,
        ));
    }
    Ok(pyo3::types::PyFrozenSet::new(py, &names)?
        .into_any()
        .unbind())
}

/// The PEP 508 marker values of the running interpreter.
/// <https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers>
pub(super) fn environment(
    py: Python<'_>,
    interpreter: &InterpreterFacts,
) -> PyResult<EnvironmentFacts> {
    let sys = py.import("sys")?;
    let os = py.import("os")?;
    let implementation = sys.getattr("implementation")?;
    let impl_version = implementation.getattr("version")?;
    let impl_version = format_full_version(&impl_version.cast_into::<PyTuple>()?)?;
    let version_info = sys.getattr("version_info")?.cast_into::<PyTuple>()?;
    let full_version = format_full_version(&version_info)?;
    let uname = os.call_method0("uname")?;
    let name: String = implementation.getattr("name")?.extract()?;
    let python_implementation = match name.as_str() {
        "cpython" => "CPython".to_owned(),
        "pypy" => "PyPy".to_owned(),
        "ironpython" => "IronPython".to_owned(),
        "jython" => "Jython".to_owned(),
        other => other.to_owned(),
    };
    let (major, minor) = interpreter.version;
    let mut environment = EnvironmentFacts::new();
    let mut set = |k: &str, v: String| {
        environment.insert(k.to_owned(), v);
    };
    set("implementation_name", name);
    set("implementation_version", impl_version);
    set("os_name", os.getattr("name")?.extract()?);
    set("platform_machine", uname.getattr("machine")?.extract()?);
    set("platform_python_implementation", python_implementation);
    set("platform_release", uname.getattr("release")?.extract()?);
    set("platform_system", uname.getattr("sysname")?.extract()?);
    set("platform_version", uname.getattr("version")?.extract()?);
    set("python_full_version", full_version);
    set("python_version", format!("{major}.{minor}"));
    set("sys_platform", sys.getattr("platform")?.extract()?);
    Ok(environment)
}

/// Top-level module names in a standard-library directory: `name.py`, extension modules and
/// package directories (site-packages excluded).
fn stdlib_dir_names(dir: &std::path::Path, extension_suffixes: &[String]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| {
            let stem = name
                .strip_suffix(".py")
                .or_else(|| {
                    extension_suffixes
                        .iter()
                        .find_map(|s| name.strip_suffix(s.as_str()))
                })
                .unwrap_or(&name);
            let valid = !stem.is_empty()
                && !stem.contains(['.', '-'])
                && stem != "site-packages"
                && stem != "__pycache__";
            valid.then(|| stem.to_owned())
        })
        .collect()
}

impl Facts {
    /// The inputs of the interpreter's tags and marker values, on one line: two interpreters
    /// with the same identity resolve the same requirements alike.
    pub fn identity(&self) -> &str {
        self.identity.get_or_init(|| {
            let mut environment: Vec<_> = self.environment.iter().collect();
            environment.sort();
            format!("{:?} {:?}", self.interpreter, environment).replace(['\t', '\n', '\r'], " ")
        })
    }

    /// Whether a top-level name is a standard-library module. Ex) `json`
    pub fn is_stdlib(&self, py: Python<'_>, top: &str) -> bool {
        self.stdlib.bind(py).contains(top).unwrap_or(false)
    }

    /// The interpreter's supported tags, best first.
    pub fn tags(&self) -> Arc<SupportedTags> {
        self.tags
            .get_or_init(|| Arc::new(SupportedTags::new(&self.interpreter)))
            .clone()
    }
}

/// `(3, 11, 7, 'final', 0)` -> `3.11.7`; `(3, 13, 0, 'candidate', 1)` -> `3.13.0rc1`, as PEP 508 says.
/// The interpreter's `python_full_version` marker value. Ex) `3.11.7`, `3.14.0rc1`
pub fn python_full_version(py: Python<'_>) -> PyResult<String> {
    let info = py
        .import("sys")?
        .getattr("version_info")?
        .cast_into::<PyTuple>()?;
    format_full_version(&info)
}

fn format_full_version(info: &Bound<'_, PyTuple>) -> PyResult<String> {
    let major: u32 = info.get_item(0)?.extract()?;
    let minor: u32 = info.get_item(1)?.extract()?;
    let micro: u32 = info.get_item(2)?.extract()?;
    let level: String = info.get_item(3)?.extract()?;
    let serial: u32 = info.get_item(4)?.extract()?;
    let mut out = format!("{major}.{minor}.{micro}");
    match level.as_str() {
        "final" => {}
        "alpha" => out.push_str(&format!("a{serial}")),
        "beta" => out.push_str(&format!("b{serial}")),
        "candidate" => out.push_str(&format!("rc{serial}")),
        other => out.push_str(other),
    }
    Ok(out)
}
