//! `inkasso init DIR`: a new data directory with a commented sample config.

use std::path::PathBuf;

use super::Error;
use crate::store::atomic;

/// Create a data directory.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory to create (must not contain an inkasso.toml yet).
    pub dir: PathBuf,
}

/// The commented sample configuration (every key: schemas/inkasso.toml.md).
pub const SAMPLE_CONFIG: &str = include_str!("../../fixtures/inkasso.toml");

/// # Errors
/// `Error::Usage` if the directory already has a config; `Error::Failed` on I/O errors.
pub fn run(args: Args) -> Result<(), Error> {
    let config = args.dir.join("inkasso.toml");
    if config.exists() {
        return Err(Error::Usage(format!("{} already exists; not overwriting it", config.display())));
    }
    for sub in ["inbox", "archive", "quarantine", "state", "out"] {
        atomic::create_dir(&args.dir.join(sub))?;
    }
    // The sample days drop their own files; a real inbox waits for uploads to settle.
    let sample = SAMPLE_CONFIG.replace("settle_seconds = 0", "settle_seconds = 60");
    atomic::write(&config, sample.as_bytes())?;
    println!(
        "created {}: edit {} and drop files into {}",
        args.dir.display(),
        config.display(),
        args.dir.join("inbox").display()
    );
    Ok(())
}
