//! Helpers shared by the integration tests: a JSON reader and the launcher of the Python oracles.

pub mod json;
pub mod oracle;
