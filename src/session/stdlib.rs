//! The standard-library rule: standard-library names never lie, so `import` and
//! `importlib.metadata` always tell of the same code.
//!
//! Without `override_stdlib`, a wheel whose top-level names are all standard-library modules (a
//! backport: `argparse`, `enum34`, `typing`) is not activated: named in the requirements it is an
//! error ([`SessionError::StdlibConflict`]); only needed by them (an old dependency requiring a
//! backport without a marker) it is left to the standard library, which serves those modules.
//! A wheel with other top-level names besides is activated and serves those, its
//! standard-library names left to the standard library, as a normal install behaves
//! (site-packages comes after the standard library on `sys.path`, so a stray `test/` or `json/`
//! in a wheel is never imported).

use std::sync::Arc;

use super::error::quoted;
use super::{Host, Request, SessionError};
use crate::import::ActiveDist;
use crate::wheel::{parse_requirement, PackageName};

/// What the rule makes of one wheel.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// No standard-library name: served whole.
    Served,
    /// Some of its names are the standard library's, left to it; the others are served.
    Partly(Vec<String>),
    /// Every name is the standard library's.
    Only(Vec<String>),
}

fn verdict(host: &impl Host, dist: &ActiveDist) -> Verdict {
    let tops: Vec<&str> = dist.index.top_level().collect();
    let stdlib: Vec<String> = tops
        .iter()
        .filter(|t| host.is_stdlib(t))
        .map(|t| (*t).to_owned())
        .collect();
    if stdlib.is_empty() {
        Verdict::Served
    } else if stdlib.len() < tops.len() {
        Verdict::Partly(stdlib)
    } else {
        Verdict::Only(stdlib)
    }
}

/// Applies the rule to the new wheels; returns the distributions left to the standard library
/// (each told of through [`Host::note`]).
pub fn rule(
    host: &impl Host,
    request: &Request,
    wheels: &[Arc<ActiveDist>],
) -> Result<Vec<PackageName>, SessionError> {
    let mut left = Vec::new();
    // Parsed only here (rare): an activation cache hit does not parse the requirements.
    let mut named: Option<Vec<PackageName>> = None;
    for dist in wheels
        .iter()
        .filter(|d| !request.overrides_stdlib(&d.candidate.name))
    {
        let candidate = &dist.candidate;
        let wheel = dist.path().display();
        match verdict(host, dist) {
            Verdict::Served => {}
            Verdict::Partly(stdlib) => host.note(format!(
                "{} {} from {wheel}: its modules {} are left to the standard library \
                 (override_stdlib=True serves the wheel's)",
                candidate.name,
                candidate.version,
                quoted(&stdlib),
            )),
            Verdict::Only(stdlib) => {
                let named = named.get_or_insert_with(|| named_in(&request.requirements));
                if named.contains(&candidate.name) {
                    return Err(SessionError::StdlibConflict {
                        name: candidate.name.clone(),
                        version: candidate.version.clone(),
                        wheel: dist.path().to_path_buf(),
                        modules: stdlib,
                    });
                }
                host.note(format!(
                    "{} {} from {wheel} is not activated: its modules {} are the standard \
                     library's, which serves them (override_stdlib=True serves the wheel's)",
                    candidate.name,
                    candidate.version,
                    quoted(&stdlib),
                ));
                left.push(candidate.name.clone());
            }
        }
    }
    Ok(left)
}

/// The distributions the requirements name themselves.
fn named_in(requirements: &[String]) -> Vec<PackageName> {
    requirements
        .iter()
        .filter_map(|r| parse_requirement(r).ok())
        .map(|r| PackageName::new(r.name.as_ref()))
        .collect()
}
