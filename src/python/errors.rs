//! Converting core errors to the exceptions of `wheelhook.errors`.

use pyo3::exceptions::{PyImportError, PyValueError};
use pyo3::prelude::*;

use crate::archive::ArchiveError;
use crate::import::ImportError;
use crate::resolve::ResolveError;

/// Raises `wheelhook.errors.<class_name>(message)`; the module is imported only on failure.
pub fn wheelhook_error(py: Python<'_>, class_name: &str, message: String) -> PyErr {
    match py
        .import("wheelhook.errors")
        .and_then(|m| m.getattr(class_name))
    {
        Ok(class) => match class.call1((message.clone(),)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(err) => err,
        },
        // Only when the Python package is broken: keep the message rather than lose it.
        Err(_) => PyImportError::new_err(message),
    }
}

/// `DistributionNotFound` or `VersionConflict` for a failed resolution; `ValueError` for
/// input the resolver cannot use (a URL requirement, bad interpreter facts).
pub fn resolve_error(py: Python<'_>, err: ResolveError) -> PyErr {
    let message = err.to_string();
    match err {
        ResolveError::NotFound { .. } => wheelhook_error(py, "DistributionNotFound", message),
        ResolveError::Conflict { .. } => wheelhook_error(py, "VersionConflict", message),
        ResolveError::Url { .. } | ResolveError::Facts(_) => PyValueError::new_err(message),
    }
}

impl From<ImportError> for PyErr {
    fn from(err: ImportError) -> PyErr {
        PyImportError::new_err(err.to_string())
    }
}

impl From<ArchiveError> for PyErr {
    fn from(err: ArchiveError) -> PyErr {
        PyImportError::new_err(err.to_string())
    }
}
