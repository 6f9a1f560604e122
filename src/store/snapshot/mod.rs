//! The state after a day as Parquet files in `state/D/` (schema:
//! `schemas/state.md`): `claims.parquet` (one row per claim), the claims'
//! short histories as one table each (`claim_principal_changes.parquet`,
//! `claim_fees.parquet`, `claim_letters.parquet`,
//! `claim_credit_notes.parquet`: one row per entry, joined to the claim on
//! `claim_no`), `payments.parquet` (every booked bank transaction, by
//! idempotency key) and `events.parquet` (that day's part of the
//! append-only audit log; the whole log is the union over days).
//!
//! Amounts are exact (integer mantissa and scale, or decimal text beyond
//! 18 digits: `money_columns`), never floats. The same state gives the
//! same bytes. Reading checks every column's presence and type and every
//! value, and fails with an error naming the file, column and row; it
//! never panics on a bad file.
//!
//! Speed: the tables' pages are encoded straight from the claims, payments
//! and events, in parallel (a row group per task) and compressed a column
//! chunk per task; the files are written one after another. Reading
//! decodes the pages itself (`columns`: no polars or arrow arrays in
//! between), a column chunk per task, then builds the claims and payments
//! in parallel, in file order, so the maps are filled from sorted rows.
//!
//! The folder is written as `state/.D.tmp/` and renamed into place, so a
//! snapshot is either whole or absent.

mod claims;
mod columns;
mod ledger;
mod table;
#[cfg(test)]
mod tests;

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;

use super::{atomic, io, Error};
use crate::engine::{BookedPayment, State, FIRST_CLAIM_NO};
use crate::model::{Claim, Event};
use table::Table;

/// Builds one file of the snapshot: its Parquet bytes.
type BuildTable<'a> = Box<dyn FnOnce() -> PolarsResult<Vec<u8>> + Send + 'a>;

/// Writes `state` (and the day's `events`) to `dir` atomically.
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file.
pub fn write(dir: &Path, state: &State, events: &[Event]) -> Result<(), Error> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    atomic::create_dir(&tmp)?;
    // Encoded in parallel, written in file order (so a failing write is
    // always the same one).
    for (file, bytes) in encode(state, events) {
        let path = tmp.join(file);
        let bytes = bytes.map_err(|e| Error::Snapshot { path: path.clone(), message: e.to_string() })?;
        atomic::write(&path, &bytes)?;
    }
    atomic::sync_dir(&tmp)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::rename(&tmp, dir).map_err(io(dir))?;
    atomic::sync_dir(parent)
}

/// Every file of the snapshot as Parquet bytes, in file order.
fn encode(state: &State, events: &[Event]) -> Vec<(&'static str, PolarsResult<Vec<u8>>)> {
    let claims: Vec<&Claim> = state.claims.values().map(|c| &**c).collect();
    let payments: Vec<&BookedPayment> = state.payments.values().map(|p| &**p).collect();
    let mut tables = claims::tables(&claims);
    tables.push((ledger::PAYMENTS, Box::new(|| ledger::payments_table(&payments))));
    tables.push((ledger::EVENTS, Box::new(|| ledger::events_table(events))));
    tables.into_par_iter().map(|(file, build)| (file, build())).collect()
}

/// Reads the state written by `write` for day `date`.
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file, column and row.
pub fn read(dir: &Path, date: NaiveDate) -> Result<State, Error> {
    // The claims and the payments are independent: read them side by side.
    let (claims, payments) = rayon::join(
        || {
            let files =
                [claims::CLAIMS, claims::PRINCIPAL_CHANGES, claims::FEES, claims::LETTERS, claims::CREDIT_NOTES];
            let tables = files.par_iter().map(|file| Table::read(&dir.join(file))).collect::<Result<Vec<_>, _>>()?;
            match &tables[..] {
                [claims, changes, fees, letters, notes] => claims::read(claims, changes, fees, letters, notes),
                _ => Err(Error::Snapshot { path: dir.to_path_buf(), message: "expected one table per file".into() }),
            }
        },
        || ledger::read_payments(&Table::read(&dir.join(ledger::PAYMENTS))?),
    );
    let claims = claims?;
    let next_claim_no = claims.values().map(|c| c.claim_no + 1).max().unwrap_or(0).max(FIRST_CLAIM_NO);
    Ok(State { date: Some(date), claims, payments: payments?, next_claim_no })
}

/// Reads one day's events (for `explain` and tests).
///
/// # Errors
/// `Error::Io` / `Error::Snapshot` naming the file, column and row.
pub fn read_events(dir: &Path) -> Result<Vec<Event>, Error> {
    ledger::read_events(&Table::read(&dir.join(ledger::EVENTS))?)
}
