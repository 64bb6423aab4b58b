//! Helpers shared by the integration tests: a JSON reader and the launcher of the Python oracles.

/// A minimal JSON reader for the oracles' answers.
pub mod json;
/// The launcher of the Python oracles.
pub mod oracle;
