//! Wheels as files: names (PEP 503), filenames (PEP 427), tags (PEP 425), `WHEEL`, `METADATA`,
//! `RECORD`, and the drop-time verification of a wheel archive.

mod dist_info;
mod entry_points;
mod filename;
mod headers;
mod locate;
mod name;
mod native;
mod platform;
mod record;
mod requirement;
mod tags;
mod verify;

pub use dist_info::{DistInfoError, Metadata, WheelInfo};
pub use entry_points::{parse_entry_points, EntryPointDecl};
pub use filename::{BuildTag, FilenameError, WheelFilename};
pub use locate::{find_dist_info, LocateError};
pub use name::{is_identifier, PackageName};
pub use native::is_native;
pub use record::{encode_digest, Record, RecordEntry, RecordError, RecordHash};
pub use requirement::{parse_requirement, requirement_parts, RequirementError, RequirementParts};
pub use tags::{InterpreterFacts, Platform, SupportedTags, Tag};
pub use verify::{verify, verify_with, MemberProblem, VerifiedWheel, VerifyError};
