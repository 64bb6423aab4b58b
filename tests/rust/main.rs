//! Cross-module tests of the wheelhook core.

mod archive;
mod differential;
mod zipbuild;
