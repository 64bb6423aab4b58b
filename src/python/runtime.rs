//! What every loader of a process shares: the bytecode cache (one pack per wheel, or an in-memory
//! fallback), its background writer, and the counters that show what an import cost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use once_cell::sync::OnceCell;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::{MutexExt, OnceLockExt, PyOnceLock};
use pyo3::types::{PyBytes, PyCFunction, PyDict};

use crate::archive::Archive;
use crate::cache::{
    default_dir, interpreter_tag, open_dir, unpacked, BytecodeCache, Job, NativeCache, NativeError,
    OpenPacks, Published, PublishedPack, SourceStamp, Writer, IDLE, QUEUE_CAP,
};
use crate::import::ActiveDist;

static MARSHAL_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MARSHAL_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static FIX_CO_FILENAME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Where compiled code is kept: the on-disk cache, one pack per wheel (mapped once, on the first
/// lookup of the wheel; written in the background), or memory when the cache is refused.
#[derive(Debug)]
enum CodeCache {
    Disk {
        cache: BytecodeCache,
        packs: OpenPacks,
        writer: Arc<Writer>,
    },
    Memory(Mutex<HashMap<(PathBuf, String), Vec<u8>>>),
}

/// Shared by the finder and its loaders.
#[derive(Debug)]
pub struct Runtime {
    magic: [u8; 4],
    /// Names the interpreter in pack names. Ex) `cpython-311`, `cpython-311.opt-1`
    tag: String,
    /// The packs published beside the store's wheels for this interpreter.
    published: Published,
    /// `OnceLock`s initialised with `get_or_init_py_attached`: their initialisation calls
    /// Python (a warning), and a thread waiting for it must not hold the interpreter meanwhile.
    code_cache: OnceLock<CodeCache>,
    cache_dir: OnceLock<Option<PathBuf>>,
    /// Where each active wheel's native members were materialised, by wheel path.
    native_dirs: Mutex<HashMap<PathBuf, PathBuf>>,
    /// Wheels whose published unpacked copy was refused (and warned about) in this process.
    refused_copies: Mutex<std::collections::HashSet<PathBuf>>,
    /// This process's own directory for native code when the cache is refused (made once).
    private_root: OnceCell<PathBuf>,
    /// Whether the writer's exit and fork hooks are registered (with the first entry queued),
    /// or not wanted. Not a `OnceCell`: registering imports, which lets other threads run, and
    /// one of them blocked on the cell with the interpreter lock would deadlock.
    hooked: AtomicBool,
    pub compiled: AtomicU64,
    /// Code objects taken from the private cache or from published packs.
    pub cache_hits: AtomicU64,
    /// Of `cache_hits`, those from published packs.
    pub published_hits: AtomicU64,
    pub activation_hits: AtomicU64,
}

impl Runtime {
    pub fn new(py: Python<'_>) -> PyResult<Self> {
        let magic: Vec<u8> = py
            .import("_frozen_importlib_external")?
            .getattr("MAGIC_NUMBER")?
            .extract()?;
        let magic: [u8; 4] = magic.try_into().unwrap_or([0; 4]);
        let sys = py.import("sys")?;
        let cache_tag: Option<String> = sys
            .getattr("implementation")?
            .getattr("cache_tag")?
            .extract()?;
        let optimize: u32 = sys.getattr("flags")?.getattr("optimize")?.extract()?;
        let tag = interpreter_tag(cache_tag.as_deref(), &magic, optimize);
        Ok(Self {
            magic,
            tag: tag.clone(),
            published: Published::new(magic, tag),
            code_cache: OnceLock::new(),
            cache_dir: OnceLock::new(),
            native_dirs: Mutex::new(HashMap::new()),
            refused_copies: Mutex::new(std::collections::HashSet::new()),
            private_root: OnceCell::new(),
            hooked: AtomicBool::new(false),
            compiled: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            published_hits: AtomicU64::new(0),
            activation_hits: AtomicU64::new(0),
        })
    }

    /// A runtime for one task whose owner ends it with [`Runtime::finish`] (precompiling a
    /// wheel): it registers no exit or fork hooks, which would outlive it.
    pub fn scoped(py: Python<'_>) -> PyResult<Self> {
        let runtime = Self::new(py)?;
        runtime.hooked.store(true, Ordering::Relaxed);
        Ok(runtime)
    }

    /// The private cache directory, created and checked on first use; `None` (after one warning)
    /// when it is unsafe or cannot be made.
    pub fn cache_dir(&self, py: Python<'_>) -> Option<PathBuf> {
        self.cache_dir
            .get_or_init_py_attached(py, || {
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
    fn native_root(&self, py: Python<'_>, wheel: &std::path::Path) -> Result<PathBuf, NativeError> {
        match self.cache_dir(py) {
            Some(dir) => Ok(dir),
            None => self
                .private_root
                .get_or_try_init(private_temp_dir)
                .cloned()
                .map_err(|e| NativeError::Wheel {
                    wheel: wheel.to_path_buf(),
                    reason: format!(
                        "no safe directory to write native code or an unpacked copy in: {e}"
                    ),
                }),
        }
    }

    /// The directory holding `dist`'s native members, materialised and verified once per process.
    pub fn native_dir(&self, py: Python<'_>, dist: &ActiveDist) -> Result<PathBuf, NativeError> {
        if let Some(dir) = self.native_dirs.lock_py_attached(py).get(dist.path()) {
            return Ok(dir.clone());
        }
        let cache = NativeCache::new(&self.native_root(py, dist.path())?);
        let dir = py.detach(|| cache.materialise(dist))?;
        self.native_dirs
            .lock_py_attached(py)
            .insert(dist.path().to_path_buf(), dir.clone());
        Ok(dir)
    }

    /// The unpacked copy of a wheel: the one its store publishes, when it matches and is
    /// trusted, else one in the private cache (written once; reused while it matches the
    /// archive). A published copy that is not trusted is ignored with one warning.
    pub fn unpack_dir(&self, py: Python<'_>, archive: &Archive) -> Result<PathBuf, NativeError> {
        let store = archive.path().parent().unwrap_or(std::path::Path::new("."));
        let published = || {
            if !self.published.publishes(store) {
                return Ok(None);
            }
            unpacked::find(archive, |store| self.published.owner(store))
        };
        match py.detach(published) {
            Ok(Some(dir)) => return Ok(dir),
            Ok(None) => {}
            Err(reason) => {
                if self
                    .refused_copies
                    .lock_py_attached(py)
                    .insert(archive.path().to_path_buf())
                {
                    warn(
                        py,
                        &format!(
                            "wheelhook: ignoring the published unpacked copy of {}: {reason}",
                            archive.path().display()
                        ),
                    );
                }
            }
        }
        let cache = NativeCache::new(&self.native_root(py, archive.path())?);
        py.detach(|| cache.unpack(archive))
    }

    /// Extracts a resource of `dist` (a file or a directory) into the private cache and returns
    /// its lasting path there. With no usable cache there is no lasting place: an error.
    pub fn resource_path(
        &self,
        py: Python<'_>,
        dist: &ActiveDist,
        member: &str,
    ) -> Result<PathBuf, NativeError> {
        let Some(dir) = self.cache_dir(py) else {
            return Err(NativeError::Member {
                wheel: dist.path().to_path_buf(),
                member: member.to_owned(),
                reason: "no private cache to extract it to (see the warning above)".into(),
            });
        };
        let cache = NativeCache::new(&dir);
        py.detach(|| cache.extract(dist, member))
    }

    fn code_cache(&self, py: Python<'_>) -> &CodeCache {
        self.code_cache
            .get_or_init_py_attached(py, || match self.cache_dir(py) {
                Some(dir) => {
                    let cache = BytecodeCache::new(&dir, self.magic, &self.tag);
                    let writer = Arc::new(Writer::new(cache.clone(), QUEUE_CAP, IDLE));
                    CodeCache::Disk {
                        cache,
                        packs: OpenPacks::default(),
                        writer,
                    }
                }
                None => CodeCache::Memory(Mutex::new(HashMap::new())),
            })
    }

    /// The code object of a member from the pack published beside its wheel, when there is a
    /// trusted pack whose entry matches the member. An untrusted or invalid pack is ignored
    /// with one warning per process; an entry that fails its checks is a miss. The code keeps
    /// the path its wheel had where it was compiled: `co_filename` is set to `origin()`, the
    /// member's path here, as CPython does for a `.pyc` that moved (`_imp._fix_co_filename`).
    pub fn load_published<'py>(
        &self,
        py: Python<'py>,
        wheel: &std::path::Path,
        stamp: SourceStamp<'_>,
        origin: impl FnOnce() -> String,
    ) -> Option<Bound<'py, PyAny>> {
        let pack = match self.published.pack(wheel) {
            PublishedPack::Open(pack) => pack,
            PublishedPack::Absent => return None,
            PublishedPack::Refused(err) => {
                warn(py, &format!("wheelhook: {err}; it is ignored"));
                return None;
            }
        };
        let data = PyBytes::new(py, pack.get(stamp)?);
        let code = MARSHAL_LOADS
            .import(py, "marshal", "loads")
            .ok()?
            .call1((data,))
            .ok()?;
        FIX_CO_FILENAME
            .import(py, "_imp", "_fix_co_filename")
            .ok()?
            .call1((&code, origin()))
            .ok()?;
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        self.published_hits.fetch_add(1, Ordering::Relaxed);
        Some(code)
    }

    /// The cached code object for a member, if valid.
    pub fn load<'py>(
        &self,
        py: Python<'py>,
        wheel: &std::path::Path,
        stamp: SourceStamp<'_>,
    ) -> Option<Bound<'py, PyAny>> {
        let data = self.private_code(py, wheel, stamp)?;
        let loads = MARSHAL_LOADS.import(py, "marshal", "loads").ok()?;
        // A payload that passed its checksum but does not unmarshal is treated as a miss.
        let code = loads.call1((data,)).ok()?;
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(code)
    }

    /// The marshalled code for a member from the private cache: a copy of its pack's entry (the
    /// one copy of the code in user space), or the in-memory fallback's.
    fn private_code<'py>(
        &self,
        py: Python<'py>,
        wheel: &std::path::Path,
        stamp: SourceStamp<'_>,
    ) -> Option<Bound<'py, PyBytes>> {
        match self.code_cache(py) {
            CodeCache::Disk { cache, packs, .. } => {
                let pack = packs.get(wheel, || cache.open(wheel))?;
                Some(PyBytes::new(py, pack.get(stamp)?))
            }
            CodeCache::Memory(map) => {
                let map = map.lock_py_attached(py);
                let code = map.get(&(wheel.to_path_buf(), stamp.member.to_owned()))?;
                Some(PyBytes::new(py, code))
            }
        }
    }

    /// Keeps a freshly compiled code object, unless `sys.dont_write_bytecode` is set. On disk,
    /// the entry is queued for the writer, which adds it to the wheel's pack at the next flush
    /// point: the importing thread only marshals.
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
        match self.code_cache(py) {
            CodeCache::Disk { writer, .. } => match writer.submit(Job::new(wheel, stamp, data)) {
                Ok(()) => {
                    if !self.hooked.swap(true, Ordering::AcqRel) {
                        register_hooks(py, writer);
                    }
                }
                // Over the queue's cap, or after the exit flush: written here, with what is
                // queued. A failed write only costs a compile next time.
                Err(job) => match writer.queue_past_cap(job) {
                    Ok(pending) => py.detach(|| pending.wait()),
                    Err(job) => py.detach(|| writer.write_alone(job)),
                },
            },
            CodeCache::Memory(map) => {
                map.lock_py_attached(py)
                    .insert((wheel.to_path_buf(), stamp.member.to_owned()), data);
            }
        }
    }

    /// Waits, without the interpreter lock, until every entry queued so far is on disk.
    pub fn flush(&self, py: Python<'_>) {
        if let Some(CodeCache::Disk { writer, .. }) = self.code_cache.get() {
            flush(py, writer);
        }
    }

    /// Writes every entry queued and ends the writer thread (the next entry starts another).
    pub fn finish(&self, py: Python<'_>) {
        if let Some(CodeCache::Disk { writer, .. }) = self.code_cache.get() {
            stop(py, writer);
        }
    }
}

fn flush(py: Python<'_>, writer: &Writer) {
    // The ticket is taken under the interpreter lock, so no `os.fork` can copy the writer's lock
    // held; the wait releases it, so the writer's own progress never waits on Python.
    if let Some(pending) = writer.flush() {
        py.detach(|| pending.wait());
    }
}

fn stop(py: Python<'_>, writer: &Writer) {
    if let Some(pending) = writer.stop() {
        py.detach(|| pending.wait());
    }
}

/// Registers what keeps queued entries from being lost or getting in the way:
/// - at the interpreter's exit, a flush, after which entries are written where they are made;
/// - when `threading` shuts down, a flush: a child that `multiprocessing` forked ends there and
///   skips `atexit`;
/// - before `os.fork`, the writer thread is stopped once it has written what is queued, so the
///   process forks with no thread of ours (3.12 warns about forking a process with threads).
///
/// A hook that cannot be registered only risks losing entries, which costs a compile next time.
fn register_hooks(py: Python<'_>, writer: &Arc<Writer>) {
    let hook = |name: &'static std::ffi::CStr, run: fn(Python<'_>, &Writer)| {
        let writer = writer.clone();
        PyCFunction::new_closure(py, Some(name), None, move |args, _kwargs| {
            run(args.py(), &writer);
            args.py().None()
        })
    };
    let at_exit = hook(c"flush_at_exit", |py, writer| {
        flush(py, writer);
        writer.close();
    });
    let _ = at_exit.and_then(|f| py.import("atexit")?.call_method1("register", (f,)));
    let at_threading_exit = hook(c"flush", flush);
    let _ = at_threading_exit.and_then(|f| {
        py.import("threading")?
            .call_method1("_register_atexit", (f,))
    });
    let before_fork = hook(c"stop_before_fork", stop);
    let _ = before_fork.and_then(|f| {
        let kwargs = PyDict::new(py);
        kwargs.set_item("before", f)?;
        py.import("os")?
            .call_method("register_at_fork", (), Some(&kwargs))
    });
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
