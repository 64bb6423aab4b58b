//! PEP 440 versions, PEP 508 requirements and markers for `wheelhook.pkg_resources`: the
//! crate's own parser (`wheel::requirement_parts`), specifier matching (`resolve::matches`)
//! and marker evaluation (`resolve::Environment`), shown to Python the way `packaging` and
//! `pkg_resources` show them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use once_cell::sync::OnceCell;
use pep440_rs::{Version as Pep440Version, VersionSpecifiers};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::PyTuple;

use super::facts;
use crate::resolve::{self, Environment, ResolveError};
use crate::wheel::{requirement_parts, RequirementParts};

fn parse_version(text: &str) -> PyResult<Pep440Version> {
    text.parse()
        .map_err(|err| PyValueError::new_err(format!("invalid version {text:?}: {err}")))
}

/// A PEP 440 version: ordered and hashed as PEP 440 compares (`1.0 == 1.0.0`), printed in its
/// normal form (`1.0-RC1` -> `1.0rc1`), with the attributes of `packaging.version.Version`.
#[pyclass(frozen, module = "wheelhook._native")]
pub struct Version {
    inner: Pep440Version,
}

#[pymethods]
impl Version {
    /// `ValueError` for text that is not a PEP 440 version.
    #[new]
    fn new(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: parse_version(text)?,
        })
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<Version('{}')>", self.inner)
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.inner.hash(&mut hasher);
        hasher.finish()
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<Version>() else {
            return Ok(py.NotImplemented());
        };
        let ordering = self.inner.cmp(&other.get().inner);
        Ok(op
            .matches(ordering)
            .into_pyobject(py)?
            .to_owned()
            .into_any()
            .unbind())
    }

    #[getter]
    fn epoch(&self) -> u64 {
        self.inner.epoch()
    }

    /// A tuple, as packaging's (compared with tuples: `v.release >= (1, 2)`).
    #[getter]
    fn release<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.release())
    }

    /// `("a" | "b" | "rc", number)` or `None`.
    #[getter]
    fn pre(&self) -> Option<(String, u64)> {
        self.inner
            .pre()
            .map(|pre| (pre.kind.to_string(), pre.number))
    }

    #[getter]
    fn post(&self) -> Option<u64> {
        self.inner.post()
    }

    #[getter]
    fn dev(&self) -> Option<u64> {
        self.inner.dev()
    }

    /// The local label in its normal form (`abc.5`) or `None`.
    #[getter]
    fn local(&self) -> Option<String> {
        let text = self.inner.to_string();
        text.split_once('+').map(|(_, local)| local.to_owned())
    }

    /// The version without its local label.
    #[getter]
    fn public(&self) -> String {
        self.inner.clone().without_local().to_string()
    }

    /// Epoch and release only. Ex) `1!2.0` for `1!2.0rc1+abc`
    #[getter]
    fn base_version(&self) -> String {
        Pep440Version::new(self.inner.release().iter().copied())
            .with_epoch(self.inner.epoch())
            .to_string()
    }

    #[getter]
    fn is_prerelease(&self) -> bool {
        self.inner.any_prerelease()
    }

    #[getter]
    fn is_postrelease(&self) -> bool {
        self.inner.is_post()
    }

    #[getter]
    fn is_devrelease(&self) -> bool {
        self.inner.is_dev()
    }

    #[getter]
    fn major(&self) -> u64 {
        self.release_part(0)
    }

    #[getter]
    fn minor(&self) -> u64 {
        self.release_part(1)
    }

    #[getter]
    fn micro(&self) -> u64 {
        self.release_part(2)
    }
}

impl Version {
    fn release_part(&self, index: usize) -> u64 {
        self.inner.release().get(index).copied().unwrap_or(0)
    }
}

/// A PEP 508 requirement's parts: `(name as written, extras, [(operator, version)], url or
/// None, marker as written or None)`. `ValueError` naming the text when it is invalid.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn parse_requirement(
    text: &str,
) -> PyResult<(
    String,
    Vec<String>,
    Vec<(String, String)>,
    Option<String>,
    Option<String>,
)> {
    let RequirementParts {
        name,
        extras,
        specifiers,
        url,
        marker,
    } = requirement_parts(text)?;
    Ok((name, extras, specifiers, url, marker))
}

/// Whether `version` satisfies every clause of `specifiers` (`">=1.0,<2"`), pre-releases
/// included, as `pkg_resources.Requirement.__contains__` has it. `ValueError` when either is
/// invalid.
#[pyfunction]
pub fn specifier_contains(specifiers: &str, version: &str) -> PyResult<bool> {
    let parsed = VersionSpecifiers::from_str(specifiers).map_err(|err| {
        // pep440_rs's message ends with a caret diagram on further lines: errors stay one line.
        let shown = err.to_string();
        let reason = shown
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches(':');
        PyValueError::new_err(format!("invalid specifier {specifiers:?}: {reason}"))
    })?;
    Ok(resolve::matches(&parsed, &parse_version(version)?))
}

/// Whether the PEP 508 marker holds for the running interpreter, `extra` being the extra asked
/// for (`""`: none). `ValueError` naming the marker when it is invalid.
#[pyfunction]
#[pyo3(signature = (marker, extra = ""))]
pub fn evaluate_marker(py: Python<'_>, marker: &str, extra: &str) -> PyResult<bool> {
    static ENVIRONMENT: OnceCell<Environment> = OnceCell::new();
    let environment = ENVIRONMENT.get_or_try_init(|| -> PyResult<Environment> {
        let interpreter = facts::interpreter(py)?;
        let facts = facts::environment(py, &interpreter)?;
        Environment::from_facts(&facts).map_err(|err| ResolveError::from(err).into())
    })?;
    Ok(environment.marker_holds(marker, extra)?)
}
