//! Native materialisation refuses what would write outside the cache, and verifies the rest.

use std::str::FromStr;
use std::sync::Arc;

use _native::archive::Archive;
use _native::cache::NativeCache;
use _native::candidate::{Candidate, Origin};
use _native::import::ActiveDist;
use _native::wheel::WheelFilename;

use crate::zipbuild::{Member, TempDir, Zip};

fn active(dir: &TempDir, zip: &Zip) -> ActiveDist {
    let path = dir.write("demo-1.0-py3-none-any.whl", &zip.build());
    let filename = WheelFilename::from_str("demo-1.0-py3-none-any.whl").unwrap();
    let candidate = Candidate {
        name: filename.name.clone(),
        version: filename.version.clone(),
        origin: Origin::Wheel {
            path: path.clone(),
            filename,
        },
        rank: 0,
    };
    let archive = Arc::new(Archive::open(&path).unwrap());
    ActiveDist::new(candidate, archive, &[".so".to_owned()]).unwrap()
}

#[test]
fn ok_materialises_with_layout() {
    let dir = TempDir::new("native-ok");
    let zip = Zip::wheel(vec![
        Member::new("demo/_speed.so", b"\x7fELF not really"),
        Member::new("demo.libs/libdep.so.1", b"dependency"),
        Member::new("demo/__init__.py", b""),
    ]);
    let dist = active(&dir, &zip);
    let cache = NativeCache::new(&dir.0.join("cache"));
    let out = cache.materialise(&dist).unwrap();
    assert_eq!(
        std::fs::read(out.join("demo/_speed.so")).unwrap(),
        b"\x7fELF not really"
    );
    assert_eq!(
        std::fs::read(out.join("demo.libs/libdep.so.1")).unwrap(),
        b"dependency"
    );
    assert!(
        !out.join("demo/__init__.py").exists(),
        "only native members are written"
    );
}

#[test]
fn err_traversal_never_escapes_the_cache() {
    let dir = TempDir::new("native-traversal");
    let zip = Zip::wheel(vec![
        Member::new("demo/_speed.so", b"code"),
        Member::new("../../escaped.so", b"evil"),
    ]);
    let dist = active(&dir, &zip);
    let cache = NativeCache::new(&dir.0.join("a").join("b").join("cache"));
    let err = cache.materialise(&dist).unwrap_err().to_string();
    assert!(
        err.contains(
            "member \"../../escaped.so\": unsafe member name: member name has a '..' segment"
        ),
        "{err}"
    );
    assert!(!dir.0.join("a").join("escaped.so").exists());
    assert!(!dir.0.join("escaped.so").exists());
}

#[test]
fn err_tampered_copy_is_rewritten_before_use() {
    let dir = TempDir::new("native-tamper");
    let zip = Zip::wheel(vec![Member::new("demo/_speed.so", b"genuine")]);
    let dist = active(&dir, &zip);
    let cache = NativeCache::new(&dir.0.join("cache"));
    let out = cache.materialise(&dist).unwrap();
    std::fs::write(out.join("demo/_speed.so"), b"tampered").unwrap();
    let again = cache.materialise(&dist).unwrap();
    assert_eq!(
        std::fs::read(again.join("demo/_speed.so")).unwrap(),
        b"genuine"
    );
}

#[test]
fn ok_extracts_resources_by_record_hash() {
    let dir = TempDir::new("resource-ok");
    let zip = Zip::wheel(vec![
        Member::new("demo/__init__.py", b""),
        Member::new("demo/data/a.txt", b"one"),
        Member::new("demo/data/sub/b.txt", b"two"),
    ]);
    let dist = active(&dir, &zip);
    let cache = NativeCache::new(&dir.0.join("cache"));
    let data = cache.extract(&dist, "demo/data").unwrap();
    assert_eq!(std::fs::read(data.join("a.txt")).unwrap(), b"one");
    assert_eq!(std::fs::read(data.join("sub/b.txt")).unwrap(), b"two");
    assert!(data.starts_with(dir.0.join("cache").join("resources")));
    assert!(!data.parent().unwrap().join("__init__.py").exists());
    let file = cache.extract(&dist, "demo/data/a.txt").unwrap();
    assert_eq!(file, data.join("a.txt"));
    // Another wheel under the same name, other bytes: another directory, the first one kept.
    let other = TempDir::new("resource-ok-other");
    let zip = Zip::wheel(vec![Member::new("demo/data/a.txt", b"changed")]);
    let changed = cache
        .extract(&active(&other, &zip), "demo/data/a.txt")
        .unwrap();
    assert_ne!(changed, file);
    assert_eq!(std::fs::read(&changed).unwrap(), b"changed");
    assert_eq!(std::fs::read(&file).unwrap(), b"one");
}

#[test]
fn err_resources_unsafe_or_missing() {
    let dir = TempDir::new("resource-err");
    let zip = Zip::wheel(vec![
        Member::new("demo/data/ok.txt", b"fine"),
        Member::new("demo/data/../../../escaped.txt", b"evil"),
    ]);
    let dist = active(&dir, &zip);
    let cache = NativeCache::new(&dir.0.join("a").join("cache"));
    let err = cache.extract(&dist, "demo/data").unwrap_err().to_string();
    assert!(err.contains("unsafe member name"), "{err}");
    assert!(!dir.0.join("escaped.txt").exists() && !dir.0.join("a").join("escaped.txt").exists());
    let err = cache
        .extract(&dist, "demo/nope.txt")
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("member \"demo/nope.txt\": no such file or directory in the wheel"),
        "{err}"
    );
}
