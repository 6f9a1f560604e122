//! `inkasso validate FILE...`: detect each file's format, parse it, report
//! counts and totals or every error with file:line. Exit 1 if any is invalid.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;

use super::Error;
use crate::ingest::{self, Input};
use crate::model::{fmt_amount, Direction};

/// Check input files without running anything.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object per file per line.
    #[arg(long)]
    pub json: bool,
    /// Files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// What one file turned out to be.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub file: String,
    pub format: String,
    pub ok: bool,
    pub entries: usize,
    /// Credits minus debits per currency (bank files); amounts per currency (receivables).
    pub totals: BTreeMap<String, String>,
    pub errors: Vec<ErrorRecord>,
}

#[derive(Debug, serde::Serialize)]
pub struct ErrorRecord {
    pub line: u32,
    pub field: String,
    pub message: String,
}

/// Validates one file's bytes.
pub fn validate(name: &str, bytes: &[u8]) -> Report {
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut r = Report {
        file: name.to_string(),
        format: String::new(),
        ok: true,
        entries: 0,
        totals: BTreeMap::new(),
        errors: Vec::new(),
    };
    let rec = |e: &ingest::Error| ErrorRecord {
        line: e.line,
        field: e.field.clone(),
        message: format!("expected {}, found {:?}", e.expected, e.value),
    };
    match ingest::read(name, bytes) {
        Ok(Input::Bank(b)) => {
            r.format = b.format.clone();
            r.entries = b.transactions.len();
            for t in &b.transactions {
                let sign = if t.direction == Direction::Credit { Decimal::ONE } else { -Decimal::ONE };
                *totals.entry(t.amount.currency().code().to_string()).or_default() += sign * t.amount.amount();
            }
        }
        Ok(Input::Receivables { rows, rejects }) => {
            r.format = "receivables_csv".into();
            r.entries = rows.len();
            for row in &rows {
                *totals.entry(row.currency.code().to_string()).or_default() += row.open_amount;
            }
            r.ok = rejects.is_empty();
            r.errors = rejects.iter().map(rec).collect();
        }
        Ok(Input::Approvals(a)) => {
            r.format = "approvals_csv".into();
            r.entries = a.len();
        }
        Ok(Input::Matches(m)) => {
            r.format = "matches_csv".into();
            r.entries = m.len();
        }
        Err(errors) => {
            r.ok = false;
            r.errors = errors.iter().map(rec).collect();
        }
    }
    r.totals = totals.into_iter().map(|(k, v)| (k, fmt_amount(v))).collect();
    r
}

/// # Errors
/// `Error::Failed` when any file is invalid or unreadable.
pub fn run(args: Args) -> Result<(), Error> {
    let mut bad = 0;
    for path in &args.files {
        let name = path.display().to_string();
        let report = match std::fs::read(path) {
            Ok(bytes) => validate(&name, &bytes),
            Err(e) => Report {
                file: name.clone(),
                format: String::new(),
                ok: false,
                entries: 0,
                totals: BTreeMap::new(),
                errors: vec![ErrorRecord { line: 0, field: "(file)".into(), message: e.to_string() }],
            },
        };
        if !report.ok {
            bad += 1;
        }
        if args.json {
            println!("{}", serde_json::to_string(&report).map_err(|e| Error::Failed(e.to_string()))?);
        } else if report.ok {
            let totals: Vec<String> = report.totals.iter().map(|(c, a)| format!("{a} {c}")).collect();
            println!(
                "{}: ok, {}, {} entries, total {}",
                report.file,
                report.format,
                report.entries,
                if totals.is_empty() { "-".into() } else { totals.join(", ") }
            );
        } else {
            for e in &report.errors {
                println!("{}:{}: field {}: {}", report.file, e.line, e.field, e.message);
            }
        }
    }
    if bad > 0 {
        Err(Error::Failed(format!("{bad} of {} file(s) invalid", args.files.len())))
    } else {
        Ok(())
    }
}
