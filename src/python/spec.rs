//! `ModuleSpec`s for what the finders serve: a module or regular package of one wheel, or a
//! namespace package made of portions.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use super::loader::Loader;
use super::runtime::Runtime;
use crate::import::{ActiveDist, ModuleEntry, ModuleKind};

static MODULE_SPEC: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EXTENSION_LOADER: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The spec of a module or regular package of `dist`, imported as `fullname`: `origin` and
/// `submodule_search_locations` are paths inside the archive, as zipimport has them; an
/// extension module is loaded by the standard extension loader from its materialised copy.
pub fn module_spec<'py>(
    py: Python<'py>,
    runtime: &Runtime,
    fullname: &str,
    dist: &Arc<ActiveDist>,
    entry: &ModuleEntry,
    loader: Py<Loader>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec_class = MODULE_SPEC.import(py, "_frozen_importlib", "ModuleSpec")?;
    let kwargs = PyDict::new(py);
    let (origin, module_loader) = if entry.kind == ModuleKind::Extension {
        // The dynamic loader needs a real file: the materialised, verified copy.
        let path = runtime.native_dir(py, dist)?.join(&entry.member);
        let path = path.to_string_lossy().into_owned();
        let ext_loader = EXTENSION_LOADER
            .import(py, "_frozen_importlib_external", "ExtensionFileLoader")?
            .call1((fullname, &path))?;
        (path, ext_loader)
    } else {
        (
            dist.member_path(&entry.member),
            loader.into_bound(py).into_any(),
        )
    };
    kwargs.set_item("origin", origin)?;
    kwargs.set_item("is_package", entry.is_package)?;
    let spec = spec_class.call((fullname, module_loader), Some(&kwargs))?;
    spec.setattr("has_location", true)?;
    if entry.is_package {
        let locations: Vec<String> = entry
            .search_locations
            .iter()
            .map(|l| dist.member_path(l))
            .collect();
        spec.setattr("submodule_search_locations", locations)?;
    }
    Ok(spec)
}

/// The spec of a namespace package over `locations`. `loader` is `None` for a portion a
/// path-entry finder returns (PEP 420: the path finder gathers them).
pub fn namespace_spec<'py>(
    py: Python<'py>,
    fullname: &str,
    loader: Option<Py<Loader>>,
    locations: Vec<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec_class = MODULE_SPEC.import(py, "_frozen_importlib", "ModuleSpec")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("is_package", true)?;
    let spec = spec_class.call((fullname, loader), Some(&kwargs))?;
    spec.setattr("submodule_search_locations", locations)?;
    Ok(spec)
}
