//! Format detection from content, never from the file name.

use super::{approvals, bank, matches, receivables};

/// The input formats we read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The canonical receivables CSV.
    Receivables,
    /// `approvals.csv`.
    Approvals,
    /// `matches.csv`.
    Matches,
    /// ISO 20022 camt.052/053/054.
    Camt,
    /// Bankgirot BgMax.
    BgMax,
    /// SWIFT MT940.
    Mt940,
    /// Nets OCR giro (Norway).
    NetsOcr,
}

/// Detects the format of `bytes`, or `None` when it is none we read.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if bank::camt::sniff(bytes) {
        Some(Format::Camt)
    } else if bank::bgmax::sniff(bytes) {
        Some(Format::BgMax)
    } else if bank::nets_ocr::sniff(bytes) {
        Some(Format::NetsOcr)
    } else if bank::mt940::sniff(bytes) {
        Some(Format::Mt940)
    } else if receivables::csv::sniff(bytes) {
        Some(Format::Receivables)
    } else if approvals::sniff(bytes) {
        Some(Format::Approvals)
    } else if matches::sniff(bytes) {
        Some(Format::Matches)
    } else {
        None
    }
}
