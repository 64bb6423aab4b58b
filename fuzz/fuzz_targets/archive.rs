//! Fuzzes the archive index, member reads and drop-time verification with arbitrary bytes.
//! Any input may be refused; none may panic, hang, or read out of bounds.
#![no_main]

use std::path::Path;

use _native::archive::Archive;
use _native::wheel::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(archive) = Archive::from_bytes(Path::new("fuzz.whl"), data) else {
        return;
    };
    for (i, member) in archive.members().iter().enumerate() {
        // Opening refuses duplicate names, so a name leads back to its own entry.
        assert_eq!(archive.index_of(&member.name), Some(i));
        if let Ok(bytes) = archive.read_index(i) {
            // A read that succeeds returns exactly the declared size.
            assert_eq!(bytes.len() as u64, member.size);
        }
    }
    if let Ok(valid) = verify(&archive) {
        // Everything verification accepts, the reader serves.
        for name in &valid.members {
            archive.read(name).expect("a validated member reads");
        }
    }
});
