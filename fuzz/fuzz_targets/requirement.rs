//! Fuzzes PEP 508 requirement parsing (`wheel::parse_requirement`): it returns, never panics
//! out, never hangs.
#![no_main]

use _native::wheel::parse_requirement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // parse_requirement catches pep508_rs's own panics on purpose (they become errors);
        // libfuzzer-sys's hook would abort on those even though they are caught. A panic that
        // escapes parse_requirement still fails the run: libfuzzer-sys catches the unwind.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = parse_requirement(text);
        }
    }
);
