//! The activation cache's entries: a hit only when identity, stamps and chosen wheels all match.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use _native::cache::activation::{decode, encode, prune, Chosen, Identity, Stamps, KEEP, SETTLE};
use _native::candidate::{Candidate, Origin};
use _native::import::{ByPath, Layout};
use _native::wheel::{PackageName, WheelFilename};
use pep440_rs::Version;

use crate::zipbuild::TempDir;

fn identity(reqs: &[&str], store: &Path, facts: &str) -> Identity {
    let reqs: Vec<String> = reqs.iter().map(|r| r.to_string()).collect();
    Identity::new(
        &reqs,
        &[store.to_path_buf()],
        &[store.join("site")],
        facts,
        None,
    )
    .unwrap()
}

fn stamps(store: &Path) -> Stamps {
    Stamps::read([store, store.join("site").as_path()]).unwrap()
}

fn wheel_candidate(path: PathBuf) -> Candidate {
    let filename = WheelFilename::from_str(path.file_name().unwrap().to_str().unwrap()).unwrap();
    Candidate {
        name: filename.name.clone(),
        version: filename.version.clone(),
        rank: 3,
        origin: Origin::Wheel { path, filename },
    }
}

/// Moves a directory's modification time an hour back, as if it had settled long ago (a change
/// made within the same clock tick as the stamp would not move its times: see `SETTLE`).
fn age(dir: &Path) {
    let file = std::fs::File::open(dir).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

fn setup(label: &str) -> (TempDir, Vec<Chosen>) {
    let dir = TempDir::new(label);
    std::fs::create_dir(dir.0.join("site")).unwrap();
    let wheel = dir.write("six-1.15.0-py2.py3-none-any.whl", b"not read here");
    let layout = Layout {
        dist_info: "six-1.15.0.dist-info".to_owned(),
        root_is_purelib: false,
        by_path: None,
    };
    let default = Candidate {
        name: PackageName::new("Pip"),
        version: Version::from_str("24.0").unwrap(),
        rank: 0,
        origin: Origin::Default {
            dist_info: dir.0.join("site/pip-24.0.dist-info"),
        },
    };
    let chosen = vec![
        Chosen {
            candidate: wheel_candidate(wheel),
            layout: Some(layout),
        },
        Chosen {
            candidate: default,
            layout: None,
        },
    ];
    age(&dir.0);
    age(&dir.0.join("site"));
    (dir, chosen)
}

#[test]
fn an_entry_round_trips_while_nothing_changes() {
    let (dir, chosen) = setup("act-roundtrip");
    let id = identity(&["six==1.15.0", "pip"], &dir.0, "cpython 3.11");
    let text = encode(&id, &stamps(&dir.0), &chosen).unwrap();
    assert_eq!(decode(&text, &id, &stamps(&dir.0)), Some(chosen));
}

#[test]
fn a_wheel_is_remembered_only_with_its_layout() {
    let (dir, mut chosen) = setup("act-layout");
    let id = identity(&["six"], &dir.0, "f");
    let now = stamps(&dir.0);
    let text = encode(&id, &now, &chosen).unwrap();
    // A layout field that is not what encode writes makes the entry a miss, not a guess.
    for (field, bent) in [("\t0\t", "\tno\t"), ("\tarchive\n", "\tunpacked\n")] {
        let bent = text.replace(field, bent);
        assert_ne!(bent, text);
        assert_eq!(decode(&bent, &id, &now), None);
    }
    chosen[0].layout = None;
    assert_eq!(encode(&id, &now, &chosen), None);
}

#[test]
fn the_choice_to_unpack_is_remembered() {
    let (dir, mut chosen) = setup("act-by-path");
    let id = identity(&["six"], &dir.0, "f");
    let now = stamps(&dir.0);
    for reason in [
        ByPath::Data("six/zoneinfo/CET".to_owned()),
        ByPath::FileRef("six/__init__.py".to_owned()),
    ] {
        chosen[0].layout.as_mut().unwrap().by_path = Some(reason);
        let text = encode(&id, &now, &chosen).unwrap();
        assert_eq!(decode(&text, &id, &now), Some(chosen.clone()));
    }
}

#[test]
fn another_identity_misses() {
    let (dir, chosen) = setup("act-identity");
    let id = identity(&["six==1.15.0"], &dir.0, "cpython 3.11");
    let text = encode(&id, &stamps(&dir.0), &chosen).unwrap();
    for other in [
        identity(&["six==1.16.0"], &dir.0, "cpython 3.11"),
        identity(&["six==1.15.0", "pip"], &dir.0, "cpython 3.11"),
        identity(&["six==1.15.0"], &dir.0, "cpython 3.12"),
    ] {
        assert_ne!(other.file_name(), id.file_name());
        assert_eq!(decode(&text, &other, &stamps(&dir.0)), None);
    }
}

#[test]
fn a_changed_directory_misses() {
    let (dir, chosen) = setup("act-dir");
    let id = identity(&["six"], &dir.0, "f");
    let text = encode(&id, &stamps(&dir.0), &chosen).unwrap();
    // A new wheel in the store, then a new distribution in site-packages.
    dir.write("six-1.16.0-py2.py3-none-any.whl", b"newer");
    assert_eq!(decode(&text, &id, &stamps(&dir.0)), None);
    age(&dir.0);
    let text = encode(&id, &stamps(&dir.0), &chosen).unwrap();
    assert!(decode(&text, &id, &stamps(&dir.0)).is_some());
    std::fs::create_dir(dir.0.join("site/six-1.17.0.dist-info")).unwrap();
    assert_eq!(decode(&text, &id, &stamps(&dir.0)), None);
}

#[test]
fn a_chosen_wheel_rewritten_in_place_misses() {
    let (dir, chosen) = setup("act-wheel");
    let id = identity(&["six"], &dir.0, "f");
    let text = encode(&id, &stamps(&dir.0), &chosen).unwrap();
    // Same name, same directory entry, other content: the directory's times do not change.
    std::fs::write(
        dir.0.join("six-1.15.0-py2.py3-none-any.whl"),
        b"other content of another length",
    )
    .unwrap();
    let now = stamps(&dir.0);
    assert_eq!(decode(&text, &id, &now), None);
}

#[test]
fn a_removed_wheel_misses() {
    let (dir, chosen) = setup("act-removed");
    let id = identity(&["six"], &dir.0, "f");
    let before = stamps(&dir.0);
    let text = encode(&id, &before, &chosen).unwrap();
    std::fs::remove_file(dir.0.join("six-1.15.0-py2.py3-none-any.whl")).unwrap();
    // Even against the old stamps (as if the directory's times had not moved).
    assert_eq!(decode(&text, &id, &before), None);
}

#[test]
fn truncated_or_foreign_text_misses() {
    let (dir, chosen) = setup("act-torn");
    let id = identity(&["six"], &dir.0, "f");
    let now = stamps(&dir.0);
    let text = encode(&id, &now, &chosen).unwrap();
    let cut = text.rfind('\t').unwrap();
    assert_eq!(decode(&text[..cut], &id, &now), None);
    assert_eq!(decode("", &id, &now), None);
    assert_eq!(decode(&format!("{text}junk line\n"), &id, &now), None);
}

#[test]
fn a_missing_directory_has_a_stamp_and_its_creation_misses() {
    let (dir, chosen) = setup("act-absent");
    let absent = dir.0.join("later");
    let read = || Stamps::read([dir.0.as_path(), absent.as_path()]).unwrap();
    let id = identity(&["six"], &dir.0, "f");
    let text = encode(&id, &read(), &chosen).unwrap();
    assert!(decode(&text, &id, &read()).is_some());
    std::fs::create_dir(&absent).unwrap();
    assert_eq!(decode(&text, &id, &read()), None);
}

#[test]
fn fields_that_cannot_be_written_on_one_line_are_not_cached() {
    let dir = TempDir::new("act-lines");
    let reqs = vec!["six\n; evil".to_owned()];
    assert!(Identity::new(&reqs, std::slice::from_ref(&dir.0), &[], "f", None).is_none());
    let tabbed = dir.0.join("a\tb");
    assert!(Identity::new(&[], &[tabbed], &[], "f", None).is_none());
    // A relative directory needs the working directory, which is then part of the identity.
    let relative = [PathBuf::from(".")];
    assert!(Identity::new(&[], &[], &relative, "f", None).is_none());
    let here = Identity::new(&[], &[], &relative, "f", Some(Path::new("/a"))).unwrap();
    let there = Identity::new(&[], &[], &relative, "f", Some(Path::new("/b"))).unwrap();
    assert_ne!(here.file_name(), there.file_name());
}

#[test]
fn recently_changed_directories_are_not_settled() {
    let dir = TempDir::new("act-settle");
    let now = Stamps::read([dir.0.as_path()]).unwrap();
    assert!(!now.settled(SystemTime::now()));
    assert!(now.settled(SystemTime::now() + SETTLE + Duration::from_millis(10)));
    let absent = dir.0.join("absent");
    assert!(Stamps::read([absent.as_path()])
        .unwrap()
        .settled(SystemTime::now()));
}

#[test]
fn prune_keeps_the_newest_entries() {
    let dir = TempDir::new("act-prune");
    let total = KEEP + 5;
    for i in 0..total {
        let path = dir.write(&format!("{i:016x}"), b"x");
        let age = Duration::from_secs((total - i) as u64 * 60);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }
    assert_eq!(prune(&dir.0), 5);
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), KEEP);
    for i in 0..5 {
        assert!(
            !dir.0.join(format!("{i:016x}")).exists(),
            "{i} is among the oldest"
        );
    }
    assert_eq!(prune(&dir.0), 0);
}
