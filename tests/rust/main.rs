//! Cross-module tests of the wheelhook core.

mod support;
mod tags;
mod wheel_names;
