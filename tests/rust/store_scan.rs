//! Store listing: the spellings of one distribution's name are filed together (its cost is
//! measured by `bench/archive_cost.py`, see BENCHMARKS.md).

use _native::resolve::Provider;
use _native::store::{Store, StoreConfig};
use _native::wheel::{InterpreterFacts, PackageName, Platform, SupportedTags};

#[test]
fn spellings_of_a_name_are_one_distribution() {
    let dir = crate::zipbuild::TempDir::new("scan-spellings");
    for name in [
        "Foo_Bar-1.0-py3-none-any.whl",
        "foo.bar-2.0-py3-none-any.whl",
        "six-1.0-py3-none-any.whl",
        "six.whl",
        "README.txt",
    ] {
        dir.write(name, b"not read by listing");
    }
    let config = StoreConfig {
        wheel_dirs: vec![dir.0.clone(), dir.0.clone()],
        default_dirs: vec![],
        tags: std::sync::Arc::new(SupportedTags::new(&InterpreterFacts::cpython(
            (3, 11),
            Platform::detect(),
        ))),
    };
    let store = Store::scan(&config);
    let names: Vec<String> = store.names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, ["foo-bar", "six"]);
    let foo = PackageName::new("FOO-bar");
    let versions: Vec<String> = store
        .candidates(&foo)
        .iter()
        .map(|c| c.version.to_string())
        .collect();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.contains(&"1.0".to_owned()) && versions.contains(&"2.0".to_owned()));
    let six = PackageName::new("six");
    assert_eq!(store.candidates(&six).len(), 1);
    // A file that is no wheel name is reported under the name it starts with.
    let rejected: Vec<String> = store
        .rejected(&six)
        .iter()
        .map(|r| r.reason.clone())
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(store.candidates(&PackageName::new("readme")).is_empty());
}
