//! What an activation asks of the running interpreter (see [`crate::session::Host`]):
//! `sys.modules`, the standard library's names, the `wheelhook` logger, the finder's listing of
//! the store and the private cache.

use std::path::PathBuf;

use parking_lot::RwLock;
use pyo3::prelude::*;

use super::facts::Facts;
use super::runtime::Runtime;
use super::state::{self, State};
use crate::archive::Archive;
use crate::cache::NativeError;
use crate::resolve::EnvironmentFacts;
use crate::session::{Host, Imported, Listing, StoreDirs};

/// The process, for one activation of its finder.
pub struct ProcessHost<'a, 'py> {
    py: Python<'py>,
    facts: &'a Facts,
    runtime: &'a Runtime,
    state: &'a RwLock<State>,
}

impl<'a, 'py> ProcessHost<'a, 'py> {
    pub fn new(
        py: Python<'py>,
        facts: &'a Facts,
        runtime: &'a Runtime,
        state: &'a RwLock<State>,
    ) -> Self {
        Self {
            py,
            facts,
            runtime,
            state,
        }
    }
}

impl Host for ProcessHost<'_, '_> {
    fn store(&self, dirs: &StoreDirs) -> Listing {
        state::listing(self.py, self.state, dirs, || self.facts.tags())
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        self.runtime.cache_dir(self.py)
    }

    fn environment(&self) -> &EnvironmentFacts {
        &self.facts.environment
    }

    fn extension_suffixes(&self) -> &[String] {
        &self.facts.extension_suffixes
    }

    fn identity(&self) -> &str {
        self.facts.identity()
    }

    fn is_stdlib(&self, top: &str) -> bool {
        self.facts.is_stdlib(self.py, top)
    }

    fn imported(&self, top: &str) -> Option<Imported> {
        let modules = self.py.import("sys").ok()?.getattr("modules").ok()?;
        let module = modules.get_item(top).ok()?;
        Some(Imported {
            file: module
                .getattr("__file__")
                .ok()
                .and_then(|f| f.extract().ok()),
            has_path: module.hasattr("__path__").unwrap_or(false),
        })
    }

    fn unpack(&self, archive: &Archive) -> Result<PathBuf, NativeError> {
        self.runtime.unpack_dir(self.py, archive)
    }

    fn note(&self, message: String) {
        log(self.py, message);
    }

    fn detached<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        self.py.detach(work)
    }
}

/// Logs a decision on the `wheelhook` logger (at INFO).
fn log(py: Python<'_>, message: String) {
    if let Ok(logger) = py
        .import("logging")
        .and_then(|l| l.call_method1("getLogger", ("wheelhook",)))
    {
        let _ = logger.call_method1("info", (message,));
    }
}
