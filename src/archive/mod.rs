//! Memory-mapped wheel archives: the central-directory index, member reads, drop-time validation.

mod base64;
mod crc32;
mod error;
mod format;
mod index;
mod names;
mod read;
mod sha256;
mod validate;

pub use base64::{urlsafe_b64decode, urlsafe_b64encode_nopad, Base64Error};
pub use crc32::{crc32, Crc32};
pub use error::ArchiveError;
pub use index::{Archive, MemberInfo};
pub use names::check_name;
pub use read::MAX_MEMBER_SIZE;
pub use sha256::{sha256, Sha256};
pub use validate::{validate, validate_with, Limits, Validated};
