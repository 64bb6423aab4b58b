//! Memory-mapped ZIP archives: the central-directory index, member reads, drop-time validation.

mod error;
mod format;
mod mapped;
mod names;
mod read;
mod validate;

pub use error::ArchiveError;
pub use mapped::{Archive, MemberInfo};
pub use names::check_name;
pub use read::MAX_MEMBER_SIZE;
pub use validate::Limits;
