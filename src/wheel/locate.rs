//! Finding a wheel's `.dist-info` directory among its members.

use crate::archive::Archive;

/// The single top-level `*.dist-info/` directory of an archive.
pub fn find_dist_info(archive: &Archive) -> Result<String, String> {
    let mut found: Option<&str> = None;
    for member in archive.members() {
        if let Some((dir, _)) = member.name.split_once('/') {
            if dir.ends_with(".dist-info") && found != Some(dir) {
                if found.is_some() {
                    return Err("more than one .dist-info directory".into());
                }
                found = Some(dir);
            }
        }
    }
    found
        .map(str::to_owned)
        .ok_or_else(|| "no .dist-info directory".into())
}
