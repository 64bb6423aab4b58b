//! Lock files for the command line: what `wheelhook add -r pylock.toml` has to fetch.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::facts;
use crate::cache::{default_dir, open_dir};
use crate::error::Error;
use crate::lock::{self, Digests, Groups, Lock};
use crate::resolve::Environment;
use crate::store::{Store, StoreConfig};

/// The packages a lock selects for this interpreter, each as
/// `{"name", "version", "have", "reason", "wheels"}`: `have` is the wheel or `.dist-info` that
/// activation would use (`None` when the store lacks it, `reason` saying why), `wheels` the
/// locked wheels this interpreter supports, best first, each `{"filename", "url", "path",
/// "sha256"}`. Raises `InvalidLock` as activation would.
#[pyfunction]
#[pyo3(signature = (lock, wheel_dirs, default_dirs, extras=Vec::new(), groups=None))]
pub fn lock_wanted<'py>(
    py: Python<'py>,
    lock: PathBuf,
    wheel_dirs: Vec<PathBuf>,
    default_dirs: Vec<PathBuf>,
    extras: Vec<String>,
    groups: Option<Vec<String>>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let facts = facts::read(py)?;
    let environment = Environment::from_facts(&facts.environment)
        .map_err(|e| Error::Resolve(crate::resolve::ResolveError::Facts(e)))?;
    let lock = Lock::read(&lock).map_err(Error::from)?;
    let selected =
        lock::select(&lock, &environment, &Groups { extras, groups }).map_err(Error::from)?;
    let tags: Arc<_> = facts.tags();
    let store = Store::scan(&StoreConfig {
        wheel_dirs,
        default_dirs,
        tags: tags.clone(),
    });
    let digests = Digests {
        dir: default_dir(|k| std::env::var(k).ok())
            .and_then(|d| open_dir(&d).ok())
            .map(|d| d.join("lock-digests")),
    };
    lock::wanted(&selected, &store, &digests, &tags)
        .into_iter()
        .map(|w| {
            let d = PyDict::new(py);
            d.set_item("name", w.package.name.as_str())?;
            d.set_item(
                "version",
                w.package.version.as_ref().map(ToString::to_string),
            )?;
            d.set_item("have", w.have.as_ref().map(|c| c.origin.path().as_os_str()))?;
            d.set_item("reason", w.reason)?;
            let wheels = w
                .fits
                .iter()
                .map(|f| {
                    let e = PyDict::new(py);
                    e.set_item("filename", &f.filename)?;
                    e.set_item("url", &f.url)?;
                    e.set_item("path", &f.path)?;
                    e.set_item("sha256", &f.sha256)?;
                    Ok(e)
                })
                .collect::<PyResult<Vec<_>>>()?;
            d.set_item("wheels", wheels)?;
            Ok(d)
        })
        .collect()
}
