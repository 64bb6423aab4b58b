//! The private per-user cache: its directory policy, atomic writes, compiled bytecode and the
//! thread that writes it, materialised native extensions, and remembered activations.

pub mod activation;
mod atomic;
mod bytecode;
mod dir;
mod native;
mod writer;

pub use atomic::write_atomic;
pub use bytecode::{BytecodeCache, SourceStamp};
pub use dir::{default_dir, open_dir, CacheError};
pub use native::{NativeCache, NativeError};
pub use writer::{Job, Writer, QUEUE_CAP};
