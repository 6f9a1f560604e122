//! `matches.csv` from finance staff: `payment_id,claim_id`, one manual
//! match per row; it resolves a payment in suspense in the next run or a
//! rerun (`engine::allocate`).

use crate::ingest::Error;
use crate::model::{ManualMatch, Source};

/// True if the header is `payment_id,claim_id`.
pub fn sniff(bytes: &[u8]) -> bool {
    super::approvals::header(bytes) == "payment_id,claim_id"
}

/// Parses the file; every bad row is reported.
///
/// # Errors
/// All bad rows (line, field, value, expected), when there is any.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<ManualMatch>, Vec<Error>> {
    let (rows, mut errors) = super::staff_csv_rows(bytes, "payment_id,claim_id");
    let mut out = Vec::new();
    for (line, record) in rows {
        let payment_id = record.get(0).unwrap_or("");
        let claim_id = record.get(1).unwrap_or("");
        if payment_id.is_empty() {
            errors.push(Error::new(
                line,
                "payment_id",
                payment_id,
                "a payment id as in suspense.csv, like P0123456789abcdef",
            ));
        } else if claim_id.is_empty() {
            errors.push(Error::new(line, "claim_id", claim_id, "a claim id like 5561234567-1001"));
        } else {
            out.push(ManualMatch {
                source: Source { file: file.to_string(), line },
                payment_id: payment_id.into(),
                claim_id: claim_id.into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
