//! The running interpreter as PEP 508 sees it: marker values and the Python version.

use pep440_rs::Version;
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};

use thiserror::Error;

use super::EnvironmentFacts;
use crate::wheel::{parse_requirement, RequirementError};

/// Interpreter facts that cannot be read as a marker environment.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FactsError {
    /// A marker name of [`MARKER_NAMES`] has no value. Ex) `sys_platform`
    #[error("The environment marker \"{key}\" is missing from the interpreter facts")]
    Missing { key: String },
    /// A value pep508_rs refuses (the three version-valued markers must be PEP 440 versions).
    #[error("The interpreter facts are not valid marker values: {reason}")]
    Markers { reason: String },
    /// `python_full_version` is not a PEP 440 version. Ex) `three`
    #[error("The interpreter facts are not valid marker values: python_full_version \"{value}\": {reason}")]
    PythonVersion { value: String, reason: String },
}

/// Every key of [`EnvironmentFacts`] the marker language knows, in PEP 508 order.
///
/// <https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers>
pub const MARKER_NAMES: [&str; 11] = [
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
];

/// The marker environment of the interpreter being resolved for, plus its full Python version
/// (what `Requires-Python` is checked against).
#[derive(Debug, Clone)]
pub struct Environment {
    markers: MarkerEnvironment,
    python: Version,
}

impl Environment {
    /// Builds the environment from marker values keyed by PEP 508 name.
    ///
    /// Every name of [`MARKER_NAMES`] must be present; unknown keys are ignored (a caller may
    /// pass a wider dictionary, such as the one `packaging.markers.default_environment()` gives).
    /// The three version-valued keys must parse as PEP 440 versions.
    /// Ex) `{"python_version": "3.11", "python_full_version": "3.11.7", ...}`
    pub fn from_facts(facts: &EnvironmentFacts) -> Result<Self, FactsError> {
        let get = |key: &str| {
            facts
                .get(key)
                .map(String::as_str)
                .ok_or_else(|| FactsError::Missing {
                    key: key.to_owned(),
                })
        };
        let builder = MarkerEnvironmentBuilder {
            implementation_name: get("implementation_name")?,
            implementation_version: get("implementation_version")?,
            os_name: get("os_name")?,
            platform_machine: get("platform_machine")?,
            platform_python_implementation: get("platform_python_implementation")?,
            platform_release: get("platform_release")?,
            platform_system: get("platform_system")?,
            platform_version: get("platform_version")?,
            python_full_version: get("python_full_version")?,
            python_version: get("python_version")?,
            sys_platform: get("sys_platform")?,
        };
        let full = builder.python_full_version;
        let markers = MarkerEnvironment::try_from(builder).map_err(|err| FactsError::Markers {
            reason: err.to_string(),
        })?;
        let python = full
            .parse::<Version>()
            .map_err(|err| FactsError::PythonVersion {
                value: full.to_owned(),
                reason: err.to_string(),
            })?;
        Ok(Self { markers, python })
    }

    /// The pep508_rs marker environment.
    pub fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    /// `python_full_version` as a version. Ex) `3.11.7`
    pub fn python(&self) -> &Version {
        &self.python
    }

    /// Whether `requirement` applies here when the distribution that declares it is wanted with
    /// `extras` (the value(s) an `extra == "..."` marker sees; empty for the base distribution).
    pub fn applies(&self, requirement: &Requirement, extras: &[ExtraName]) -> bool {
        requirement.marker.evaluate(&self.markers, extras)
    }

    /// Whether the PEP 508 marker `marker` holds here, `extra` being the one extra asked for
    /// (`""`: none), as `packaging.markers.Marker(marker).evaluate({"extra": extra})` decides.
    /// The marker is parsed by [`parse_requirement`] (its guards included); an invalid marker
    /// or extra is an error naming it.
    /// Ex) `python_version >= "3.8" and extra == "socks"` with `socks` -> true
    pub fn marker_holds(&self, marker: &str, extra: &str) -> Result<bool, RequirementError> {
        let requirement =
            parse_requirement(&format!("x ; {marker}")).map_err(|err| RequirementError {
                text: marker.to_owned(),
                reason: err.reason,
            })?;
        let extras = if extra.is_empty() {
            Vec::new()
        } else {
            vec![ExtraName::from_str(extra).map_err(|err| RequirementError {
                text: extra.to_owned(),
                reason: format!("the extra is not a valid name: {err}"),
            })?]
        };
        Ok(self.applies(&requirement, &extras))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::str::FromStr;

    use pep508_rs::{ExtraName, Requirement};

    use super::{Environment, EnvironmentFacts};

    /// Facts of a CPython 3.11.7 on x86-64 Linux.
    pub(crate) fn linux_facts() -> EnvironmentFacts {
        [
            ("implementation_name", "cpython"),
            ("implementation_version", "3.11.7"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_python_implementation", "CPython"),
            ("platform_release", "6.1.0"),
            ("platform_system", "Linux"),
            ("platform_version", "#1 SMP Debian"),
            ("python_full_version", "3.11.7"),
            ("python_version", "3.11"),
            ("sys_platform", "linux"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn ok_markers_evaluate() {
        let env = Environment::from_facts(&linux_facts()).unwrap();
        assert_eq!(env.python().to_string(), "3.11.7");
        for (req, extras, want) in [
            ("a; sys_platform == 'linux'", &[][..], true),
            ("a; sys_platform == 'win32'", &[], false),
            (
                "a; python_version >= '3.8' and os_name == 'posix'",
                &[],
                true,
            ),
            ("a; python_full_version < '3.11.7'", &[], false),
            ("a; extra == 'socks'", &[], false),
            ("a; extra == 'socks'", &["socks"], true),
            ("a; extra == 'Socks_'", &["socks"], false),
        ] {
            let requirement = Requirement::from_str(req).unwrap();
            let extras: Vec<ExtraName> = extras.iter().map(|e| e.parse().unwrap()).collect();
            assert_eq!(env.applies(&requirement, &extras), want, "{req}");
        }
    }

    #[test]
    fn ok_marker_holds_with_an_extra() {
        let env = Environment::from_facts(&linux_facts()).unwrap();
        for (marker, extra, want) in [
            (
                "(python_version < '3.5') and extra == 'scandir'",
                "scandir",
                false,
            ),
            (
                "python_version >= '3.9' and extra == 'Foo_Bar'",
                "foo-bar",
                true,
            ),
            ("extra == 'socks' or os_name == 'nt'", "", false),
            ("extra != 'socks'", "", true),
            (
                "'linux' in sys_platform and platform_machine not in 'arm64'",
                "",
                true,
            ),
        ] {
            assert_eq!(
                env.marker_holds(marker, extra),
                Ok(want),
                "{marker} {extra}"
            );
        }
    }

    #[test]
    fn err_marker_holds() {
        let env = Environment::from_facts(&linux_facts()).unwrap();
        for marker in [
            "os_name ==",
            "(os_name == 'nt'",
            "'linux' ~= sys_platform",
            "nope",
        ] {
            let err = env.marker_holds(marker, "").unwrap_err();
            assert_eq!(err.text, marker);
        }
        let err = env.marker_holds("extra == 'a'", "bad name!").unwrap_err();
        assert_eq!(err.text, "bad name!");
    }

    #[test]
    fn err_missing_fact() {
        let mut facts = linux_facts();
        facts.remove("sys_platform");
        let err = Environment::from_facts(&facts).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The environment marker \"sys_platform\" is missing from the interpreter facts"
        );
    }

    #[test]
    fn err_bad_version_fact() {
        let mut facts = linux_facts();
        facts.insert("python_version".into(), "three".into());
        let err = Environment::from_facts(&facts).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("The interpreter facts are not valid marker values: "),
            "{err}"
        );
    }
}
