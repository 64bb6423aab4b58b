//! Fuzzes the wheel filename parser: no panics, and what it accepts prints back to a name
//! that parses to the same spelling.
#![no_main]

use std::str::FromStr;

use _native::wheel::WheelFilename;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = WheelFilename::from_str(text) else {
        return;
    };
    let printed = parsed.to_string();
    let again = WheelFilename::from_str(&printed).expect("a printed filename parses");
    assert_eq!(again.to_string(), printed);
    let _ = parsed.tags().count();
});
