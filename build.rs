//! Links LLVM's libunwind statically into the extension module when it is available.
//!
//! Rust's panics unwind through `libgcc_s.so.1`, a shared library that plain `python` never
//! loads: loading it costs every interpreter start that activates wheelhook about 0.2 ms on a
//! small VM, more than a fifth of the extension's whole load. A static unwinder inside the
//! extension (its symbols stay local: the module exports only `PyInit__native`) removes that,
//! keeps the wheel's manylinux tag, and keeps panics catchable. Without the library (Debian:
//! `libunwind-14-dev`; any LLVM version), the extension links `libgcc_s` as usual.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WHEELHOOK_LIBUNWIND_DIR");
    // Only the extension (the `python` feature) is loaded at start-up; tests and the fuzzers
    // link as usual.
    if std::env::var_os("CARGO_FEATURE_PYTHON").is_none() {
        return;
    }
    let target = std::env::var("TARGET").unwrap_or_default();
    if !(target.ends_with("-linux-gnu") && target == std::env::var("HOST").unwrap_or_default()) {
        return;
    }
    if let Some(dir) = libunwind_dir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:-bundle=unwind");
    }
}

/// `$WHEELHOOK_LIBUNWIND_DIR`, else the newest `/usr/lib/llvm-*/lib` holding `libunwind.a`.
fn libunwind_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WHEELHOOK_LIBUNWIND_DIR") {
        let dir = PathBuf::from(dir);
        return dir.join("libunwind.a").is_file().then_some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version: u32 = name.strip_prefix("llvm-")?.parse().ok()?;
            let dir = entry.path().join("lib");
            has_archive(&dir).then_some((version, dir))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir)
}

fn has_archive(dir: &Path) -> bool {
    dir.join("libunwind.a").is_file()
}
