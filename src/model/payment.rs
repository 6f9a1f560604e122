//! Bank transactions read from bank files, and what became of them.

use chrono::NaiveDate;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::{Money, Source};

/// Credit (money in) or debit (money out) on the client-funds account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Credit,
    Debit,
}

/// One transaction as the bank reported it (camt: one `TxDtls`, or the
/// `Ntry` itself when it has none).
///
/// The short texts are `CompactString`s: up to 24 bytes are stored inline,
/// without a heap allocation. Payment ids (17 bytes), IBANs (at most 34,
/// Swedish and Norwegian ones 24 and 15), bankgiro and Nets account
/// numbers, bank references, OCR numbers, KIDs and most payer names fit, so
/// a parsed transaction usually owns one heap string, its `key`. Building
/// and freeing 5-6 `String`s per transaction cost more than the rest of
/// BgMax and Nets parsing (BENCHMARKS.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransaction {
    /// Stable id derived from the idempotency key (see `key`).
    pub payment_id: CompactString,
    /// Idempotency key: account, bank reference (or, lacking one, booking
    /// date + amount + reference + position in the file), amount and date.
    /// The same transaction in two files has the same key and is booked once.
    pub key: String,
    pub source: Source,
    /// The client-funds account (IBAN or other identifier).
    pub account: CompactString,
    /// The bank's own reference (AcctSvcrRef), when given.
    pub bank_ref: CompactString,
    pub booking_date: NaiveDate,
    /// Always positive; see `direction`.
    pub amount: Money,
    pub direction: Direction,
    /// The bank says this entry reverses an earlier one (`RvslInd`).
    pub reversal: bool,
    /// Structured creditor reference (`Strd/CdtrRefInf/Ref`), spaces removed.
    pub structured_ref: CompactString,
    /// Unstructured remittance text (`Ustrd` lines joined by a space).
    pub unstructured: CompactString,
    /// Payer name (`RltdPties/Dbtr/Nm`), when given.
    pub payer: CompactString,
}
