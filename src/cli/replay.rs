//! `inkasso replay --data DIR --from D`: recomputes D and every later
//! committed day, in order, from their archived inputs (the inbox is not
//! read). Each day's replaced outputs move to `out/<day>/superseded/N/`.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::run::{print_summary, run_day_with, Options};
use super::Error;
use crate::store::DataDir;

/// Recompute a day and every later committed day.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The first day to recompute (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
}

/// # Errors
/// As `run` for the first day that fails; later days are left as they were.
pub fn run(args: Args) -> Result<(), Error> {
    let days: Vec<NaiveDate> =
        DataDir::new(&args.data).committed_days().into_iter().filter(|d| *d >= args.from).collect();
    if days.is_empty() {
        return Err(Error::Usage(format!("no committed day on or after {} in {}", args.from, args.data.display())));
    }
    for day in days {
        let summary = run_day_with(&args.data, day, Options { rerun: true, strict: false, use_inbox: false })?;
        print_summary(&summary);
    }
    Ok(())
}
