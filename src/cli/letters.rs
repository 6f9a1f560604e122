//! `inkasso letters --data DIR --date D`: renders (or re-renders) the PDF
//! letters of a committed day from `out/D/letters/letters.jsonl`, e.g. when
//! `[letters] render_pdf = false` deferred them. Same letters, same plan,
//! same bytes as rendering them in the run.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::Error;
use crate::emit::letters;
use crate::model::Letter;
use crate::store::{atomic, DataDir};

/// Render the letters of a committed day.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The committed day (YYYY-MM-DD).
    #[arg(long)]
    pub date: NaiveDate,
}

/// # Errors
/// `Error::Usage` if the day is not committed; `Error::Failed` on a bad
/// letters file or a write failure.
pub fn run(args: Args) -> Result<(), Error> {
    let data = DataDir::new(&args.data);
    if !data.is_committed(args.date) {
        return Err(Error::Usage(format!("day {} is not committed in {}", args.date, args.data.display())));
    }
    let dir = data.out(args.date).join("letters");
    let path = dir.join("letters.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
    let mut list = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l: Letter =
            serde_json::from_str(line).map_err(|e| Error::Failed(format!("{}:{}: {e}", path.display(), i + 1)))?;
        list.push(l);
    }
    let plan = letters::plan(&list).map_err(|e| Error::Failed(format!("letters: {e}")))?;
    if plan.letters != list {
        return Err(Error::Failed(format!("{}: the letters' files and pages differ from the plan", path.display())));
    }
    let files = letters::render_planned(&plan).map_err(|e| Error::Failed(format!("letters: {e}")))?;
    for (name, bytes) in &files {
        atomic::write(&dir.join(name), bytes)?;
    }
    println!("{}: {} letters in {} files -> {}", args.date, plan.letters.len(), files.len(), dir.display());
    Ok(())
}
