//! Which wheel members are native code: extension modules and the shared libraries bundled beside them.

/// Whether a member is native code the dynamic loader must see as a file.
/// Ex) `pkg/_speedups.cpython-311-x86_64-linux-gnu.so`, `numpy.libs/libopenblas-r0.3.so`,
/// `libfoo.so.1.2`, `pkg/.dylibs/libz.1.dylib`
pub fn is_native(member: &str) -> bool {
    let leaf = member.rsplit('/').next().unwrap_or(member);
    let in_libs_dir = member
        .split('/')
        .any(|part| part.ends_with(".libs") || part == ".dylibs");
    let versioned = leaf
        .rsplit_once(".so.")
        .is_some_and(|(_, v)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    let shared = [".so", ".pyd", ".dll", ".dylib"]
        .iter()
        .any(|s| leaf.ends_with(s))
        || versioned;
    !member.ends_with('/') && (shared || in_libs_dir)
}
