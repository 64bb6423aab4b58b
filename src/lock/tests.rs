use std::path::Path;

use super::*;
use crate::resolve::environment::tests::linux_facts;
use crate::resolve::Environment;

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn wheel_line(file: &str) -> String {
    format!("wheels = [{{ url = \"https://files.example/{file}\", size = 11, hashes = {{ sha256 = \"{SHA}\" }} }}]")
}

fn parse(text: &str) -> Result<Lock, LockError> {
    Lock::parse(Path::new("pylock.toml"), text)
}

fn env() -> Environment {
    Environment::from_facts(&linux_facts()).unwrap()
}

fn selected(text: &str, groups: &Groups) -> Result<Vec<String>, String> {
    let lock = parse(text).map_err(|e| e.to_string())?;
    let picked = select(&lock, &env(), groups).map_err(|e| e.to_string())?;
    Ok(picked.iter().map(|p| p.label()).collect())
}

#[test]
fn ok_parse_reads_what_activation_needs() {
    let text = format!(
        "lock-version = \"1.0\"\nrequires-python = \">=3.9\"\nenvironments = [\"sys_platform == 'linux'\"]\n\
         extras = [\"socks\"]\ndependency-groups = [\"dev\"]\ndefault-groups = [\"dev\"]\ncreated-by = \"uv\"\n\
         future-key = 1\n[tool.uv]\nanything = true\n\
         [[packages]]\nname = \"Six\"\nversion = \"1.16.0\"\nindex = \"https://pypi.org/simple\"\n{}\n\
         [[packages]]\nname = \"local\"\n[packages.directory]\npath = \"./local\"\n",
        wheel_line("six-1.16.0-py2.py3-none-any.whl")
    );
    let lock = parse(&text).unwrap();
    assert_eq!(lock.requires_python.unwrap().to_string(), ">=3.9");
    assert_eq!(lock.environments.len(), 1);
    assert_eq!(lock.extras, ["socks"]);
    assert_eq!(lock.default_groups, ["dev"]);
    let six = &lock.packages[0];
    assert_eq!(six.label(), "six 1.16.0");
    assert_eq!(six.number, 1);
    assert_eq!(
        six.wheels,
        [LockedWheel {
            filename: "six-1.16.0-py2.py3-none-any.whl".into(),
            url: Some("https://files.example/six-1.16.0-py2.py3-none-any.whl".into()),
            path: None,
            size: Some(11),
            sha256: SHA.into(),
        }]
    );
    assert!(!six.from_source);
    assert!(lock.packages[1].from_source && lock.packages[1].version.is_none());
}

#[test]
fn ok_select_by_markers_extras_and_groups() {
    let text = format!(
        "lock-version = \"1.0\"\nextras = [\"socks\"]\ndependency-groups = [\"dev\", \"docs\"]\ndefault-groups = [\"dev\"]\n\
         [[packages]]\nname = \"a\"\nversion = \"1\"\nmarker = \"sys_platform == 'linux'\"\n{a}\n\
         [[packages]]\nname = \"b\"\nversion = \"1\"\nmarker = \"sys_platform == 'win32'\"\n{b}\n\
         [[packages]]\nname = \"c\"\nversion = \"1\"\nmarker = \"'socks' in extras\"\n{c}\n\
         [[packages]]\nname = \"d\"\nversion = \"1\"\nmarker = \"'dev' in dependency_groups\"\n{d}\n\
         [[packages]]\nname = \"e\"\nversion = \"1\"\nmarker = \"'docs' in dependency_groups or 'socks' not in extras\"\n{e}\n\
         [[packages]]\nname = \"b\"\nversion = \"2\"\nmarker = \"sys_platform != 'win32'\"\n{b2}\n",
        a = wheel_line("a-1-py3-none-any.whl"),
        b = wheel_line("b-1-py3-none-any.whl"),
        c = wheel_line("c-1-py3-none-any.whl"),
        d = wheel_line("d-1-py3-none-any.whl"),
        e = wheel_line("e-1-py3-none-any.whl"),
        b2 = wheel_line("b-2-py3-none-any.whl"),
    );
    for (extras, groups, want) in [
        (vec![], None, vec!["a 1", "d 1", "e 1", "b 2"]),
        (vec!["socks"], None, vec!["a 1", "c 1", "d 1", "b 2"]),
        (
            vec!["socks"],
            Some(vec!["docs"]),
            vec!["a 1", "c 1", "e 1", "b 2"],
        ),
        (vec![], Some(vec![]), vec!["a 1", "e 1", "b 2"]),
    ] {
        let groups = Groups {
            extras: extras.iter().map(|s| s.to_string()).collect(),
            groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        };
        assert_eq!(selected(&text, &groups).unwrap(), want, "{groups:?}");
    }
}

#[test]
fn err_malformed_locks_name_the_file_and_the_entry() {
    let six = wheel_line("six-1.16.0-py2.py3-none-any.whl");
    let head = "lock-version = \"1.0\"\n";
    let cases: Vec<(String, &str)> = vec![
        (
            "lock-version = \"1.0\"\n[[packages]\n".into(),
            "pylock.toml: invalid TOML: ",
        ),
        (
            "created-by = \"x\"\n".into(),
            "pylock.toml: \"lock-version\" is missing",
        ),
        (
            "lock-version = \"2.0\"\n".into(),
            "pylock.toml: lock-version \"2.0\" is not supported (1.x expected)",
        ),
        (
            format!("{head}[[packages]]\nversion = \"1\"\n"),
            "pylock.toml: [[packages]] entry 1: \"name\" is missing",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nversion = 1\n"),
            "pylock.toml: [[packages]] entry 1 (six): \"version\" must be a string",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nversion = \"one\"\n"),
            "pylock.toml: [[packages]] entry 1 (six): \"version\" \"one\" is invalid: ",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nmarker = \"os_name >< 'x'\"\n"),
            "pylock.toml: [[packages]] entry 1 (six): \"marker\" \"os_name >< 'x'\" is invalid: ",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nwheels = [{{ url = \"https://x/six-1.16.0-py2.py3-none-any.whl\" }}]\n"),
            "pylock.toml: [[packages]] entry 1 (six): wheel \"six-1.16.0-py2.py3-none-any.whl\" has no sha256 hash",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nwheels = [{{ url = \"https://x/six-1.16.0-py2.py3-none-any.whl\", hashes = {{ md5 = \"00\" }} }}]\n"),
            "pylock.toml: [[packages]] entry 1 (six): wheel \"six-1.16.0-py2.py3-none-any.whl\" has no sha256 hash",
        ),
        (
            format!("{head}[[packages]]\nname = \"six\"\nwheels = [{{ url = \"https://x/six.tar.gz\", hashes = {{ sha256 = \"{SHA}\" }} }}]\n"),
            "pylock.toml: [[packages]] entry 1 (six): wheel \"six.tar.gz\" is not a wheel file name: ",
        ),
    ];
    for (text, want) in cases {
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with(want), "{text}\n{err}");
    }
    let conflict = format!(
        "{head}[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n{six}\n\
         [[packages]]\nname = \"other\"\nversion = \"1\"\n\
         [[packages]]\nname = \"Six\"\nversion = \"1.15.0\"\nmarker = \"os_name == 'posix'\"\n"
    );
    assert_eq!(
        selected(&conflict, &Groups::default()).unwrap_err(),
        "pylock.toml: [[packages]] entries 1 (six 1.16.0) and 3 (six 1.15.0) are both selected for this interpreter"
    );
}

#[test]
fn err_selection_refuses_this_interpreter() {
    for (text, want) in [
        (
            "lock-version = \"1.0\"\nrequires-python = \">=3.12\"\n",
            "pylock.toml: requires Python >=3.12, this is 3.11.7",
        ),
        (
            "lock-version = \"1.1\"\nenvironments = [\"sys_platform == 'win32'\", \"sys_platform == 'darwin'\"]\n",
            "pylock.toml: none of the lock's environments holds for this interpreter: sys_platform == 'win32'; sys_platform == 'darwin'",
        ),
        (
            "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nrequires-python = \"<3\"\n",
            "pylock.toml: [[packages]] entry 1 (six): requires Python <3, this is 3.11.7",
        ),
        (
            "lock-version = \"1.0\"\nextras = [\"a\"]\n",
            "pylock.toml: the lock has no extra \"socks\" (it declares: a)",
        ),
    ] {
        let groups = Groups {
            extras: vec!["socks".into()],
            groups: None,
        };
        let groups = if text.contains("extras") { groups } else { Groups::default() };
        assert_eq!(selected(text, &groups).unwrap_err(), want);
    }
}

#[test]
fn ok_digests_are_remembered_by_stamp() {
    let dir = std::env::temp_dir().join(format!("wheelhook-lock-digests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wheel = dir.join("w-1-py3-none-any.whl");
    std::fs::write(&wheel, b"wheel bytes").unwrap();
    let digests = Digests {
        dir: Some(dir.join("digests")),
    };
    let want = sha256_hex(b"wheel bytes");
    assert_eq!(digests.sha256(&wheel).unwrap(), want);
    // Too new to remember: a change within the same clock tick could go unseen.
    assert!(!dir.join("digests").exists());
    // An entry for the file as it is now is trusted (its content is what was hashed)...
    let (stamp, _) = crate::cache::activation::stamp(&wheel).unwrap();
    std::fs::create_dir_all(dir.join("digests")).unwrap();
    let entry = dir.join("digests").join(format!(
        "{:016x}",
        crate::hash::fnv64(wheel.to_str().unwrap().as_bytes())
    ));
    std::fs::write(&entry, format!("{}\t{stamp}\t{SHA}\n", wheel.display())).unwrap();
    assert_eq!(digests.sha256(&wheel).unwrap(), SHA);
    // ...and one for an older state of it is not.
    std::fs::write(&wheel, b"other bytes!").unwrap();
    assert_eq!(digests.sha256(&wheel).unwrap(), sha256_hex(b"other bytes!"));
    std::fs::remove_dir_all(&dir).unwrap();
}
