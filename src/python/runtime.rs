//! What every loader of a process shares: the bytecode cache (or its in-memory fallback) and
//! the counters that show what an import cost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use once_cell::sync::OnceCell;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;

use pyo3::exceptions::PyImportError;

use crate::archive::Archive;
use crate::import::{default_dir, open_dir, ActiveDist, BytecodeCache, NativeCache, SourceStamp};

static MARSHAL_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MARSHAL_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Where compiled code goes: the on-disk cache, or memory when the cache is refused.
#[derive(Debug)]
enum Store {
    Disk(BytecodeCache),
    Memory(Mutex<HashMap<(PathBuf, String), Vec<u8>>>),
}

/// Shared by the finder and its loaders.
#[derive(Debug)]
pub struct Runtime {
    magic: [u8; 4],
    store: OnceCell<Store>,
    cache_dir: OnceCell<Option<PathBuf>>,
    /// Where each active wheel's native members were materialised, by wheel path.
    native_dirs: Mutex<HashMap<PathBuf, PathBuf>>,
    /// This process's own directory for native code when the cache is refused (made once).
    private_root: OnceCell<PathBuf>,
    pub compiled: AtomicU64,
    pub cache_hits: AtomicU64,
    pub activation_hits: AtomicU64,
}

impl Runtime {
    pub fn new(py: Python<'_>) -> PyResult<Self> {
        let magic: Vec<u8> = py
            .import("_frozen_importlib_external")?
            .getattr("MAGIC_NUMBER")?
            .extract()?;
        let magic: [u8; 4] = magic.try_into().unwrap_or([0; 4]);
        Ok(Self {
            magic,
            store: OnceCell::new(),
            cache_dir: OnceCell::new(),
            native_dirs: Mutex::new(HashMap::new()),
            private_root: OnceCell::new(),
            compiled: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            activation_hits: AtomicU64::new(0),
        })
    }

    /// The private cache directory, created and checked on first use; `None` (after one warning)
    /// when it is unsafe or cannot be made.
    pub fn cache_dir(&self, py: Python<'_>) -> Option<PathBuf> {
        self.cache_dir
            .get_or_init(|| {
                let dir = default_dir(|k| std::env::var(k).ok())?;
                match open_dir(&dir) {
                    Ok(dir) => Some(dir),
                    Err(err) => {
                        warn(
                            py,
                            &format!("wheelhook: {err}; compiled code is kept in memory only"),
                        );
                        None
                    }
                }
            })
            .clone()
    }

    /// The root of native and unpacked copies: the private cache, or, when it is refused, a
    /// private directory of this process's own.
    fn native_root(&self, py: Python<'_>, wheel: &std::path::Path) -> PyResult<PathBuf> {
        match self.cache_dir(py) {
            Some(dir) => Ok(dir),
            None => self
                .private_root
                .get_or_try_init(private_temp_dir)
                .cloned()
                .map_err(|e| {
                    PyImportError::new_err(format!(
                        "{}: no safe directory to write native code or an unpacked copy in: {e}",
                        wheel.display()
                    ))
                }),
        }
    }

    /// The directory holding `dist`'s native members, materialised and verified once per process.
    pub fn native_dir(&self, py: Python<'_>, dist: &ActiveDist) -> PyResult<PathBuf> {
        if let Some(dir) = self.native_dirs.lock().get(dist.path()) {
            return Ok(dir.clone());
        }
        let cache = NativeCache::new(&self.native_root(py, dist.path())?);
        let dir = py
            .detach(|| cache.materialise(dist))
            .map_err(|e| PyImportError::new_err(e.to_string()))?;
        self.native_dirs
            .lock()
            .insert(dist.path().to_path_buf(), dir.clone());
        Ok(dir)
    }

    /// Unpacks a wheel (once; reused while it matches the archive) and returns the directory.
    pub fn unpack_dir(&self, py: Python<'_>, archive: &Archive) -> PyResult<PathBuf> {
        let cache = NativeCache::new(&self.native_root(py, archive.path())?);
        py.detach(|| cache.unpack(archive))
            .map_err(|e| PyImportError::new_err(e.to_string()))
    }

    fn store(&self, py: Python<'_>) -> &Store {
        self.store.get_or_init(|| match self.cache_dir(py) {
            Some(dir) => Store::Disk(BytecodeCache::new(&dir, self.magic)),
            None => Store::Memory(Mutex::new(HashMap::new())),
        })
    }

    /// The cached code object for a member, if valid.
    pub fn load<'py>(
        &self,
        py: Python<'py>,
        wheel: &std::path::Path,
        stamp: SourceStamp<'_>,
    ) -> Option<Bound<'py, PyAny>> {
        let data = match self.store(py) {
            Store::Disk(cache) => cache.load(wheel, stamp)?,
            Store::Memory(map) => map
                .lock()
                .get(&(wheel.to_path_buf(), stamp.member.to_owned()))?
                .clone(),
        };
        let loads = MARSHAL_LOADS.import(py, "marshal", "loads").ok()?;
        // A payload that passed its checksum but does not unmarshal is treated as a miss.
        let code = loads.call1((PyBytes::new(py, &data),)).ok()?;
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(code)
    }

    /// Keeps a freshly compiled code object, unless `sys.dont_write_bytecode` is set.
    pub fn save(
        &self,
        py: Python<'_>,
        wheel: &std::path::Path,
        stamp: SourceStamp<'_>,
        code: &Bound<'_, PyAny>,
    ) {
        let dont_write = py
            .import("sys")
            .and_then(|s| s.getattr("dont_write_bytecode"))
            .and_then(|v| v.is_truthy())
            .unwrap_or(false);
        if dont_write {
            return;
        }
        let Ok(dumps) = MARSHAL_DUMPS.import(py, "marshal", "dumps") else {
            return;
        };
        let Ok(data) = dumps.call1((code,)).and_then(|d| d.extract::<Vec<u8>>()) else {
            return;
        };
        match self.store(py) {
            // A failed write only costs a compile next time.
            Store::Disk(cache) => {
                let _ = py.detach(|| cache.store(wheel, stamp, &data));
            }
            Store::Memory(map) => {
                map.lock()
                    .insert((wheel.to_path_buf(), stamp.member.to_owned()), data);
            }
        }
    }
}

/// One `RuntimeWarning`; printed to stderr when warnings are turned into errors.
pub fn warn(py: Python<'_>, message: &str) {
    let sent = py.import("warnings").and_then(|w| {
        w.call_method1(
            "warn",
            (
                message,
                py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                2,
            ),
        )
    });
    if sent.is_err() {
        eprintln!("{message}");
    }
}

/// A new 0700 directory under the system temporary directory, for a process whose cache is refused.
fn private_temp_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!(
            "wheelhook-{}-{nanos:x}-{attempt}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a unique directory"))
}
