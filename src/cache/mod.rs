//! The private per-user cache: its directory policy, atomic writes, compiled bytecode (one
//! code pack per wheel) and the thread that writes it, code packs (one wheel's compiled code in
//! one file, private or published beside a store's wheels), the published packs a process finds,
//! materialised native extensions, the unpacked copies a store publishes, and remembered
//! activations.

pub mod activation;
mod atomic;
mod bytecode;
mod dir;
mod native;
mod pack;
mod published;
pub mod unpacked;
mod writer;

pub use atomic::{read_small, write_atomic};
pub use bytecode::{interpreter_tag, BytecodeCache, OpenPacks, CODE_DIR};
pub use dir::{default_dir, open_dir, CacheError};
pub use native::{NativeCache, NativeError};
pub use pack::{
    encode as encode_pack, published_path, Pack, PackEntry, PackError, SourceStamp, Trust,
};
pub use published::{Published, PublishedPack};
pub use writer::{Job, Writer, IDLE, QUEUE_CAP};

/// An empty directory for one test of this folder, unique to the process.
/// Ex) `/tmp/wheelhook-writer-test-queue-1234`
#[cfg(test)]
fn scratch_dir(file: &str, test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wheelhook-{file}-test-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
