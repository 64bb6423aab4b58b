//! Helpers shared by the integration tests: a JSON reader and the `packaging` oracle.

pub mod json;
pub mod oracle;
