//! Cross-module tests of the wheelhook core.

mod resolve;
