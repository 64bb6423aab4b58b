//! Store listing cost (run by hand: `cargo test --release --test rust -- --ignored --nocapture bench_scan`).

use std::path::PathBuf;
use std::time::Instant;

use _native::store::{Store, StoreConfig};
use _native::wheel::{InterpreterFacts, Platform, SupportedTags};

#[test]
#[ignore = "a measurement, not a test: run by hand"]
fn bench_scan() {
    let Ok(dir) = std::env::var("WHEELHOOK_SCAN_DIR") else {
        return;
    };
    let tags = std::sync::Arc::new(SupportedTags::new(&InterpreterFacts::cpython(
        (3, 11),
        Platform::detect(),
    )));
    let config = StoreConfig {
        wheel_dirs: vec![PathBuf::from(&dir)],
        default_dirs: vec![],
        tags,
    };
    for _ in 0..5 {
        let start = Instant::now();
        let store = Store::scan(&config);
        println!(
            "scan {dir}: {:?} ({} names)",
            start.elapsed(),
            store.names().len()
        );
    }
    let start = Instant::now();
    let n = std::fs::read_dir(&dir).unwrap().count();
    println!("read_dir alone: {:?} ({n})", start.elapsed());
}
