//! Bank transactions read from bank files, and what became of them.

use chrono::NaiveDate;
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransaction {
    /// Stable id derived from the idempotency key (see `key`).
    pub payment_id: String,
    /// Idempotency key: account, bank reference (or, lacking one, booking
    /// date + amount + reference + position in the file), amount and date.
    /// The same transaction in two files has the same key and is booked once.
    pub key: String,
    pub source: Source,
    /// The client-funds account (IBAN or other identifier).
    pub account: String,
    /// The bank's own reference (AcctSvcrRef), when given.
    pub bank_ref: String,
    pub booking_date: NaiveDate,
    /// Always positive; see `direction`.
    pub amount: Money,
    pub direction: Direction,
    /// The bank says this entry reverses an earlier one (`RvslInd`).
    pub reversal: bool,
    /// Structured creditor reference (`Strd/CdtrRefInf/Ref`), spaces removed.
    pub structured_ref: String,
    /// Unstructured remittance text (`Ustrd` lines joined by a space).
    pub unstructured: String,
    /// Payer name (`RltdPties/Dbtr/Nm`), when given.
    pub payer: String,
}
