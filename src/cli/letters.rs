//! `inkasso letters --data DIR --date D`: renders (or re-renders) the PDF
//! letters of a committed day from `out/D/letters/letters.jsonl`, e.g. when
//! `[letters] render_pdf = false` deferred them. Same letters, same plan,
//! same bytes as rendering them in the run.
//!
//! Files are rendered in parallel (rayon) and written as they come by a few
//! writer threads, each file atomically (temp file, fsync, rename): waiting
//! for the disk then overlaps rendering, and no more than a few files are
//! held in memory.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use chrono::NaiveDate;
use rayon::prelude::*;

use super::Error;
use crate::emit::letters::{self, RenderError};
use crate::model::Letter;
use crate::store::{atomic, DataDir};

/// Threads writing files (they mostly wait for fsync, so more than cores).
const WRITERS: usize = 16;
/// Rendered files waiting for a writer, at most.
const QUEUE: usize = 32;

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
    let lines: Vec<&str> = text.lines().collect();
    let list = lines
        .par_iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str::<Letter>(line)
                .map_err(|e| Error::Failed(format!("{}:{}: {e}", path.display(), i + 1)))
        })
        .collect::<Result<Vec<Letter>, Error>>()?;
    drop(lines);
    drop(text);
    let plan = letters::plan(&list).map_err(|e| Error::Failed(format!("letters: {e}")))?;
    if plan.letters != list {
        return Err(Error::Failed(format!("{}: the letters' files and pages differ from the plan", path.display())));
    }
    drop(list);
    write_all(&plan, &dir)?;
    println!("{}: {} letters in {} files -> {}", args.date, plan.letters.len(), plan.files.len(), dir.display());
    Ok(())
}

/// Why rendering stopped.
enum Stop {
    Render(RenderError),
    /// The writers are gone: one failed, and its error is reported.
    WritersGone,
}

impl From<RenderError> for Stop {
    fn from(e: RenderError) -> Stop {
        Stop::Render(e)
    }
}

/// Renders the plan's files and writes them into `dir`.
fn write_all(plan: &letters::Plan, dir: &Path) -> Result<(), Error> {
    let (send, receive) = mpsc::sync_channel::<(String, Vec<u8>)>(QUEUE);
    let receive = Mutex::new(Some(receive));
    let write_error: Mutex<Option<Error>> = Mutex::new(None);
    let rendered = std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| loop {
                // Ends when rendering is done (the sender is dropped) or the
                // receiver is gone.
                let next = receive.lock().ok().and_then(|r| r.as_ref().and_then(|r| r.recv().ok()));
                let Some((name, bytes)) = next else { return };
                if let Err(e) = atomic::write(&dir.join(&name), &bytes) {
                    if let Ok(mut first) = write_error.lock() {
                        first.get_or_insert(e.into());
                    }
                    // Dropping the receiver ends the other writers and makes
                    // rendering stop at its next file.
                    if let Ok(mut r) = receive.lock() {
                        r.take();
                    }
                    return;
                }
            });
        }
        let rendered = letters::render_planned_each(plan, |name, bytes| {
            send.send((name.to_string(), bytes)).map_err(|_| Stop::WritersGone)
        });
        drop(send);
        rendered
    });
    match (rendered, write_error.into_inner().ok().flatten()) {
        (_, Some(e)) => Err(e),
        (Err(Stop::Render(e)), None) => Err(Error::Failed(format!("letters: {e}"))),
        (Err(Stop::WritersGone), None) => Err(Error::Failed("letters: the file writers stopped".into())),
        (Ok(()), None) => Ok(()),
    }
}
