//! Cross-module tests of the wheelhook core.

mod activation;
mod archive;
mod by_path;
mod differential;
mod markers_differential;
mod native_cache;
mod resolve;
mod session;
mod store_scan;
mod support;
mod tags;
mod wheel_names;
mod zipbuild;
