//! The active set as Python sees it: one `ActiveDistribution` per pinned distribution.

use std::sync::Arc;

use pyo3::prelude::*;

use super::loader::Loader;
use crate::candidate::Candidate;
use crate::import::ActiveDist;
use crate::session::Plan;

/// One distribution of the active set, as Python sees it.
#[pyclass(frozen, module = "wheelhook._native", get_all)]
pub struct ActiveDistribution {
    /// The normalised name. Ex) `six`
    pub name: String,
    pub version: String,
    /// `"wheel"` or `"default"`.
    pub kind: &'static str,
    /// The wheel file, or the default's `.dist-info` directory.
    pub path: String,
    /// Top-level import names served from the wheel (empty for defaults).
    pub top_level: Vec<String>,
    /// The loader of a wheel's modules; `None` for defaults.
    pub loader: Option<Py<Loader>>,
    /// Why the wheel's packages seem to read their files by path, so that it is served unpacked
    /// unless told otherwise. Ex) `data pytz/zoneinfo/CET`, `file-ref jinja2/debug.py`
    pub by_path: Option<String>,
    /// The directory of the unpacked copy the wheel is served from; `None`: from its archive.
    pub unpacked: Option<String>,
}

#[pymethods]
impl ActiveDistribution {
    fn __repr__(&self) -> String {
        format!(
            "<ActiveDistribution {} {} ({}: {})>",
            self.name, self.version, self.kind, self.path
        )
    }
}

impl ActiveDistribution {
    /// The Python view of `candidate`, with `dist` when it is a wheel activated now.
    pub(super) fn new(
        candidate: &Candidate,
        dist: Option<&Arc<ActiveDist>>,
        loader: Option<Py<Loader>>,
        plan: &Plan,
    ) -> Self {
        let top_level = dist
            .map(|d| {
                d.index
                    .top_level()
                    .filter(|t| plan.serves(&candidate.name, t))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            name: candidate.name.to_string(),
            version: candidate.version.to_string(),
            kind: if candidate.is_default() {
                "default"
            } else {
                "wheel"
            },
            path: candidate.origin.path().to_string_lossy().into_owned(),
            top_level,
            loader,
            by_path: dist.and_then(|d| d.by_path.as_ref().map(ToString::to_string)),
            unpacked: dist.and_then(|d| d.unpacked_dir().map(str::to_owned)),
        }
    }
}
