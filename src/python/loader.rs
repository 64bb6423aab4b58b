//! The loader of one active wheel: code, source, data and resources straight from the archive.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::RwLock;
use pyo3::exceptions::PyFileNotFoundError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict};

use super::runtime::Runtime;
use crate::cache::SourceStamp;
use crate::import::{ActiveDist, ImportError, ModuleEntry, ModuleKind};

static COMPILE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static EXEC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DECODE_SOURCE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `importlib.abc.InspectLoader` + `ResourceLoader` for the modules of one wheel.
#[pyclass(frozen, module = "wheelhook._native")]
pub struct Loader {
    dist: Arc<ActiveDist>,
    runtime: Arc<Runtime>,
    /// Names a module of this wheel is imported under besides its own (the path-entry finder
    /// found it through an alias's `__path__`): imported name -> the index's name.
    aliases: RwLock<HashMap<String, String>>,
}

impl Loader {
    pub fn new(dist: Arc<ActiveDist>, runtime: Arc<Runtime>) -> Self {
        Self {
            dist,
            runtime,
            aliases: RwLock::new(HashMap::new()),
        }
    }

    fn stamp<'e>(&self, entry: &'e ModuleEntry) -> Option<SourceStamp<'e>> {
        let info = self.dist.archive.member(&entry.member)?;
        Some(SourceStamp {
            member: &entry.member,
            crc32: info.crc32,
            size: info.size,
        })
    }

    /// Serves the module the index calls `own` under the name `fullname` too.
    /// Ex) `ydb._grpc.common.draft` for `ydb._grpc.v6.draft`
    pub(crate) fn alias(&self, fullname: &str, own: &str) {
        if fullname != own {
            self.aliases
                .write()
                .insert(fullname.to_owned(), own.to_owned());
        }
    }

    fn entry(&self, fullname: &str) -> PyResult<&ModuleEntry> {
        let found = self.dist.index.get(fullname).or_else(|| {
            let own = self.aliases.read().get(fullname).cloned()?;
            self.dist.index.get(&own)
        });
        found.ok_or_else(|| {
            ImportError::NoModule {
                location: self.dist.location.clone(),
                wheel: self.dist.path().to_path_buf(),
                module: fullname.to_owned(),
            }
            .into()
        })
    }

    /// The module's code object: from the store's published code or the bytecode cache when
    /// valid, else compiled from the archive's source (once) and cached.
    pub(crate) fn code<'py>(&self, py: Python<'py>, fullname: &str) -> PyResult<Bound<'py, PyAny>> {
        let entry = self.entry(fullname)?;
        let stamp = self.stamp(entry);
        let origin = || self.dist.member_path(&entry.member);
        // First, code the store's owner published beside the wheel (`wheelhook compile`).
        if let Some(stamp) = stamp {
            if let Some(code) = self
                .runtime
                .load_published(py, self.dist.path(), stamp, origin)
            {
                return Ok(code);
            }
        }
        // Then the private cache.
        if let Some(stamp) = stamp {
            if let Some(code) = self.runtime.load(py, self.dist.path(), stamp) {
                return Ok(code);
            }
        }
        let source = self.source_bytes(fullname, entry)?;
        let compile = COMPILE.import(py, "builtins", "compile")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("dont_inherit", true)?;
        let code = compile.call((PyBytes::new(py, &source), origin(), "exec"), Some(&kwargs))?;
        self.runtime.compiled.fetch_add(1, Ordering::Relaxed);
        if let Some(stamp) = stamp {
            self.runtime.save(py, self.dist.path(), stamp, &code);
        }
        Ok(code)
    }

    /// The source of `entry` (a stored member is a slice of the map, not a copy).
    fn source_bytes(&self, fullname: &str, entry: &ModuleEntry) -> PyResult<Cow<'_, [u8]>> {
        if entry.kind != ModuleKind::Source {
            return Err(ImportError::NoSource {
                wheel: self.dist.path().to_path_buf(),
                module: fullname.to_owned(),
            }
            .into());
        }
        self.dist.read(&entry.member).map_err(|source| {
            ImportError::Read {
                module: fullname.to_owned(),
                source,
            }
            .into()
        })
    }
}

#[pymethods]
impl Loader {
    /// The default module creation.
    fn create_module(&self, spec: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        let _ = spec;
        None
    }

    /// Runs the module's code in its namespace; namespace portions have none.
    fn exec_module(&self, py: Python<'_>, module: &Bound<'_, PyAny>) -> PyResult<()> {
        let name: String = module.getattr("__spec__")?.getattr("name")?.extract()?;
        // Namespace portions (and names this wheel does not hold) have no code to run.
        match self.entry(&name) {
            Ok(entry) if entry.kind != ModuleKind::Namespace => {}
            Ok(_) => {
                // As importlib gives a namespace package on 3.9-3.13 (`_init_module_attrs`).
                // Its spec keeps this loader rather than `None`: importlib would put its own
                // NamespaceLoader in, whose resource reader needs directories on disk, and
                // `importlib.resources.files()` of the package would fail ("Invalid path").
                module.setattr("__file__", py.None())?;
                return Ok(());
            }
            Err(_) => return Ok(()),
        }
        let code = self.get_code(py, &name)?;
        let namespace = module.getattr("__dict__")?.cast_into::<PyDict>()?;
        EXEC.import(py, "builtins", "exec")?
            .call1((code, namespace))?;
        Ok(())
    }

    /// The module's code object: from the bytecode cache when valid, else compiled from the
    /// archive's source (once) and cached.
    fn get_code<'py>(&self, py: Python<'py>, fullname: &str) -> PyResult<Bound<'py, PyAny>> {
        self.code(py, fullname)
    }

    /// The decoded source (PEP 263 cookies honoured), for tracebacks and `inspect`.
    fn get_source(&self, py: Python<'_>, fullname: &str) -> PyResult<Option<String>> {
        let entry = self.entry(fullname)?;
        if entry.kind != ModuleKind::Source {
            return Ok(None);
        }
        let source = self.source_bytes(fullname, entry)?;
        let decode = DECODE_SOURCE.import(py, "_frozen_importlib_external", "decode_source")?;
        decode.call1((PyBytes::new(py, &source),))?.extract()
    }

    fn get_filename(&self, fullname: &str) -> PyResult<String> {
        let entry = self.entry(fullname)?;
        if entry.kind == ModuleKind::Namespace {
            return Err(ImportError::Namespace {
                wheel: self.dist.path().to_path_buf(),
                module: fullname.to_owned(),
            }
            .into());
        }
        Ok(self.dist.member_path(&entry.member))
    }

    fn is_package(&self, fullname: &str) -> PyResult<bool> {
        Ok(self.entry(fullname)?.is_package)
    }

    /// The bytes of a member, named by its path inside the archive (as `__file__` is).
    fn get_data<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        let member = self.dist.member_of(path).ok_or_else(|| not_found(path))?;
        if self.dist.archive.member(&member).is_none() {
            return Err(not_found(path));
        }
        let bytes = self.dist.read(&member)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// `importlib.resources` support, by `wheelhook.resources`.
    fn get_resource_reader<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        fullname: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        py.import("wheelhook.resources")?
            .call_method1("reader", (slf, fullname))
    }

    /// A member's bytes, or `None` when the archive has no such member.
    fn read<'py>(&self, py: Python<'py>, member: &str) -> PyResult<Option<Bound<'py, PyBytes>>> {
        if self.dist.archive.member(member).is_none() {
            return Ok(None);
        }
        Ok(Some(PyBytes::new(py, &self.dist.read(member)?)))
    }

    /// Every member name, directories excluded.
    fn members(&self) -> Vec<String> {
        self.dist
            .archive
            .members()
            .iter()
            .filter(|m| !m.is_dir)
            .map(|m| m.name.clone())
            .collect()
    }

    /// A lasting path of a member (a file, or a directory with everything under it), extracted
    /// into the private cache and verified against `RECORD` (`wheelhook.resource_filename`).
    fn extract(&self, py: Python<'_>, member: &str) -> PyResult<String> {
        let path = self.runtime.resource_path(py, &self.dist, member)?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// The path Python sees for a member.
    fn member_path(&self, member: &str) -> String {
        self.dist.member_path(member)
    }

    /// The member a path names, if it lies inside this wheel.
    fn member_of(&self, path: &str) -> Option<String> {
        self.dist.member_of(path).map(|m| m.into_owned())
    }

    #[getter]
    fn archive(&self) -> String {
        self.dist.path().to_string_lossy().into_owned()
    }

    #[getter]
    fn dist_info(&self) -> String {
        self.dist.dist_info.clone()
    }

    #[getter]
    fn name(&self) -> String {
        self.dist.candidate.name.to_string()
    }

    #[getter]
    fn version(&self) -> String {
        self.dist.candidate.version.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<wheelhook.Loader {:?}>", self.dist.path())
    }
}

fn not_found(path: &str) -> PyErr {
    PyFileNotFoundError::new_err((2, "No such file in the wheel", path.to_owned()))
}
