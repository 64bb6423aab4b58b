//! The `RECORD` file: every member with its hash and size. STUB.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("RECORD line {line}: {reason}")]
    Invalid { line: usize, reason: String },
}

/// One `RECORD` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    pub path: String,
    /// `(algorithm, digest)`, the digest decoded from urlsafe base64. Ex) `("sha256", [..32 bytes])`
    pub hash: Option<(String, Vec<u8>)>,
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub entries: Vec<RecordEntry>,
}

impl Record {
    pub fn parse(_text: &str) -> Result<Self, RecordError> {
        todo!()
    }
}
