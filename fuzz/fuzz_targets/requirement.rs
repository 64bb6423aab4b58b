//! Fuzzes PEP 508 requirement parsing (`resolve::parse_requirement`): no panics, no hangs.
#![no_main]

use _native::resolve::parse_requirement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_requirement(text);
    }
});
