//! Wheels as files: names (PEP 503), filenames (PEP 427), tags (PEP 425), `WHEEL`, `METADATA`, `RECORD`.

mod dist_info;
mod filename;
mod headers;
mod name;
mod platform;
mod record;
mod tags;

pub use dist_info::{DistInfoError, Metadata, WheelInfo};
pub use filename::{FilenameError, WheelFilename};
pub use name::PackageName;
pub use record::{Record, RecordEntry, RecordError};
pub use tags::{InterpreterFacts, Platform, SupportedTags, Tag};
