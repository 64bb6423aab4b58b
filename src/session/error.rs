//! [`SessionError`]: why an activation changed nothing.

use std::path::PathBuf;

use pep440_rs::Version;
use thiserror::Error;

use crate::archive::ArchiveError;
use crate::cache::NativeError;
use crate::import::ImportError;
use crate::lock::LockError;
use crate::resolve::ResolveError;
use crate::wheel::{PackageName, RequirementError};

/// Why an activation was refused. Every variant leaves the process as it was.
#[derive(Debug, Error)]
pub enum SessionError {
    /// A requirement does not parse.
    #[error(transparent)]
    Requirement(#[from] RequirementError),
    /// No set of versions meets the requirements.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A lock file cannot be read, selected from, or matched to the store.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A chosen wheel cannot be opened.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A chosen wheel cannot be indexed for importing.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A chosen wheel cannot be unpacked (see [`crate::import::ByPath`]).
    #[error(transparent)]
    Unpack(#[from] NativeError),
    /// A distribution named in the requirements provides only standard-library modules, and
    /// `override_stdlib` was not given.
    #[error(
        "Cannot activate {name} {version} from {path}: its {noun} {quoted} {verb} also in \
         the standard library, whose module is what `import {first}` gives unless asked otherwise. \
         Pass override_stdlib=True to require() to serve the wheel's in this process (before the \
         first import of {quoted}), or leave {name} out of the requirements to use the standard \
         library's.",
        path = .wheel.display(),
        noun = if .modules.len() == 1 { "module" } else { "modules" },
        verb = if .modules.len() == 1 { "is" } else { "are" },
        quoted = quoted(.modules),
        first = .modules.first().map_or("", String::as_str),
    )]
    StdlibConflict {
        name: PackageName,
        version: Version,
        wheel: PathBuf,
        /// The wheel's top-level names, all in the standard library (never empty).
        modules: Vec<String>,
    },
    /// With `override_stdlib`, a standard-library module the wheel would replace is already
    /// imported.
    #[error(
        "Cannot activate {name} {version} from {path} with override_stdlib=True: the standard \
         library's module \"{module}\" is already imported from {from}. A wheel can replace a \
         standard-library module only before its first import in the process: require it at the \
         top of the main script, before anything imports \"{module}\" (modules the interpreter \
         itself imports at start-up, such as os or sys, can never be replaced).",
        path = .wheel.display(),
        from = imported_from(.from.as_deref()),
    )]
    StdlibImported {
        name: PackageName,
        version: Version,
        wheel: PathBuf,
        module: String,
        /// The imported module's `__file__`.
        from: Option<String>,
    },
    /// A top-level module of the wheel is already imported from elsewhere.
    #[error(
        "Cannot activate {name} {version} from {path}: the module \"{module}\" is already \
         imported from {from}{installed}. A module cannot change version in a running process: \
         restart the program with the requirement declared before the first import (for example \
         `__requires__` at the top of the main script).",
        path = .wheel.display(),
        from = imported_from(.from.as_deref()),
        installed = installed_note(.name, .installed.as_ref()),
    )]
    AlreadyImported {
        name: PackageName,
        version: Version,
        wheel: PathBuf,
        module: String,
        /// The imported module's `__file__`.
        from: Option<String>,
        /// The version installed normally, when there is one.
        installed: Option<Version>,
    },
}

impl SessionError {
    /// The wheel the error is about, when it is about one.
    pub fn wheel(&self) -> Option<&std::path::Path> {
        match self {
            Self::Archive(err) => Some(err.path()),
            Self::Import(err) => Some(err.path()),
            Self::Unpack(err) => Some(err.wheel()),
            Self::StdlibConflict { wheel, .. }
            | Self::StdlibImported { wheel, .. }
            | Self::AlreadyImported { wheel, .. } => Some(wheel),
            Self::Requirement(_) | Self::Resolve(_) | Self::Lock(_) => None,
        }
    }
}

/// Ex) ` (six 1.16.0 is installed)`
fn installed_note(name: &PackageName, installed: Option<&Version>) -> String {
    installed
        .map(|v| format!(" ({name} {v} is installed)"))
        .unwrap_or_default()
}

fn imported_from(file: Option<&str>) -> &str {
    file.unwrap_or("a built-in or namespace location")
}

/// Names for a message. Ex) `"argparse", "enum"`
pub(crate) fn quoted<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("\"{}\"", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
