//! Fuzzes the code pack reader with arbitrary bytes. Any input may be refused; none may panic
//! or read out of bounds, and whatever a lookup returns is an entry the pack lists, checked.
#![no_main]

use std::path::Path;

use _native::cache::Pack;
use libfuzzer_sys::fuzz_target;

const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

fuzz_target!(|data: &[u8]| {
    let Ok(pack) = Pack::from_bytes(Path::new("fuzz.whcp"), data.to_vec(), &MAGIC) else {
        return;
    };
    for entry in pack.entries() {
        // Names are unique in a pack that `encode` wrote, not in a crafted one: a lookup
        // returns a listed payload of that very stamp, or nothing.
        if let Some(code) = pack.get(entry.stamp) {
            assert!(pack
                .entries()
                .any(|other| other.stamp == entry.stamp && other.code == code));
        }
    }
    let _ = pack.get(_native::cache::SourceStamp {
        member: "pkg/mod.py",
        crc32: 0,
        size: 0,
    });
});
