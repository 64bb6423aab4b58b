//! One activation's decisions, with the process faked: fresh resolution, activation cache hit,
//! modules already imported, namespace growth and the standard-library rule.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use _native::archive::Archive;
use _native::cache::activation::{encode, Chosen, Identity, Stamps};
use _native::cache::NativeError;
use _native::resolve::EnvironmentFacts;
use _native::session::{
    activate, Growth, Host, Imported, Listing, LockSpec, Plan, Request, SessionError, StoreDirs,
};
use _native::store::{Store, StoreConfig};
use _native::wheel::{InterpreterFacts, PackageName, Platform, SupportedTags};
use pep440_rs::Version;

use crate::zipbuild::{Member, TempDir, Zip};

/// The process, faked: what it imported, its standard library, its cache directory.
struct FakeHost {
    tags: Arc<SupportedTags>,
    environment: EnvironmentFacts,
    suffixes: Vec<String>,
    cache: Option<PathBuf>,
    stdlib: Vec<&'static str>,
    imported: HashMap<&'static str, Imported>,
    notes: RefCell<Vec<String>>,
    listings: Cell<usize>,
}

impl FakeHost {
    fn new() -> Self {
        let environment = [
            ("implementation_name", "cpython"),
            ("implementation_version", "3.11.7"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_python_implementation", "CPython"),
            ("platform_release", ""),
            ("platform_system", "Linux"),
            ("platform_version", ""),
            ("python_full_version", "3.11.7"),
            ("python_version", "3.11"),
            ("sys_platform", "linux"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Self {
            tags: Arc::new(SupportedTags::new(&InterpreterFacts::cpython(
                (3, 11),
                Platform::detect(),
            ))),
            environment,
            suffixes: vec![
                ".cpython-311-x86_64-linux-gnu.so".to_owned(),
                ".so".to_owned(),
            ],
            cache: None,
            stdlib: vec!["json", "argparse", "os"],
            imported: HashMap::new(),
            notes: RefCell::new(Vec::new()),
            listings: Cell::new(0),
        }
    }
}

impl Host for FakeHost {
    fn store(&self, dirs: &StoreDirs) -> Listing {
        self.listings.set(self.listings.get() + 1);
        let config = StoreConfig {
            wheel_dirs: dirs.wheels.clone(),
            default_dirs: dirs.defaults.clone(),
            tags: self.tags.clone(),
        };
        Listing {
            store: Arc::new(Store::scan(&config)),
            fresh: true,
        }
    }
    fn cache_dir(&self) -> Option<PathBuf> {
        self.cache.clone()
    }
    fn environment(&self) -> &EnvironmentFacts {
        &self.environment
    }
    fn extension_suffixes(&self) -> &[String] {
        &self.suffixes
    }
    fn identity(&self) -> &str {
        "cpython 3.11 (fake)"
    }
    fn is_stdlib(&self, top: &str) -> bool {
        self.stdlib.contains(&top)
    }
    fn imported(&self, top: &str) -> Option<Imported> {
        self.imported.get(top).cloned()
    }
    fn unpack(&self, archive: &Archive) -> Result<PathBuf, NativeError> {
        Err(NativeError::Wheel {
            wheel: archive.path().to_path_buf(),
            reason: "not unpacked in these tests".to_owned(),
        })
    }
    fn note(&self, message: String) {
        self.notes.borrow_mut().push(message);
    }
}

/// A store: `wheels/` with wheels, `site/` with installed `.dist-info` directories.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new(label: &str) -> Self {
        let dir = TempDir::new(label);
        std::fs::create_dir_all(dir.0.join("wheels")).unwrap();
        std::fs::create_dir_all(dir.0.join("site")).unwrap();
        Self { dir }
    }

    /// Adds `{name}-{version}-py3-none-any.whl` holding `files` and requiring `requires`.
    fn wheel(&self, name: &str, version: &str, files: &[&str], requires: &[&str]) -> PathBuf {
        let dist_info = format!("{name}-{version}.dist-info");
        let mut members: Vec<Member> = files.iter().map(|f| Member::new(f, b"")).collect();
        members.push(Member::new(
            &format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ));
        let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for r in requires {
            metadata.push_str(&format!("Requires-Dist: {r}\n"));
        }
        members.push(Member::new(
            &format!("{dist_info}/METADATA"),
            metadata.as_bytes(),
        ));
        let file = format!("wheels/{name}-{version}-py3-none-any.whl");
        self.dir.write(&file, &Zip::new(members).build())
    }

    /// Installs `name` `version` normally (a `.dist-info` directory in `site/`).
    fn installed(&self, name: &str, version: &str) {
        let dist_info = self.dir.0.join(format!("site/{name}-{version}.dist-info"));
        std::fs::create_dir_all(&dist_info).unwrap();
        std::fs::write(
            dist_info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
    }

    fn request(&self, requirements: &[&str]) -> Request {
        Request {
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            dirs: StoreDirs {
                wheels: vec![self.dir.0.join("wheels")],
                defaults: vec![self.dir.0.join("site")],
            },
            ..Request::default()
        }
    }
}

fn names(plan: &Plan) -> Vec<String> {
    plan.chosen
        .iter()
        .map(|c| format!("{} {}", c.name, c.version))
        .collect()
}

fn fresh(host: &FakeHost, request: &Request) -> Result<Plan, SessionError> {
    activate(host, request, &HashMap::new())
}

#[test]
fn ok_fresh_resolution_opens_the_new_wheels() {
    let store = Fixture::new("session-fresh");
    store.wheel("six", "1.15.0", &["six.py"], &[]);
    store.wheel("six", "1.16.0", &["six.py"], &[]);
    store.wheel("app", "1.0", &["app/__init__.py"], &["six<1.16"]);
    let host = FakeHost::new();
    let plan = fresh(&host, &store.request(&["app"])).unwrap();
    assert_eq!(names(&plan), ["app 1.0", "six 1.15.0"]);
    assert_eq!(plan.wheels.len(), 2);
    assert!(!plan.recalled);
    assert!(plan.grow.is_empty());
    assert_eq!(host.listings.get(), 1);
    let six = plan.wheel(&plan.chosen[1]).unwrap();
    assert_eq!(six.index.top_level().collect::<Vec<_>>(), ["six"]);
}

#[test]
fn ok_pinned_distributions_are_kept_not_reopened() {
    let store = Fixture::new("session-pinned");
    store.wheel("six", "1.15.0", &["six.py"], &[]);
    store.wheel("six", "1.16.0", &["six.py"], &[]);
    let host = FakeHost::new();
    let pinned = HashMap::from([(
        PackageName::new("six"),
        "1.15.0".parse::<Version>().unwrap(),
    )]);
    let plan = activate(&host, &store.request(&["six"]), &pinned).unwrap();
    assert_eq!(names(&plan), ["six 1.15.0"]);
    assert!(plan.wheels.is_empty(), "a pinned wheel is active already");
    let err = activate(&host, &store.request(&["six>=1.16"]), &pinned).unwrap_err();
    assert!(matches!(err, SessionError::Resolve(_)), "{err:?}");
}

#[test]
fn err_requirement_and_not_found() {
    let store = Fixture::new("session-invalid");
    let host = FakeHost::new();
    let err = fresh(&host, &store.request(&["six>=>1"])).unwrap_err();
    assert!(matches!(err, SessionError::Requirement(_)), "{err:?}");
    let err = fresh(&host, &store.request(&["nothing-here"])).unwrap_err();
    assert!(matches!(err, SessionError::Resolve(_)), "{err:?}");
    assert_eq!(err.wheel(), None);
}

#[test]
fn ok_activation_cache_hit_neither_lists_nor_resolves() {
    let store = Fixture::new("session-recall");
    let wheel = store.wheel("six", "1.15.0", &["six.py"], &[]);
    let mut host = FakeHost::new();
    let cache = store.dir.0.join("cache");
    host.cache = Some(cache.clone());
    let request = store.request(&["six"]);
    // The entry a first start would have written.
    let first = fresh(&host, &request).unwrap();
    let identity = Identity::new(
        &request.requirements,
        &request.dirs.wheels,
        &request.dirs.defaults,
        host.identity(),
        None,
    )
    .unwrap();
    let stamps = Stamps::read(request.dirs.unique()).unwrap();
    let chosen = vec![Chosen {
        candidate: first.chosen[0].clone(),
        layout: Some(first.wheels[0].layout()),
    }];
    let text = encode(&identity, &stamps, &chosen).unwrap();
    let entry = cache.join("activations").join(identity.file_name());
    std::fs::create_dir_all(entry.parent().unwrap()).unwrap();
    std::fs::write(&entry, text).unwrap();

    let listings = host.listings.get();
    let plan = fresh(&host, &request).unwrap();
    assert!(plan.recalled);
    assert_eq!(
        host.listings.get(),
        listings,
        "a hit does not list the store"
    );
    assert_eq!(names(&plan), ["six 1.15.0"]);
    assert_eq!(plan.wheels[0].path(), wheel);
    // Something is pinned already: the cache is not asked.
    let pinned = HashMap::from([(PackageName::new("other"), "1".parse().unwrap())]);
    assert!(!activate(&host, &request, &pinned).unwrap().recalled);
}

#[test]
fn err_module_already_imported_names_the_installed_version() {
    let store = Fixture::new("session-imported");
    let wheel = store.wheel("six", "1.15.0", &["six.py"], &[]);
    store.installed("six", "1.16.0");
    let mut host = FakeHost::new();
    host.imported.insert(
        "six",
        Imported {
            file: Some("/usr/lib/six.py".to_owned()),
            has_path: false,
        },
    );
    let err = fresh(&host, &store.request(&["six==1.15.0"])).unwrap_err();
    assert!(
        matches!(err, SessionError::AlreadyImported { .. }),
        "{err:?}"
    );
    assert_eq!(err.wheel(), Some(wheel.as_path()));
    assert_eq!(
        err.to_string(),
        format!(
            "Cannot activate six 1.15.0 from {}: the module \"six\" is already imported from \
             /usr/lib/six.py (six 1.16.0 is installed). A module cannot change version in a \
             running process: restart the program with the requirement declared before the \
             first import (for example `__requires__` at the top of the main script).",
            wheel.display()
        )
    );
}

#[test]
fn ok_imported_namespace_grows() {
    let store = Fixture::new("session-namespace");
    let wheel = store.wheel("nspkg", "1.0", &["ns/pkg/__init__.py"], &[]);
    let mut host = FakeHost::new();
    host.imported.insert(
        "ns",
        Imported {
            file: None,
            has_path: true,
        },
    );
    let plan = fresh(&host, &store.request(&["nspkg"])).unwrap();
    assert_eq!(
        plan.grow,
        [Growth {
            module: "ns".to_owned(),
            locations: vec![format!("{}/ns", wheel.display())],
        }]
    );
    // A regular module of that name cannot gain portions.
    host.imported.insert(
        "ns",
        Imported {
            file: Some("/site/ns.py".to_owned()),
            has_path: false,
        },
    );
    let err = fresh(&host, &store.request(&["nspkg"])).unwrap_err();
    assert!(
        matches!(err, SessionError::AlreadyImported { .. }),
        "{err:?}"
    );
}

#[test]
fn err_stdlib_backport_named_in_the_requirements() {
    let store = Fixture::new("session-stdlib-named");
    let wheel = store.wheel("argparse", "1.4.0", &["argparse.py"], &[]);
    let host = FakeHost::new();
    let err = fresh(&host, &store.request(&["argparse"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Cannot activate argparse 1.4.0 from {}: its module \"argparse\" is also in the \
             standard library, whose module is what `import argparse` gives unless asked \
             otherwise. Pass override_stdlib=True to require() to serve the wheel's in this \
             process (before the first import of \"argparse\"), or leave argparse out of the \
             requirements to use the standard library's.",
            wheel.display()
        )
    );
    let mut request = store.request(&["argparse"]);
    request.override_stdlib = true;
    let plan = fresh(&host, &request).unwrap();
    assert!(plan.serves(&PackageName::new("argparse"), "argparse"));
}

#[test]
fn ok_stdlib_backport_only_needed_is_left_to_the_stdlib() {
    let store = Fixture::new("session-stdlib-needed");
    store.wheel("argparse", "1.4.0", &["argparse.py"], &[]);
    store.wheel("old", "1.0", &["old.py", "json/__init__.py"], &["argparse"]);
    let host = FakeHost::new();
    let plan = fresh(&host, &store.request(&["old"])).unwrap();
    assert_eq!(
        names(&plan),
        ["old 1.0"],
        "argparse is left to the standard library"
    );
    let old = PackageName::new("old");
    assert!(plan.serves(&old, "old"));
    assert!(
        !plan.serves(&old, "json"),
        "a stray stdlib name is not served"
    );
    let notes = host.notes.borrow();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.iter().any(|n| n.starts_with("argparse 1.4.0 from ")
        && n.ends_with("is not activated: its modules \"argparse\" are the standard library's, which serves them (override_stdlib=True serves the wheel's)")));
}

#[test]
fn err_stdlib_override_after_the_module_is_imported() {
    let store = Fixture::new("session-stdlib-imported");
    store.wheel("argparse", "1.4.0", &["argparse.py"], &[]);
    let mut host = FakeHost::new();
    host.imported.insert(
        "argparse",
        Imported {
            file: Some("/usr/lib/python3.11/argparse.py".to_owned()),
            has_path: false,
        },
    );
    let mut request = store.request(&["argparse"]);
    request.stdlib_overrides = vec![PackageName::new("argparse")];
    let err = fresh(&host, &request).unwrap_err();
    assert!(
        matches!(err, SessionError::StdlibImported { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(
        "with override_stdlib=True: the standard library's module \"argparse\" is already \
         imported from /usr/lib/python3.11/argparse.py."
    ));
}

/// Writes `pylock.toml` in the fixture, locking each `(name, version, wheel file)`.
fn write_lock(store: &Fixture, entries: &[(&str, &str, &std::path::Path)], extra: &str) -> Request {
    let mut text = String::from("lock-version = \"1.0\"\ncreated-by = \"test\"\n");
    for (name, version, wheel) in entries {
        let sha = _native::lock::sha256_hex(&std::fs::read(wheel).unwrap());
        let file = wheel.file_name().unwrap().to_str().unwrap();
        text.push_str(&format!(
            "\n[[packages]]\nname = \"{name}\"\nversion = \"{version}\"\n\
             wheels = [{{ name = \"{file}\", url = \"https://example.invalid/{file}\", hashes = {{ sha256 = \"{sha}\" }} }}]\n"
        ));
    }
    text.push_str(extra);
    let file = store.dir.write("pylock.toml", text.as_bytes());
    Request {
        lock: Some(LockSpec {
            file,
            ..LockSpec::default()
        }),
        ..store.request(&[])
    }
}

#[test]
fn ok_lock_activates_without_resolving() {
    let store = Fixture::new("session-lock");
    let old = store.wheel("six", "1.15.0", &["six.py"], &[]);
    store.wheel("six", "1.16.0", &["six.py"], &[]);
    // The lock fixes versions no resolution would pick together (app wants six>=1.16).
    let app = store.wheel("app", "1.0", &["app/__init__.py"], &["six>=1.16"]);
    store.installed("attrs", "23.1.0");
    let request = write_lock(&store, &[("six", "1.15.0", &old), ("app", "1.0", &app)], "");
    let mut host = FakeHost::new();
    host.cache = Some(store.dir.0.join("cache"));
    let plan = fresh(&host, &request).unwrap();
    assert_eq!(names(&plan), ["app 1.0", "six 1.15.0"]);
    assert_eq!(plan.wheels.len(), 2);
    assert!(!plan.recalled);
    // The digests are remembered once their files have settled; a second activation agrees.
    let again = fresh(&host, &request).unwrap();
    assert_eq!(names(&again), ["app 1.0", "six 1.15.0"]);
}

#[test]
fn ok_lock_uses_an_installed_default_at_the_locked_version() {
    let store = Fixture::new("session-lock-default");
    let six = store.wheel("six", "1.16.0", &["six.py"], &[]);
    store.installed("six", "1.16.0");
    let request = write_lock(&store, &[("six", "1.16.0", &six)], "");
    let plan = fresh(&FakeHost::new(), &request).unwrap();
    assert_eq!(names(&plan), ["six 1.16.0"]);
    assert!(plan.chosen[0].is_default());
    assert!(plan.wheels.is_empty());
}

#[test]
fn err_lock_lists_every_missing_or_mismatching_wheel() {
    let store = Fixture::new("session-lock-missing");
    let six = store.wheel("six", "1.16.0", &["six.py"], &[]);
    let app = store.wheel("app", "1.0", &["app/__init__.py"], &[]);
    let request = write_lock(&store, &[("six", "1.16.0", &six), ("app", "1.0", &app)], "");
    // Another file under the locked name, and a locked wheel gone.
    store.wheel("six", "1.16.0", &["six.py", "extra.py"], &[]);
    std::fs::remove_file(&app).unwrap();
    let err = fresh(&FakeHost::new(), &request).unwrap_err();
    let text = err.to_string();
    let file = store.dir.0.join("pylock.toml");
    assert!(
        text.starts_with(&format!(
            "{}: 2 of the locked wheels cannot be used:\n  six 1.16.0: wheel ",
            file.display()
        )),
        "{text}"
    );
    assert!(text.contains("does not match the lock's"), "{text}");
    assert!(
        text.contains(
            "\n  app 1.0: no wheel in the store for this interpreter (locked: app-1.0-py3-none-any.whl)"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "fetch them with: python -m wheelhook add -r {}",
            file.display()
        )),
        "{text}"
    );
}

#[test]
fn err_lock_against_a_pinned_version() {
    let store = Fixture::new("session-lock-pinned");
    let six = store.wheel("six", "1.16.0", &["six.py"], &[]);
    let request = write_lock(&store, &[("six", "1.16.0", &six)], "");
    let pinned = HashMap::from([(
        PackageName::new("six"),
        "1.15.0".parse::<Version>().unwrap(),
    )]);
    let err = activate(&FakeHost::new(), &request, &pinned).unwrap_err();
    assert!(
        err.to_string()
            .contains("six 1.16.0: six 1.15.0 is already active in this process"),
        "{err}"
    );
    let same = HashMap::from([(
        PackageName::new("six"),
        "1.16.0".parse::<Version>().unwrap(),
    )]);
    let plan = activate(&FakeHost::new(), &request, &same).unwrap();
    assert!(plan.wheels.is_empty(), "a pinned wheel is active already");
}

#[test]
fn ok_lock_activation_is_remembered_and_never_vouches_for_a_changed_wheel() {
    let store = Fixture::new("session-lock-remembered");
    let six = store.wheel("six", "1.16.0", &["six.py"], &[]);
    let request = write_lock(&store, &[("six", "1.16.0", &six)], "");
    let mut host = FakeHost::new();
    host.cache = Some(store.dir.0.join("cache"));
    // Entries are written only for directories and wheels left alone for two seconds.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(!fresh(&host, &request).unwrap().recalled);
    let again = fresh(&host, &request).unwrap();
    assert!(
        again.recalled,
        "the second start recalls the lock's activation"
    );
    assert_eq!(names(&again), ["six 1.16.0"]);
    // The wheel rewritten in place (its directory unchanged): the entry no longer applies, and
    // the lock's hash refuses the new file.
    store.wheel("six", "1.16.0", &["six.py", "other.py"], &[]);
    let err = fresh(&host, &request).unwrap_err().to_string();
    assert!(err.contains("does not match the lock's"), "{err}");
}
