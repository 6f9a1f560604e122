//! Journal entries: a verification (SIE term) of balanced postings.

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Currency;

/// One line of a verification. Positive amount = debit, negative = credit
/// (the SIE convention). (`CompactString`: a night has two postings per
/// invoice paid, and their account, invoice number and claim id fit inline.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: CompactString,
    pub amount: Decimal,
    pub text: CompactString,
    pub invoice_number: CompactString,
    pub claim_id: CompactString,
}

/// A balanced journal entry of one creditor and day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    creditor_id: String,
    date: NaiveDate,
    number: u32,
    text: String,
    currency: Currency,
    postings: Vec<Posting>,
}

/// A verification whose postings do not sum to zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("verification {number} for creditor {creditor_id} on {date} does not balance: postings sum to {sum}")]
pub struct Unbalanced {
    pub creditor_id: String,
    pub date: NaiveDate,
    pub number: u32,
    pub sum: Decimal,
}

impl Verification {
    /// # Errors
    /// `Unbalanced` if the postings do not sum to zero, or there are none.
    pub fn new(
        creditor_id: &str,
        date: NaiveDate,
        number: u32,
        text: &str,
        currency: Currency,
        postings: Vec<Posting>,
    ) -> Result<Verification, Unbalanced> {
        let sum: Decimal = postings.iter().map(|p| p.amount).sum();
        if !sum.is_zero() || postings.is_empty() {
            return Err(Unbalanced { creditor_id: creditor_id.to_string(), date, number, sum });
        }
        Ok(Verification {
            creditor_id: creditor_id.to_string(),
            date,
            number,
            text: text.to_string(),
            currency,
            postings,
        })
    }
    pub fn creditor_id(&self) -> &str {
        &self.creditor_id
    }
    pub fn date(&self) -> NaiveDate {
        self.date
    }
    pub fn number(&self) -> u32 {
        self.number
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
    /// What the verification settles to the creditor: minus the sum of the
    /// postings that name a claim (capital and interest); the clearing
    /// posting carries the same amount.
    pub fn settled(&self) -> Decimal {
        -self.postings.iter().filter(|p| !p.claim_id.is_empty()).map(|p| p.amount).sum::<Decimal>()
    }

    /// Sum of the debit postings.
    pub fn debits(&self) -> Decimal {
        self.postings.iter().map(|p| p.amount).filter(|a| a.is_sign_positive()).sum()
    }
}
