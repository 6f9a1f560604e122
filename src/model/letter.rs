//! A letter to a debtor: everything printed on it and listed in the manifest.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Channel, Currency, Debtor, FeeKind, LetterKind};

/// One interest segment printed on a letter: the amount, the rate, the
/// period and the principal it was computed on (inkassolagen 5 §).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestLine {
    /// First day of interest in the segment.
    pub from: NaiveDate,
    /// Last day of interest in the segment (inclusive).
    pub to: NaiveDate,
    pub days: i64,
    /// Annual rate in percent (reference rate + margin).
    pub rate_percent: Decimal,
    pub principal: Decimal,
    /// Exact (unrounded) interest of the segment.
    pub amount: Decimal,
}

/// A fee line printed on a letter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub kind: FeeKind,
    pub amount: Decimal,
}

/// The sender and payee details printed on every letter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub agency_name: String,
    pub agency_org_no: String,
    pub agency_address: String,
    pub agency_phone: String,
    pub agency_email: String,
    pub bankgiro: String,
    pub iban: String,
    pub bic: String,
    pub creditor_name: String,
    pub creditor_org_no: String,
}

/// One letter. Amounts are rounded as printed; `interest` is the rounded
/// interest due on `date` (total accrued rounded, minus interest paid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// `<date>-<claim_id>-<kind>`, unique within a day.
    pub letter_id: String,
    pub claim_id: String,
    pub creditor_id: String,
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub description: String,
    #[serde(with = "super::shared")]
    pub debtor: Arc<Debtor>,
    pub kind: LetterKind,
    pub language: String,
    pub channel: Channel,
    pub currency: Currency,
    /// The letter's date (the run date).
    pub date: NaiveDate,
    pub pay_by: NaiveDate,
    /// Principal outstanding.
    pub principal: Decimal,
    /// Principal when the claim was taken over.
    pub original_principal: Decimal,
    /// Paid so far towards this claim (principal, interest and fees).
    pub paid_so_far: Decimal,
    pub interest: Decimal,
    pub interest_lines: Vec<InterestLine>,
    pub fees: Decimal,
    pub fee_lines: Vec<FeeLine>,
    pub amount_due: Decimal,
    /// The OCR reference to pay with.
    pub reference: String,
    /// The same for every letter of a creditor (shared).
    #[serde(with = "super::shared")]
    pub sender: Arc<Sender>,
    /// Batch file (relative to `out/D/letters/`) and page, set when rendered.
    pub file: String,
    pub page: u32,
}
