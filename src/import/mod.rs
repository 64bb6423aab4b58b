//! Serving modules from archives: which member a module name maps to, and the activated wheels.

mod dist;
mod index;
mod registry;

pub use dist::{find_dist_info, ActiveDist, ImportError};
pub use index::{ModuleEntry, ModuleIndex, ModuleKind, SearchStep, SEARCH_ORDER};
pub use registry::{Registry, Served};
