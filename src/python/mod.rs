//! The pyo3 layer, the only code that touches Python objects: `wheelhook._native`.

mod active;
mod boot;
mod entry_points;
mod errors;
mod facts;
mod finder;
mod host;
mod loader;
mod lock;
mod path_entry;
mod pep;
mod runtime;
mod script;
mod spec;
mod state;
mod tools;

use pyo3::prelude::*;

/// The `wheelhook._native` extension module.
///
/// Safe without the GIL (free-threaded CPython, `cp313t`): the finder's state is behind locks
/// taken with `*_py_attached` (which let go of the interpreter while they wait), activations
/// are serialised, and nothing relies on the GIL for mutual exclusion.
#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Set first: each `add` below appends to `__all__`, and without one pyo3 looks it up, fails
    // and builds the exception that says so, every time (see BENCHMARKS.md, "Measurements
    // behind design choices").
    m.setattr("__all__", pyo3::types::PyList::empty(m.py()))?;
    m.add_class::<finder::Finder>()?;
    m.add_class::<path_entry::PathEntry>()?;
    m.add_class::<active::ActiveDistribution>()?;
    m.add_class::<loader::Loader>()?;
    m.add_function(wrap_pyfunction!(boot::boot, m)?)?;
    m.add_function(wrap_pyfunction!(boot::activate, m)?)?;
    m.add_function(wrap_pyfunction!(boot::install, m)?)?;
    m.add_function(wrap_pyfunction!(boot::declared_requirements, m)?)?;
    m.add_function(wrap_pyfunction!(boot::requirement_lines, m)?)?;
    m.add_function(wrap_pyfunction!(boot::store_dirs, m)?)?;
    m.add_function(wrap_pyfunction!(boot::default_dirs, m)?)?;
    m.add_function(wrap_pyfunction!(boot::unpack_names, m)?)?;
    m.add_function(wrap_pyfunction!(tools::parse_wheel_filename, m)?)?;
    m.add_function(wrap_pyfunction!(tools::supported_tags, m)?)?;
    m.add_function(wrap_pyfunction!(tools::parse_entry_points, m)?)?;
    m.add_function(wrap_pyfunction!(tools::scan, m)?)?;
    m.add_function(wrap_pyfunction!(tools::inspect_wheel, m)?)?;
    m.add_function(wrap_pyfunction!(tools::precompile, m)?)?;
    m.add_function(wrap_pyfunction!(tools::wheel_sources, m)?)?;
    m.add_function(wrap_pyfunction!(tools::encode_code_pack, m)?)?;
    m.add_function(wrap_pyfunction!(tools::code_pack_matches, m)?)?;
    m.add_function(wrap_pyfunction!(tools::publish_unpacked, m)?)?;
    m.add_function(wrap_pyfunction!(script::parse_toml, m)?)?;
    m.add_function(wrap_pyfunction!(lock::lock_wanted, m)?)?;
    m.add_function(wrap_pyfunction!(script::python_satisfies, m)?)?;
    m.add_class::<pep::Version>()?;
    m.add_function(wrap_pyfunction!(pep::parse_requirement, m)?)?;
    m.add_function(wrap_pyfunction!(pep::specifier_contains, m)?)?;
    m.add_function(wrap_pyfunction!(pep::evaluate_marker, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
