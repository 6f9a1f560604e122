//! `approvals.csv` from the creditor or finance staff: `claim_id,step,decision`
//! with step `collection` or `legal` and decision `approve` or `reject`.

use crate::ingest::Error;
use crate::model::{Approval, ApprovalStep, Source};

/// True if the header is `claim_id,step,decision`.
pub fn sniff(bytes: &[u8]) -> bool {
    header(bytes) == "claim_id,step,decision"
}

/// The first line without BOM, spaces and line end.
pub(crate) fn header(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = b.split(|&c| c == b'\n').next().unwrap_or(b);
    String::from_utf8_lossy(first).trim().replace(' ', "")
}

/// Parses the file; every bad row is reported.
///
/// # Errors
/// All bad rows (line, field, value, expected), when there is any.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Approval>, Vec<Error>> {
    let (rows, mut errors) = super::staff_csv_rows(bytes, "claim_id,step,decision");
    let mut out = Vec::new();
    for (line, record) in rows {
        let claim_id = record.get(0).unwrap_or("").to_string();
        let step = match record.get(1).unwrap_or("") {
            "collection" => ApprovalStep::Collection,
            "legal" => ApprovalStep::Legal,
            v => {
                errors.push(Error::new(line, "step", v, "collection or legal"));
                continue;
            }
        };
        let approve = match record.get(2).unwrap_or("") {
            "approve" => true,
            "reject" => false,
            v => {
                errors.push(Error::new(line, "decision", v, "approve or reject"));
                continue;
            }
        };
        if claim_id.is_empty() {
            errors.push(Error::new(line, "claim_id", "", "a claim id like 5561234567-1001"));
            continue;
        }
        out.push(Approval { source: Source { file: file.to_string(), line }, claim_id, step, approve });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
