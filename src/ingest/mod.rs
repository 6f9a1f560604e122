//! Input files -> model types. The format is detected from content; every
//! error names file, line, field, the value seen and what was expected.

pub mod approvals;
pub mod bank;
pub mod detect;
mod error;
pub mod matches;
pub mod receivables;

pub use error::Error;

use crate::model::{Approval, ManualMatch, ReceivableRow};
use bank::BankFile;

/// `YYYY-MM-DD` as chrono's `%Y-%m-%d` reads it. The common shape (exactly
/// four, two and two digits) is read directly, which is much cheaper;
/// anything else goes to chrono, so both accept and refuse the same text
/// (property test: `bank::camt`'s `fast_paths_match_the_generic_parsers`).
pub(crate) fn parse_ymd(part: &str) -> Option<chrono::NaiveDate> {
    let b = part.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')))
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d);
        }
    }
    chrono::NaiveDate::parse_from_str(part, "%Y-%m-%d").ok()
}

/// The data rows of a small staff CSV (`approvals.csv`, `matches.csv`):
/// each with its 1-based line, trimmed; a row the CSV reader cannot read
/// becomes an error expecting `layout`.
pub(crate) fn staff_csv_rows(bytes: &[u8], layout: &str) -> (Vec<(u32, ::csv::StringRecord)>, Vec<Error>) {
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).trim(::csv::Trim::All).from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => rows.push((r.position().map_or(0, |p| p.line() as u32), r)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as u32);
                errors.push(Error::new(line, "(row)", &e.to_string(), format!("{layout} in UTF-8")));
            }
        }
    }
    (rows, errors)
}

/// One parsed input file.
#[derive(Debug)]
pub enum Input {
    /// Good rows, and rows rejected one by one.
    Receivables {
        rows: Vec<ReceivableRow>,
        rejects: Vec<Error>,
    },
    Bank(BankFile),
    Approvals(Vec<Approval>),
    Matches(Vec<ManualMatch>),
}

/// Detects and parses one file. `name` is the file's name in the inbox.
///
/// # Errors
/// Every reason the whole file is rejected, each with `name` filled in.
pub fn read(name: &str, bytes: &[u8]) -> Result<Input, Vec<Error>> {
    let tag = |errs: Vec<Error>| errs.into_iter().map(|e| e.with_file(name)).collect::<Vec<_>>();
    match detect::detect(bytes) {
        Some(detect::Format::Receivables) => receivables::csv::parse(name, bytes)
            .map(|p| Input::Receivables {
                rows: p.rows,
                rejects: p.rejects.into_iter().map(|e| e.with_file(name)).collect(),
            })
            .map_err(tag),
        Some(detect::Format::Approvals) => approvals::parse(name, bytes).map(Input::Approvals).map_err(tag),
        Some(detect::Format::Matches) => matches::parse(name, bytes).map(Input::Matches).map_err(tag),
        Some(format @ (detect::Format::Camt | detect::Format::BgMax | detect::Format::Mt940 | detect::Format::NetsOcr)) => {
            let parsed = match format {
                detect::Format::Camt => bank::camt::parse(bytes),
                detect::Format::BgMax => bank::bgmax::parse(bytes),
                detect::Format::Mt940 => bank::mt940::parse(bytes),
                _ => bank::nets_ocr::parse(bytes),
            };
            parsed
                .map(|mut f| {
                    for t in &mut f.transactions {
                        t.source.file = name.to_string();
                    }
                    Input::Bank(f)
                })
                .map_err(tag)
        }
        None => Err(vec![Error::new(
            1,
            "(format)",
            &String::from_utf8_lossy(&bytes[..bytes.len().min(40)]),
            "a receivables CSV (header with creditor_id, invoice_number, open_amount), approvals.csv (claim_id,step,decision), matches.csv (payment_id,claim_id), ISO 20022 camt.052/053/054, Bankgirot BgMax, SWIFT MT940 or Nets OCR giro",
        )
        .with_file(name)]),
    }
}
