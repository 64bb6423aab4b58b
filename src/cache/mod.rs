//! The private per-user cache: its directory policy, atomic writes, compiled bytecode and the
//! thread that writes it, materialised native extensions, and remembered activations.

pub mod activation;
mod bytecode;
mod dir;
mod native;
mod writer;

pub use bytecode::{BytecodeCache, SourceStamp, WheelDirs};
pub use dir::{check_private, collect_stale, default_dir, open_dir, write_atomic, CacheError};
pub use native::{NativeCache, NativeError};
pub use writer::{Job, Pending, Writer, QUEUE_CAP};
