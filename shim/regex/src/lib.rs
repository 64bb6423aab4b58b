//! The part of the `regex` API that pep508_rs uses, served by `regex-lite`.
//!
//! pep508_rs compiles one pattern, `(?P<var>\$\{(?P<name>[A-Z0-9_]+)})` (it expands `${NAME}`
//! in URLs), and for it depends on `regex` with its default features: the Unicode tables and
//! the literal optimisations. Cargo cannot turn a dependency's default features off from here,
//! and those tables are most of the extension's relocations: every interpreter start that loads
//! wheelhook paid for them (about 190 us of dynamic loading, 1.4 MB of file). `regex-lite` is the
//! same author's small engine with the same syntax and API for ASCII patterns.
//!
//! `[patch.crates-io]` in the workspace manifest puts this crate in `regex`'s place. A crate
//! that needs more of `regex` than is re-exported here fails to build, loudly; the shim goes
//! once pep508_rs depends on `regex` without its default features.

pub use regex_lite::{Captures, Error, Match, Regex, Replacer};
