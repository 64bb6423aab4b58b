//! Serving modules from activated wheels: which member a module name maps to, the activated
//! wheels and their layouts, and whether a wheel's packages must be served unpacked.

mod by_path;
mod dist;
mod entry_points;
mod index;
mod registry;

pub use by_path::{by_path, ByPath, Overrides};
pub use dist::{ActiveDist, ImportError, Layout};
pub use entry_points::{EntryPointIndex, IndexedDist, IndexedEntry};
pub use index::{FoundInDir, ModuleEntry, ModuleIndex, ModuleKind};
pub use registry::{Located, Registry, Served};
