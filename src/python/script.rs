//! PEP 723 script blocks for `wheelhook._pep723`: TOML and `requires-python`, read natively.

use pep440_rs::Version;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::facts;
use crate::script::{self, TomlValue};

/// The TOML document `text` as Python objects (`dict`, `list`, `str`, `int`, `float`,
/// `bool`; date-times as their text), as `tomllib.loads` reads it. `ValueError` when invalid.
#[pyfunction]
pub fn parse_toml<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyDict>> {
    let table = py.detach(|| script::parse_toml(text))?;
    table_object(py, &table)
}

fn table_object<'py>(
    py: Python<'py>,
    table: &[(String, TomlValue)],
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (key, value) in table {
        out.set_item(key, object(py, value)?)?;
    }
    Ok(out)
}

fn object<'py>(py: Python<'py>, value: &TomlValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        TomlValue::String(s) | TomlValue::Datetime(s) => s.into_pyobject(py)?.into_any(),
        TomlValue::Integer(i) => i.into_pyobject(py)?.into_any(),
        TomlValue::Float(f) => f.into_pyobject(py)?.into_any(),
        TomlValue::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        TomlValue::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(object(py, item)?)?;
            }
            list.into_any()
        }
        TomlValue::Table(table) => table_object(py, table)?.into_any(),
    })
}

/// Whether the running interpreter satisfies a `requires-python` specifier set (PEP 440, as
/// pip compares it). `ValueError` when the specifier is invalid.
#[pyfunction]
pub fn python_satisfies(py: Python<'_>, specifiers: &str) -> PyResult<bool> {
    let python = facts::python_full_version(py)?;
    let python: Version = python
        .parse()
        .map_err(|e| PyValueError::new_err(format!("the interpreter's version {python}: {e}")))?;
    Ok(script::python_satisfies(specifiers, &python)?)
}
