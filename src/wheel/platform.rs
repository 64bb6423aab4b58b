//! The platform an interpreter runs on, and the platform tags it accepts, best first.
//!
//! The lists are those `packaging.tags.platform_tags()` (packaging 26.3) yields:
//!
//! | platform | tags, best first |
//! |---|---|
//! | Linux | `linux_<arch>`, then `manylinux_<glibc>_<arch>` from the running glibc down to 2.5 (x86_64, i686) or 2.17 (other archs), each of 2.17, 2.12 and 2.5 followed by its legacy alias `manylinux2014`, `manylinux2010`, `manylinux1`; then `musllinux_<major>_<minor>_<arch>` from the running musl down to minor 0 |
//! | macOS | `macosx_<version>_<format>` from the running version down (10.x: every minor; 11+: every major, then 10.16 to 10.4), formats per arch: x86_64 → x86_64, intel, fat64, fat3, universal2, universal; arm64 → arm64, universal2 |
//! | Windows | `win_amd64`, `win32` or `win_arm64` |
//!
//! <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>

/// The platform the interpreter runs on.
///
/// The `arch` strings are Python's names (`platform.machine()` after packaging's 32-bit
/// adjustment): `x86_64`, `i686`, `aarch64`, `armv7l`, `armv8l` (32-bit on a 64-bit ARM
/// kernel), `ppc64le`, `ppc64`, `s390x`, `riscv64`, `loongarch64`; on macOS `x86_64`,
/// `arm64`, `i386`, `ppc`, `ppc64`; on Windows `x86_64`, `x86`, `aarch64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Platform {
    /// Ex) `Linux { arch: "x86_64", glibc: Some((2, 31)), musl: None }`
    Linux {
        arch: String,
        glibc: Option<(u16, u16)>,
        musl: Option<(u16, u16)>,
    },
    /// Ex) `MacOs { arch: "arm64", version: (14, 2) }`
    MacOs { arch: String, version: (u16, u16) },
    /// Ex) `Windows { arch: "x86_64" }` (`win_amd64`)
    Windows { arch: String },
    /// Any other system: the one tag `sysconfig.get_platform()` gives, with `.`, `-` and
    /// ` ` replaced by `_`. Ex) `freebsd_14_0_release_amd64`
    Other { platform: String },
}

/// Architectures with manylinux wheels besides the 32-bit ones (`i686`, `armv7l`), whose
/// ABI packaging checks in the interpreter's ELF header instead.
const MANYLINUX_ARCHS: [&str; 7] = [
    "x86_64",
    "aarch64",
    "ppc64",
    "ppc64le",
    "s390x",
    "loongarch64",
    "riscv64",
];

/// The legacy names of the first manylinux policies. <https://peps.python.org/pep-0600/#legacy-manylinux-tags>
const LEGACY_MANYLINUX: [((u16, u16), &str); 3] = [
    ((2, 17), "manylinux2014"),
    ((2, 12), "manylinux2010"),
    ((2, 5), "manylinux1"),
];

/// The last minor version assumed for a glibc major version older than the running one,
/// as packaging assumes it (no glibc 3 exists yet).
const LAST_GLIBC_MINOR: u16 = 50;

impl Platform {
    /// The platform this code was built for and runs on.
    ///
    /// Linux: the architecture from `uname` (as `sysconfig.get_platform()` has it), mapped
    /// for a 32-bit build on a 64-bit kernel; glibc from `gnu_get_libc_version()`; musl
    /// from its dynamic loader's banner. macOS: the version from `SystemVersion.plist`.
    pub fn detect() -> Self {
        detect::platform()
    }

    /// The platform tags, best first. Ex) `["linux_x86_64", "manylinux_2_31_x86_64", ...]`
    pub fn tags(&self) -> Vec<String> {
        match self {
            Platform::Linux { arch, glibc, musl } => linux_tags(arch, *glibc, *musl),
            Platform::MacOs { arch, version } => macos_tags(*version, arch),
            Platform::Windows { arch } => vec![windows_tag(arch)],
            Platform::Other { platform } => {
                vec![platform.to_lowercase().replace(['.', '-', ' '], "_")]
            }
        }
    }
}

/// The Linux tags: `linux_*`, then manylinux, then musllinux.
fn linux_tags(arch: &str, glibc: Option<(u16, u16)>, musl: Option<(u16, u16)>) -> Vec<String> {
    // A 32-bit ARM interpreter on a 64-bit kernel also runs armv7l code.
    let archs: &[&str] = if arch == "armv8l" {
        &["armv8l", "armv7l"]
    } else {
        &[arch]
    };
    let mut tags: Vec<String> = archs.iter().map(|a| format!("linux_{a}")).collect();
    if let Some(glibc) = glibc {
        tags.extend(manylinux_tags(archs, glibc));
    }
    if let Some((major, minor)) = musl {
        for a in archs {
            tags.extend(
                (0..=minor)
                    .rev()
                    .map(|m| format!("musllinux_{major}_{m}_{a}")),
            );
        }
    }
    tags
}

/// The manylinux tags for `archs` with glibc `glibc`. <https://peps.python.org/pep-0600/>
///
/// Every glibc version from the running one down to the oldest policy of the arch, across
/// major versions (a glibc 3.x would run 2.x code), with the legacy aliases after their
/// PEP 600 name.
fn manylinux_tags(archs: &[&str], glibc: (u16, u16)) -> Vec<String> {
    let has_abi = archs
        .iter()
        .any(|a| *a == "i686" || *a == "armv7l" || MANYLINUX_ARCHS.contains(a));
    if !has_abi {
        return Vec::new();
    }
    let oldest = if archs.iter().any(|a| *a == "x86_64" || *a == "i686") {
        (2, 5)
    } else {
        (2, 17)
    };
    let mut tags = Vec::new();
    for arch in archs {
        for major in (oldest.0..=glibc.0).rev() {
            let newest_minor = if major == glibc.0 {
                glibc.1
            } else {
                LAST_GLIBC_MINOR
            };
            let oldest_minor = if major == oldest.0 { oldest.1 } else { 0 };
            if newest_minor < oldest_minor {
                continue;
            }
            for minor in (oldest_minor..=newest_minor).rev() {
                tags.push(format!("manylinux_{major}_{minor}_{arch}"));
                if let Some((_, legacy)) =
                    LEGACY_MANYLINUX.iter().find(|(v, _)| *v == (major, minor))
                {
                    tags.push(format!("{legacy}_{arch}"));
                }
            }
        }
    }
    tags
}

/// The binary formats a macOS `version` runs for `arch`, best first; empty when that
/// version cannot run `arch` code at all.
fn macos_formats(version: (u16, u16), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" | "i386" if version < (10, 4) => return Vec::new(),
        "x86_64" => formats.extend(["intel", "fat64", "fat3"]),
        "i386" => formats.extend(["intel", "fat3", "fat"]),
        "ppc64" if !((10, 4)..=(10, 5)).contains(&version) => return Vec::new(),
        "ppc64" => formats.push("fat64"),
        "ppc" if version > (10, 6) => return Vec::new(),
        "ppc" => formats.extend(["fat3", "fat"]),
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64" | "ppc" | "intel") {
        formats.push("universal");
    }
    formats
}

/// The macOS tags for `version` and `arch`, best first.
///
/// Before macOS 11 each release bumped the minor version, so 10.x runs 10.x down to 10.0;
/// from 11 each release bumps the major, so 14.2 runs 14.0 down to 11.0, then the 10.x
/// releases (x86_64 code of any format, arm64 only inside a `universal2` binary).
fn macos_tags(version: (u16, u16), arch: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut push = |major: u16, minor: u16, formats: &[&str]| {
        tags.extend(
            formats
                .iter()
                .map(|f| format!("macosx_{major}_{minor}_{f}")),
        );
    };
    if version.0 == 10 {
        for minor in (0..=version.1).rev() {
            push(10, minor, &macos_formats((10, minor), arch));
        }
    }
    if version.0 >= 11 {
        for major in (11..=version.0).rev() {
            push(major, 0, &macos_formats((major, 0), arch));
        }
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                push(10, minor, &macos_formats((10, minor), arch));
            } else {
                push(10, minor, &["universal2"]);
            }
        }
    }
    tags
}

/// The Windows tag of `arch`, as `sysconfig.get_platform()` names it.
fn windows_tag(arch: &str) -> String {
    match arch {
        "x86_64" | "amd64" | "AMD64" => "win_amd64".to_owned(),
        "x86" | "i386" | "i686" | "win32" => "win32".to_owned(),
        "aarch64" | "arm64" | "ARM64" => "win_arm64".to_owned(),
        other => format!("win_{}", other.to_lowercase()),
    }
}

/// Reading the running machine; every probe falls back to a safe answer.
mod detect {
    use super::Platform;

    /// The architecture Rust was compiled for, in Python's spelling.
    fn compiled_arch() -> &'static str {
        if cfg!(target_arch = "x86_64") {
            "x86_64"
        } else if cfg!(target_arch = "x86") {
            "i686"
        } else if cfg!(target_arch = "aarch64") {
            "aarch64"
        } else if cfg!(target_arch = "arm") {
            "armv7l"
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            "ppc64le"
        } else if cfg!(target_arch = "powerpc64") {
            "ppc64"
        } else if cfg!(target_arch = "s390x") {
            "s390x"
        } else if cfg!(target_arch = "riscv64") {
            "riscv64"
        } else if cfg!(target_arch = "loongarch64") {
            "loongarch64"
        } else {
            std::env::consts::ARCH
        }
    }

    #[cfg(target_os = "linux")]
    pub(super) fn platform() -> Platform {
        let machine = linux::uname_machine().unwrap_or_else(|| compiled_arch().to_owned());
        // As packaging: a 32-bit interpreter on a 64-bit kernel.
        let arch = match (cfg!(target_pointer_width = "32"), machine.as_str()) {
            (true, "x86_64") => "i686".to_owned(),
            (true, "aarch64") => "armv8l".to_owned(),
            _ => machine.replace(['.', '-', ' '], "_"),
        };
        // Soft-float ARM cannot run manylinux (hard-float) code: packaging checks the
        // ELF header for that; the target ABI says the same.
        let manylinux_abi = !cfg!(target_arch = "arm") || cfg!(target_abi = "eabihf");
        let glibc = if manylinux_abi {
            linux::glibc_version()
        } else {
            None
        };
        Platform::Linux {
            arch,
            glibc,
            musl: linux::musl_version(),
        }
    }

    #[cfg(target_os = "macos")]
    pub(super) fn platform() -> Platform {
        let arch = if cfg!(target_arch = "aarch64") {
            "arm64"
        } else {
            compiled_arch()
        };
        let version = std::fs::read_to_string("/System/Library/CoreServices/SystemVersion.plist")
            .ok()
            .and_then(|plist| product_version(&plist))
            .unwrap_or(if arch == "arm64" { (11, 0) } else { (10, 9) });
        Platform::MacOs {
            arch: arch.to_owned(),
            version,
        }
    }

    /// `ProductVersion` from a `SystemVersion.plist`. Ex) `14.2.1` -> `(14, 2)`
    #[cfg_attr(not(target_os = "macos"), allow(dead_code))]
    pub(super) fn product_version(plist: &str) -> Option<(u16, u16)> {
        let after_key = &plist[plist.find("<key>ProductVersion</key>")? + 25..];
        let start = after_key.find("<string>")? + 8;
        let end = start + after_key[start..].find("</string>")?;
        let mut parts = after_key[start..end].trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some((major, minor))
    }

    #[cfg(windows)]
    pub(super) fn platform() -> Platform {
        Platform::Windows {
            arch: compiled_arch().to_owned(),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    pub(super) fn platform() -> Platform {
        Platform::Other {
            platform: format!("{}_{}", std::env::consts::OS, compiled_arch()),
        }
    }

    #[cfg(target_os = "linux")]
    mod linux {
        use std::ffi::CStr;
        use std::os::raw::c_char;

        /// `struct utsname` of Linux: six NUL-terminated fields of 65 bytes.
        #[repr(C)]
        struct UtsName {
            fields: [[c_char; 65]; 6],
        }

        extern "C" {
            fn uname(buf: *mut UtsName) -> i32;
        }

        /// `uname().machine`. Ex) `x86_64`
        pub(super) fn uname_machine() -> Option<String> {
            let mut buf = UtsName {
                fields: [[0; 65]; 6],
            };
            // SAFETY: `buf` is a writable utsname; uname fills NUL-terminated fields.
            if unsafe { uname(&mut buf) } != 0 {
                return None;
            }
            let machine = &buf.fields[4];
            // SAFETY: the field is NUL-terminated within its 65 bytes (zeroed beforehand).
            let machine = unsafe { CStr::from_ptr(machine.as_ptr()) };
            Some(machine.to_str().ok()?.to_owned()).filter(|m| !m.is_empty())
        }

        /// The glibc this process runs with. Ex) `(2, 36)`
        #[cfg(target_env = "gnu")]
        pub(super) fn glibc_version() -> Option<(u16, u16)> {
            extern "C" {
                fn gnu_get_libc_version() -> *const c_char;
            }
            // SAFETY: glibc returns a pointer to a static NUL-terminated string.
            let version = unsafe { CStr::from_ptr(gnu_get_libc_version()) };
            super::parse_major_minor(version.to_str().ok()?)
        }

        #[cfg(not(target_env = "gnu"))]
        pub(super) fn glibc_version() -> Option<(u16, u16)> {
            None
        }

        /// The musl this process runs with, from its loader's banner
        /// (`musl libc (x86_64)` / `Version 1.2.4` on stderr), as packaging reads it.
        #[cfg(target_env = "musl")]
        pub(super) fn musl_version() -> Option<(u16, u16)> {
            let loader = std::fs::read_dir("/lib")
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("ld-musl-") && n.ends_with(".so.1"))
                })?;
            let output = std::process::Command::new(loader).output().ok()?;
            let banner = String::from_utf8_lossy(&output.stderr);
            let mut lines = banner.lines().map(str::trim).filter(|l| !l.is_empty());
            if !lines.next()?.starts_with("musl") {
                return None;
            }
            super::parse_major_minor(lines.next()?.strip_prefix("Version ")?)
        }

        #[cfg(not(target_env = "musl"))]
        pub(super) fn musl_version() -> Option<(u16, u16)> {
            None
        }
    }

    /// `major.minor` at the start of `s`, ignoring what follows. Ex) `2.20-2014.11` -> `(2, 20)`
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(super) fn parse_major_minor(s: &str) -> Option<(u16, u16)> {
        let (major, rest) = s.split_once('.')?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        Some((major.parse().ok()?, rest[..digits].parse().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(arch: &str, glibc: Option<(u16, u16)>, musl: Option<(u16, u16)>) -> Vec<String> {
        Platform::Linux {
            arch: arch.to_owned(),
            glibc,
            musl,
        }
        .tags()
    }

    #[test]
    fn ok_manylinux_x86_64() {
        let tags = linux("x86_64", Some((2, 17)), None);
        assert_eq!(
            tags[..4],
            [
                "linux_x86_64",
                "manylinux_2_17_x86_64",
                "manylinux2014_x86_64",
                "manylinux_2_16_x86_64"
            ]
        );
        assert_eq!(
            tags[tags.len() - 3..],
            [
                "manylinux_2_6_x86_64",
                "manylinux_2_5_x86_64",
                "manylinux1_x86_64"
            ]
        );
        // 2.17 down to 2.5 (13 versions) plus three legacy aliases, plus linux_x86_64.
        assert_eq!(tags.len(), 1 + 13 + 3);
        assert_eq!(tags.last().unwrap(), "manylinux1_x86_64");
    }

    #[test]
    fn ok_manylinux_aarch64_stops_at_2_17() {
        let tags = linux("aarch64", Some((2, 18)), None);
        assert_eq!(
            tags,
            [
                "linux_aarch64",
                "manylinux_2_18_aarch64",
                "manylinux_2_17_aarch64",
                "manylinux2014_aarch64"
            ]
        );
        assert_eq!(linux("aarch64", Some((2, 12)), None), ["linux_aarch64"]);
    }

    #[test]
    fn ok_armv8l_runs_armv7l() {
        let tags = linux("armv8l", Some((2, 17)), None);
        assert_eq!(
            tags,
            [
                "linux_armv8l",
                "linux_armv7l",
                "manylinux_2_17_armv8l",
                "manylinux2014_armv8l",
                "manylinux_2_17_armv7l",
                "manylinux2014_armv7l"
            ]
        );
    }

    #[test]
    fn ok_glibc_major_3() {
        let tags = linux("s390x", Some((3, 1)), None);
        assert_eq!(
            tags[..4],
            [
                "linux_s390x",
                "manylinux_3_1_s390x",
                "manylinux_3_0_s390x",
                "manylinux_2_50_s390x"
            ]
        );
        assert_eq!(tags.last().unwrap(), "manylinux2014_s390x");
    }

    #[test]
    fn ok_musllinux() {
        let tags = linux("aarch64", None, Some((1, 2)));
        assert_eq!(
            tags,
            [
                "linux_aarch64",
                "musllinux_1_2_aarch64",
                "musllinux_1_1_aarch64",
                "musllinux_1_0_aarch64"
            ]
        );
    }

    #[test]
    fn ok_unknown_linux_arch_has_no_manylinux() {
        assert_eq!(linux("mips", Some((2, 31)), None), ["linux_mips"]);
    }

    #[test]
    fn ok_macos_arm64() {
        let tags = Platform::MacOs {
            arch: "arm64".to_owned(),
            version: (12, 3),
        }
        .tags();
        assert_eq!(
            tags[..6],
            [
                "macosx_12_0_arm64",
                "macosx_12_0_universal2",
                "macosx_11_0_arm64",
                "macosx_11_0_universal2",
                "macosx_10_16_universal2",
                "macosx_10_15_universal2"
            ]
        );
        assert_eq!(tags.last().unwrap(), "macosx_10_4_universal2");
    }

    #[test]
    fn ok_macos_x86_64_10x() {
        let tags = Platform::MacOs {
            arch: "x86_64".to_owned(),
            version: (10, 5),
        }
        .tags();
        assert_eq!(
            tags[..6],
            [
                "macosx_10_5_x86_64",
                "macosx_10_5_intel",
                "macosx_10_5_fat64",
                "macosx_10_5_fat3",
                "macosx_10_5_universal2",
                "macosx_10_5_universal"
            ]
        );
        // 10.5 and 10.4 only: older releases ran no x86_64 code.
        assert_eq!(tags.len(), 12);
    }

    #[test]
    fn ok_windows_and_other() {
        let tag = |arch: &str| {
            Platform::Windows {
                arch: arch.to_owned(),
            }
            .tags()
        };
        assert_eq!(tag("x86_64"), ["win_amd64"]);
        assert_eq!(tag("x86"), ["win32"]);
        assert_eq!(tag("aarch64"), ["win_arm64"]);
        let other = Platform::Other {
            platform: "FreeBSD-14.0-RELEASE-amd64".to_owned(),
        };
        assert_eq!(other.tags(), ["freebsd_14_0_release_amd64"]);
    }

    #[test]
    fn ok_parse_versions() {
        assert_eq!(detect::parse_major_minor("2.36"), Some((2, 36)));
        assert_eq!(detect::parse_major_minor("2.20-2014.11"), Some((2, 20)));
        assert_eq!(detect::parse_major_minor("1.2.4"), Some((1, 2)));
        assert_eq!(detect::parse_major_minor("garbage"), None);
        let plist = "<dict>\n\t<key>ProductVersion</key>\n\t<string>14.2.1</string>\n</dict>";
        assert_eq!(detect::product_version(plist), Some((14, 2)));
        let plist = "<key>ProductVersion</key><string>11</string>";
        assert_eq!(detect::product_version(plist), Some((11, 0)));
    }

    #[test]
    fn ok_detect_is_consistent() {
        let platform = Platform::detect();
        assert!(!platform.tags().is_empty(), "{platform:?}");
        #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
        assert!(
            matches!(platform, Platform::Linux { ref arch, glibc: Some(_), .. } if arch == "x86_64")
        );
    }
}
