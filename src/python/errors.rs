//! The one conversion of core errors into the exceptions of `wheelhook.errors`, by type.
//!
//! | core error | Python exception |
//! |---|---|
//! | `ResolveError::NotFound` | `wheelhook.errors.DistributionNotFound` |
//! | `ResolveError::Conflict`, `SessionError::{AlreadyImported, StdlibImported}` | `wheelhook.errors.VersionConflict` |
//! | `SessionError::StdlibConflict` | `wheelhook.errors.StdlibConflict` |
//! | `LockError::Unusable` | `wheelhook.errors.LockedWheelsMissing` |
//! | `LockError::{Read, Invalid}` | `wheelhook.errors.InvalidLock` |
//! | `Error::InvalidWheel`, `FilenameError`, `DistInfoError`, `RecordError` | `wheelhook.errors.InvalidWheel` |
//! | `ArchiveError`, `ImportError`, `NativeError`, `CacheError` | `ImportError` (`name=`, `path=`) |
//! | `RequirementError`, `ScriptError`, other `ResolveError`s | `ValueError` |
//! | `std::io::Error` | `OSError` (its subclass for the error kind) |
//!
//! Every `ImportError` (and `wheelhook.errors.ResolutionError`, a subclass) carries `name=`
//! (the module, when the error is about one) and `path=` (the wheel), as zipimport's do.

use std::path::Path;

use pyo3::exceptions::{PyImportError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::archive::ArchiveError;
use crate::cache::NativeError;
use crate::error::Error;
use crate::import::ImportError;
use crate::lock::LockError;
use crate::resolve::ResolveError;
use crate::script::ScriptError;
use crate::session::SessionError;
use crate::wheel::RequirementError;

/// The exception a core error becomes.
enum Class {
    /// A class of `wheelhook.errors`, by name.
    Wheelhook(&'static str),
    Import,
    Value,
}

/// Where an import failed: the `name=` and `path=` of the exception.
#[derive(Default)]
struct Location<'e> {
    name: Option<&'e str>,
    path: Option<&'e Path>,
}

/// The class and location of `err`.
fn classify(err: &Error) -> (Class, Location<'_>) {
    let at = |path| Location {
        name: None,
        path: Some(path),
    };
    match err {
        Error::Session(err) => classify_session(err),
        Error::Lock(err) => classify_lock(err),
        // Converted by `resolve_error`.
        Error::Resolve(_) => (Class::Value, Location::default()),
        Error::InvalidWheel { .. } | Error::Filename(_) | Error::DistInfo(_) | Error::Record(_) => {
            (Class::Wheelhook("InvalidWheel"), Location::default())
        }
        Error::Archive(err) => (Class::Import, at(err.path())),
        Error::Import(err) => (Class::Import, import_location(err)),
        Error::Native(err) => (Class::Import, at(err.wheel())),
        Error::Cache(_) => (Class::Import, Location::default()),
        Error::Requirement(_) | Error::Script(_) | Error::Io(_) => {
            (Class::Value, Location::default())
        }
    }
}

fn classify_session(err: &SessionError) -> (Class, Location<'_>) {
    let location = Location {
        name: None,
        path: err.wheel(),
    };
    match err {
        SessionError::Resolve(_) | SessionError::Requirement(_) => (Class::Value, location),
        SessionError::Lock(err) => classify_lock(err),
        SessionError::Import(err) => (Class::Import, import_location(err)),
        SessionError::Archive(_) | SessionError::Unpack(_) => (Class::Import, location),
        SessionError::StdlibConflict { .. } => (Class::Wheelhook("StdlibConflict"), location),
        SessionError::StdlibImported { module, .. }
        | SessionError::AlreadyImported { module, .. } => (
            Class::Wheelhook("VersionConflict"),
            Location {
                name: Some(module),
                ..location
            },
        ),
    }
}

fn classify_lock(err: &LockError) -> (Class, Location<'_>) {
    let class = match err {
        LockError::Unusable { .. } => "LockedWheelsMissing",
        LockError::Read { .. } | LockError::Invalid { .. } => "InvalidLock",
    };
    (Class::Wheelhook(class), Location::default())
}

fn import_location(err: &ImportError) -> Location<'_> {
    Location {
        name: err.module(),
        path: Some(err.path()),
    }
}

/// The exception for a resolution failure: the one place a [`ResolveError`] is converted.
pub fn resolve_error(py: Python<'_>, err: ResolveError) -> PyErr {
    let message = err.to_string();
    match err {
        ResolveError::NotFound { .. } => wheelhook_error(py, "DistributionNotFound", message),
        ResolveError::Conflict { .. } => wheelhook_error(py, "VersionConflict", message),
        ResolveError::Url { .. } | ResolveError::Facts(_) => PyValueError::new_err(message),
    }
}

/// The exception for a core error.
pub fn to_python(py: Python<'_>, err: Error) -> PyErr {
    match err {
        Error::Io(err) => err.into(),
        Error::Resolve(err) | Error::Session(SessionError::Resolve(err)) => resolve_error(py, err),
        err => {
            let (class, location) = classify(&err);
            exception(py, class, err.to_string(), location)
        }
    }
}

/// `wheelhook.errors.<class_name>(message)`.
fn wheelhook_error(py: Python<'_>, class_name: &'static str, message: String) -> PyErr {
    exception(
        py,
        Class::Wheelhook(class_name),
        message,
        Location::default(),
    )
}

/// A new exception of `class`; an `ImportError` gets `name=` and `path=`.
fn exception(py: Python<'_>, class: Class, message: String, location: Location<'_>) -> PyErr {
    let class = match class {
        Class::Value => return PyValueError::new_err(message),
        Class::Import => py.get_type::<PyImportError>(),
        Class::Wheelhook(name) => match wheelhook_class(py, name) {
            Ok(class) => class,
            // Only when the Python package is broken: keep the message rather than lose it.
            Err(_) => py.get_type::<PyImportError>(),
        },
    };
    let made = (|| {
        let is_import_error = class.is_subclass_of::<PyImportError>()?;
        let kwargs = PyDict::new(py);
        if is_import_error {
            kwargs.set_item("name", location.name)?;
            kwargs.set_item("path", location.path.map(Path::to_string_lossy))?;
        }
        class.call((message,), Some(&kwargs))
    })();
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(err) => err,
    }
}

/// `wheelhook.errors.<name>`; the module is imported only on failure.
fn wheelhook_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py
        .import("wheelhook.errors")?
        .getattr(name)?
        .cast_into::<PyType>()?)
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| to_python(py, err))
    }
}

/// `?` on a module's own error in the pyo3 layer goes through the crate error.
macro_rules! through_crate_error {
    ($($module_error:ty),*) => {$(
        impl From<$module_error> for PyErr {
            fn from(err: $module_error) -> PyErr {
                Error::from(err).into()
            }
        }
    )*};
}

through_crate_error!(
    ArchiveError,
    ImportError,
    LockError,
    NativeError,
    RequirementError,
    ResolveError,
    ScriptError,
    SessionError
);
