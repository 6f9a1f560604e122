//! `inkasso demo`: copies the bundled sample data directory (`fixtures/`)
//! and runs its sample days in order: for each `days/<D>/` folder, its files
//! are dropped into the inbox and `run` processes day D.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::run::{print_summary, run_day};
use super::Error;
use crate::store::atomic;

/// Run the bundled sample days.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to put the sample data directory (default: a new temp directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The bundled fixtures, found next to the crate (the demo is run from a
/// checkout: `cargo run --release -- demo`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// # Errors
/// As `run`, for the first day that fails.
pub fn run(args: Args) -> Result<(), Error> {
    let dir = match args.out {
        Some(d) => d,
        None => {
            tempfile::Builder::new().prefix("inkasso-demo-").tempdir().map_err(|e| Error::Failed(e.to_string()))?.keep()
        }
    };
    let days = install(&fixtures_dir(), &dir)?;
    println!("sample data directory: {}\n", dir.display());
    for (date, files) in &days {
        for f in files {
            let name = f.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            let bytes = std::fs::read(f).map_err(|e| Error::Failed(format!("{}: {e}", f.display())))?;
            atomic::write(&dir.join("inbox").join(name), &bytes)?;
        }
        let summary = run_day(&dir, *date, false, false)?;
        print_summary(&summary);
        println!();
    }
    println!("letters:  {}/out/<day>/letters/ (PDF + manifest.csv)", dir.display());
    println!("journals: {}/out/<day>/journals/<creditor>/<day>.se and .csv", dir.display());
    Ok(())
}

/// Copies `inkasso.toml` into `dir` and lists the sample days with their files.
///
/// # Errors
/// `Error::Failed` on I/O errors or an existing config in `dir`.
pub fn install(fixtures: &Path, dir: &Path) -> Result<Vec<(NaiveDate, Vec<PathBuf>)>, Error> {
    let fail = |p: &Path, e: std::io::Error| Error::Failed(format!("{}: {e}", p.display()));
    if dir.join("inkasso.toml").exists() {
        return Err(Error::Usage(format!("{} already holds a data directory", dir.display())));
    }
    let config = std::fs::read(fixtures.join("inkasso.toml")).map_err(|e| fail(fixtures, e))?;
    atomic::write(&dir.join("inkasso.toml"), &config)?;
    atomic::create_dir(&dir.join("inbox"))?;
    let days_dir = fixtures.join("days");
    let mut days = Vec::new();
    for entry in std::fs::read_dir(&days_dir).map_err(|e| fail(&days_dir, e))?.flatten() {
        let Ok(date) = NaiveDate::parse_from_str(&entry.file_name().to_string_lossy(), "%Y-%m-%d") else { continue };
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(entry.path()).map_err(|e| fail(&entry.path(), e))?.flatten().map(|e| e.path()).collect();
        files.sort();
        days.push((date, files));
    }
    days.sort();
    Ok(days)
}
