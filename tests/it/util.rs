//! Shared test helpers.

use std::path::PathBuf;

/// `../shared/corpus` next to the project, or `None` (with a message) when it
/// is missing outside CI. In CI (`CI` set) a missing corpus fails the test.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("corpus missing at {}: CI must have ../shared/corpus", dir.display());
    }
    eprintln!("skipping: corpus not found at {}", dir.display());
    None
}

/// Fails (in CI) or skips (locally) when a system tool is missing.
pub fn have_tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{name} is not installed; .ci/run must install it");
        }
        eprintln!("skipping: {name} not installed");
    }
    found
}
