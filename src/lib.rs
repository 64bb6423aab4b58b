//! wheelhook: import several versions of a distribution side by side, straight from wheels.
//!
//! Everything but `python` is plain Rust, tested by `cargo test` without an interpreter.

pub mod archive;
pub mod cache;
pub mod candidate;
pub mod error;
pub mod hash;
pub mod import;
pub mod lock;
pub mod resolve;
pub mod script;
pub mod session;
pub mod store;
pub mod wheel;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, Result};
