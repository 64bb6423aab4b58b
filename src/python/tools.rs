//! Module-level functions of `wheelhook._native` for the command line and the tests.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::facts;
use std::sync::Arc;

use super::loader::Loader;
use super::runtime::Runtime;
use crate::archive::{Archive, Limits, MAX_MEMBER_SIZE};
use crate::cache::{encode_pack, Pack, PackEntry, SourceStamp};
use crate::candidate::{Candidate, Origin};
use crate::error::Error;
use crate::import::{ActiveDist, ModuleKind};
use crate::resolve::Provider;
use crate::store::{Store, StoreConfig};
use crate::wheel::{verify_with, Metadata, PackageName, SupportedTags, WheelFilename};

/// Parses a wheel filename: `{"name", "version", "build", "tags"}`; `InvalidWheel` (a
/// `ValueError`) when invalid.
#[pyfunction]
pub fn parse_wheel_filename<'py>(py: Python<'py>, filename: &str) -> PyResult<Bound<'py, PyDict>> {
    let parsed = WheelFilename::from_str(filename).map_err(Error::from)?;
    let out = PyDict::new(py);
    out.set_item("name", parsed.name.as_str())?;
    out.set_item("version", parsed.version.to_string())?;
    out.set_item(
        "build",
        parsed
            .build_tag
            .as_ref()
            .map(|b| (b.number, b.suffix.clone())),
    )?;
    out.set_item(
        "tags",
        parsed.tags().map(|t| t.to_string()).collect::<Vec<_>>(),
    )?;
    Ok(out)
}

/// The entry points of an `entry_points.txt`'s text: `(group, name, value)` in file order (see
/// `parse_entry_points` for the rules). Ex) `[console_scripts]` `black = black:main`
#[pyfunction]
pub fn parse_entry_points(text: &str) -> Vec<(String, String, String)> {
    crate::wheel::parse_entry_points(text)
        .into_iter()
        .map(|d| (d.group, d.name, d.value))
        .collect()
}

/// The running interpreter's supported tags, best first.
#[pyfunction]
pub fn supported_tags(py: Python<'_>) -> PyResult<Vec<String>> {
    let tags = SupportedTags::new(&facts::interpreter(py)?);
    Ok(tags.tags.iter().map(|t| t.to_string()).collect())
}

/// Rows of a listing, one dictionary each.
type Rows<'py> = Vec<Bound<'py, PyDict>>;

/// Lists the store: `(candidates, rejected)` as dictionaries, for `wheelhook list`.
#[pyfunction]
pub fn scan<'py>(
    py: Python<'py>,
    wheel_dirs: Vec<PathBuf>,
    default_dirs: Vec<PathBuf>,
) -> PyResult<(Rows<'py>, Rows<'py>)> {
    let tags = Arc::new(SupportedTags::new(&facts::interpreter(py)?));
    let store = Store::scan(&StoreConfig {
        wheel_dirs,
        default_dirs,
        tags,
    });
    let mut candidates = Vec::new();
    let mut rejected = Vec::new();
    for name in &store.names() {
        for c in store.candidates(name) {
            let d = PyDict::new(py);
            d.set_item("name", name.as_str())?;
            d.set_item("version", c.version.to_string())?;
            d.set_item("kind", if c.is_default() { "default" } else { "wheel" })?;
            d.set_item("path", c.origin.path().to_string_lossy())?;
            d.set_item("rank", c.rank)?;
            candidates.push(d);
        }
        for r in store.rejected(name) {
            let d = PyDict::new(py);
            d.set_item("name", name.as_str())?;
            d.set_item("version", r.version.as_ref().map(ToString::to_string))?;
            d.set_item("path", r.path.to_string_lossy())?;
            d.set_item("reason", &r.reason)?;
            rejected.push(d);
        }
    }
    Ok((candidates, rejected))
}

/// Checks a wheel for dropping and describes it: `{"name", "version", "dist_info", "filename"}`.
/// Raises `wheelhook.errors.InvalidWheel` naming the file and the reason. `max_member_size`
/// and `max_total_size` replace the default budgets on inflated sizes (see [`Limits`]); a
/// member budget past [`MAX_MEMBER_SIZE`] is a `ValueError`.
#[pyfunction]
#[pyo3(signature = (path, max_member_size=None, max_total_size=None))]
pub fn inspect_wheel<'py>(
    py: Python<'py>,
    path: PathBuf,
    max_member_size: Option<u64>,
    max_total_size: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let defaults = Limits::default();
    let limits = Limits {
        max_member_size: max_member_size.unwrap_or(defaults.max_member_size),
        max_total_size: max_total_size.unwrap_or(defaults.max_total_size),
        ..defaults
    };
    if limits.max_member_size > MAX_MEMBER_SIZE {
        return Err(PyValueError::new_err(format!(
            "the member size limit {} is past {MAX_MEMBER_SIZE} bytes, the most wheelhook reads \
             into memory",
            limits.max_member_size
        )));
    }
    let checked = check_wheel(&path, &limits)?;
    let out = PyDict::new(py);
    out.set_item("name", checked.filename.name.as_str())?;
    out.set_item("version", checked.filename.version.to_string())?;
    out.set_item("dist_info", checked.dist_info)?;
    out.set_item("filename", checked.file_name)?;
    Ok(out)
}

/// A wheel that passed the checks before a drop.
struct Checked {
    /// Ex) `six-1.15.0-py2.py3-none-any.whl`
    file_name: String,
    filename: WheelFilename,
    /// Ex) `six-1.15.0.dist-info`
    dist_info: String,
}

/// The checks before a drop: the filename parses, the archive is valid within `limits`, and
/// `METADATA` names the same distribution and version as the filename.
fn check_wheel(path: &Path, limits: &Limits) -> Result<Checked, Error> {
    let invalid = |cause: &dyn std::fmt::Display| Error::invalid_wheel(path, cause);
    let at = |cause: &dyn std::fmt::Display| invalid(&format!("{}: {cause}", path.display()));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let filename = WheelFilename::from_str(&file_name).map_err(|e| at(&e))?;
    let archive = Archive::open(path).map_err(|e| invalid(&e))?;
    let dist_info = verify_with(&archive, limits)
        .map_err(|e| invalid(&e))?
        .dist_info;
    let metadata_member = format!("{dist_info}/METADATA");
    let text = archive.read(&metadata_member).map_err(|e| invalid(&e))?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| at(&format_args!("{metadata_member} is not UTF-8")))?;
    let metadata = Metadata::parse(text).map_err(|e| at(&e))?;
    if PackageName::new(&metadata.name) != filename.name {
        return Err(at(&format_args!(
            "the filename names the distribution \"{}\" but METADATA says \"{}\"",
            filename.name, metadata.name
        )));
    }
    if metadata.version != filename.version {
        return Err(at(&format_args!(
            "the filename says version {} but METADATA says {}",
            filename.version, metadata.version
        )));
    }
    Ok(Checked {
        file_name,
        filename,
        dist_info,
    })
}

/// A wheel file opened and indexed for importing, as activation does.
fn open_dist(py: Python<'_>, path: &Path) -> PyResult<Arc<ActiveDist>> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let filename = WheelFilename::from_str(file_name).map_err(|e| Error::invalid_wheel(path, e))?;
    let archive = Arc::new(Archive::open(path)?);
    let candidate = Candidate {
        name: filename.name.clone(),
        version: filename.version.clone(),
        origin: Origin::Wheel {
            path: path.to_path_buf(),
            filename,
        },
        rank: 0,
    };
    let suffixes: Vec<String> = py
        .import("_imp")?
        .call_method0("extension_suffixes")?
        .extract()?;
    Ok(Arc::new(ActiveDist::new(candidate, archive, &suffixes)?))
}

/// The names of the modules of `dist` that have Python source.
fn source_modules(dist: &ActiveDist) -> Vec<String> {
    dist.index
        .iter()
        .filter(|(_, e)| e.kind == ModuleKind::Source)
        .map(|(n, _)| n.to_owned())
        .collect()
}

/// Compiles every Python module of a wheel into the bytecode cache (what `drop` does), so the
/// first import of each is already warm; returns how many modules were compiled, once their
/// entries are written.
#[pyfunction]
pub fn precompile(py: Python<'_>, path: PathBuf) -> PyResult<usize> {
    let dist = open_dist(py, &path)?;
    let runtime = Arc::new(Runtime::scoped(py)?);
    let loader = Loader::new(dist.clone(), runtime.clone());
    for name in source_modules(&dist) {
        // A module that does not compile fails at import time, with its own SyntaxError.
        let _ = loader.code(py, &name);
    }
    runtime.finish(py);
    Ok(runtime.compiled.load(std::sync::atomic::Ordering::Relaxed) as usize)
}

/// One module's source, as `wheel_sources` lists it: (member, filename, CRC-32, size, source).
type Source<'py> = (String, String, u32, u64, Bound<'py, PyBytes>);

/// The Python modules of a wheel with what compiling and publishing them needs: the member, the
/// file name its code gets (its path inside the wheel's path), the member's CRC-32 and size from
/// the central directory (what a pack entry is checked against) and its source bytes, sorted by
/// member (`wheelhook compile`).
#[pyfunction]
pub fn wheel_sources<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Vec<Source<'py>>> {
    let dist = open_dist(py, &path)?;
    let mut out = Vec::new();
    for name in source_modules(&dist) {
        let Some(entry) = dist.index.get(&name) else {
            continue;
        };
        let Some(info) = dist.archive.member(&entry.member) else {
            continue;
        };
        let source = dist.read(&entry.member).map_err(Error::from)?;
        out.push((
            entry.member.clone(),
            dist.member_path(&entry.member),
            info.crc32,
            info.size,
            PyBytes::new(py, &source),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Whether the code pack at `pack` is for the interpreter with `magic` and holds nothing stale
/// for the wheel at `wheel`: it opens and passes its checks, and each entry names a member of
/// the wheel with the CRC-32 and size it was compiled from (`wheelhook compile` rewrites a pack
/// only when it is not, or is older than its wheel). False when either cannot be read.
#[pyfunction]
pub fn code_pack_matches(pack: PathBuf, magic: &[u8], wheel: PathBuf) -> bool {
    let Ok(magic) = <[u8; 4]>::try_from(magic) else {
        return false;
    };
    // Only whether the bytes are a sound pack matters here: whoever owns the file.
    let Ok(data) = std::fs::read(&pack) else {
        return false;
    };
    let (Ok(pack), Ok(archive)) = (Pack::from_bytes(&pack, data, &magic), Archive::open(&wheel))
    else {
        return false;
    };
    let stale = pack.entries().any(|entry| {
        archive
            .member(entry.stamp.member)
            .is_none_or(|info| info.crc32 != entry.stamp.crc32 || info.size != entry.stamp.size)
    });
    !stale && pack.entries().count() == pack.len()
}

/// A code pack for the interpreter whose magic number is `magic`: `entries` are (member,
/// CRC-32, size, marshalled code) (see `src/cache/pack.rs`; `wheelhook compile` writes it).
#[pyfunction]
pub fn encode_code_pack<'py>(
    py: Python<'py>,
    magic: &[u8],
    entries: Vec<(String, u32, u64, Vec<u8>)>,
) -> PyResult<Bound<'py, PyBytes>> {
    let magic: [u8; 4] = magic.try_into().map_err(|_| {
        PyValueError::new_err(format!(
            "a magic number is 4 bytes, not {} ({magic:?})",
            magic.len()
        ))
    })?;
    let packed = encode_pack(
        &magic,
        entries.iter().map(|(member, crc32, size, code)| PackEntry {
            stamp: SourceStamp {
                member,
                crc32: *crc32,
                size: *size,
            },
            code,
        }),
    );
    Ok(PyBytes::new(py, &packed))
}

/// Publishes the unpacked copy of the wheel at `path` beside it in its store, for every node
/// that mounts the store (`wheelhook compile`; the caller holds the store's lock). Returns the
/// copy's directory, or `None` when the wheel is not one whose copy is published: not served
/// unpacked by default, or with native members (materialised on each node).
#[pyfunction]
pub fn publish_unpacked(py: Python<'_>, path: PathBuf) -> PyResult<Option<String>> {
    let archive = Archive::open(&path)?;
    let published = py.detach(|| crate::cache::unpacked::publish(&archive));
    let dir = published.map_err(Error::from)?;
    Ok(dir.map(|d| d.to_string_lossy().into_owned()))
}
