//! The entry-point index as Python reads it: built once per active set and kept in the finder's
//! state until the active set or the listing of the store changes.

use std::sync::Arc;

use parking_lot::RwLock;
use pyo3::prelude::*;
use pyo3::sync::RwLockExt;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::state::{self, KeptEntryPoints, State};
use crate::import::EntryPointIndex;
use crate::session::StoreDirs;
use crate::wheel::SupportedTags;

/// The entry points of the active set as `(dists, groups)`: `dists` a list of
/// `(name, version, path, is_wheel)` in `importlib.metadata`'s order, `groups` a dict from each
/// group (in order of first appearance) to its `(name, value, dist)` tuples in that order. The
/// same object is returned until the active set or the listing of the store changes.
pub fn table(
    py: Python<'_>,
    state: &RwLock<State>,
    dirs: StoreDirs,
    tags: impl FnOnce() -> Arc<SupportedTags>,
) -> PyResult<Py<PyTuple>> {
    {
        let state = state.read_py_attached(py);
        if let Some(kept) = state.entry_points.as_ref().filter(|k| k.dirs == dirs) {
            return Ok(kept.table.clone_ref(py));
        }
    }
    let listing = state::listing(py, state, &dirs, tags);
    let index = {
        let state = state.read_py_attached(py);
        let mut wheels: Vec<_> = state.registry.dists().iter().collect();
        wheels.sort_by(|a, b| a.candidate.name.cmp(&b.candidate.name));
        // A default that an active wheel replaces is skipped by `build` (each name once).
        EntryPointIndex::build(wheels.iter().copied(), listing.store.defaults())
    };
    let table = to_python(py, &index)?;
    state.write_py_attached(py).entry_points = Some(KeptEntryPoints {
        dirs,
        table: table.clone_ref(py),
    });
    Ok(table)
}

fn to_python(py: Python<'_>, index: &EntryPointIndex) -> PyResult<Py<PyTuple>> {
    let dists = PyList::empty(py);
    for dist in &index.dists {
        let path = dist.path.to_string_lossy();
        dists.append((dist.name.as_str(), &dist.version, path, dist.wheel))?;
    }
    let groups = PyDict::new(py);
    for entry in &index.entries {
        let row = (&entry.decl.name, &entry.decl.value, entry.dist);
        match groups.get_item(&entry.decl.group)? {
            Some(list) => list.cast_into::<PyList>()?.append(row)?,
            None => groups.set_item(&entry.decl.group, PyList::new(py, [row])?)?,
        }
    }
    Ok(PyTuple::new(py, [dists.into_any(), groups.into_any()])?.unbind())
}
