//! Fuzzes the `.dist-info` parsers: `METADATA`, `WHEEL` and `RECORD` (the first byte picks one).
#![no_main]

use _native::wheel::{Metadata, Record, WheelInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 3 {
        0 => drop(Metadata::parse(text)),
        1 => drop(WheelInfo::parse(text)),
        _ => {
            if let Ok(record) = Record::parse(text) {
                for entry in &record.entries {
                    assert!(record.get(&entry.path).is_some());
                }
            }
        }
    }
});
