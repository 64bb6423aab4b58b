//! Serving modules from archives: which member a module name maps to, the activated wheels,
//! and the private cache (bytecode, native extensions).

mod by_path;
mod bytecode;
mod cache;
mod dist;
mod index;
mod native;
mod registry;
mod writer;

pub use by_path::{by_path, ByPath, Overrides};
pub use bytecode::{fnv64, BytecodeCache, SourceStamp, WheelDirs};
pub use cache::{check_private, collect_stale, default_dir, open_dir, write_atomic, CacheError};
pub use dist::{find_dist_info, ActiveDist, ImportError, Layout};
pub use index::{ModuleEntry, ModuleIndex, ModuleKind, SearchStep, SEARCH_ORDER};
pub use native::{is_native, NativeCache, NativeError};
pub use registry::{Registry, Served};
pub use writer::{Job, Pending, Writer, QUEUE_CAP};
