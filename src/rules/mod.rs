//! Jurisdiction rule packs: calendars, reference rates, fees and caps,
//! deadlines, allocation order and payment references, as data and pure
//! functions. The engine asks a `RulePack` chosen by the creditor's country;
//! Sweden (`se`) is the first; Denmark, Norway and Finland implement the
//! same trait next. No I/O here.

#![deny(clippy::float_arithmetic)]

pub mod calendar;
pub mod interest;
pub mod rates;
pub mod reference;
pub mod se;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{Config, Currency, DebtorKind, FeeKind, LetterKind, Policy};
pub use rates::MissingRate;

/// The parts of a claim a payment can go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Fees,
    Interest,
    Principal,
}

/// A statutory fee: what, how much, under which rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeRule {
    pub kind: FeeKind,
    pub amount: Decimal,
    /// e.g. `se::inkassoavgift` (lag 1981:739 3 §).
    pub rule: &'static str,
}

/// What a country's law (and our conservative reading of it) says.
pub trait RulePack: Send + Sync {
    /// ISO 3166 alpha-2, e.g. `SE`.
    fn country(&self) -> &'static str;
    /// The currency claims must be in.
    fn currency(&self) -> Currency;
    /// A day on which the country's banks settle payments.
    fn is_banking_day(&self, d: NaiveDate) -> bool;
    /// `d` or the next banking day.
    fn next_banking_day(&self, d: NaiveDate) -> NaiveDate;
    /// Annual late-payment interest rate in percent on day `d`.
    ///
    /// # Errors
    /// `MissingRate` when the reference rate for d's half-year is unknown.
    fn interest_rate(&self, d: NaiveDate, debtor: DebtorKind) -> Result<Decimal, MissingRate>;
    /// Fees charged with a letter of `kind`, given what the claim already
    /// carries (`charged`) and the creditor's policy. `first_of_kind` is true
    /// when no letter of this kind was sent before.
    fn fees_for_letter(
        &self,
        kind: LetterKind,
        debtor: DebtorKind,
        policy: &Policy,
        charged: &[FeeKind],
    ) -> Vec<FeeRule>;
    /// The statutory maximum for one fee of `kind`, at most once per claim.
    fn fee_cap(&self, kind: FeeKind, debtor: DebtorKind) -> Decimal;
    /// Pay-by date printed on a letter of `kind` sent on `letter_date`.
    fn pay_by(&self, kind: LetterKind, letter_date: NaiveDate) -> NaiveDate;
    /// Order in which a payment covers the parts of a claim.
    fn allocation_order(&self, debtor: DebtorKind) -> [Part; 3];
    /// The agency's payment reference for the claim with sequence `claim_no`.
    fn agency_reference(&self, claim_no: u64) -> String;
    /// Years after the invoice date after which a claim is not admitted.
    fn admission_max_age_years(&self) -> u32;
}

/// An unknown jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no rule pack for country {0:?}: inkasso handles SE (DK, NO and FI are planned)")]
pub struct UnknownCountry(pub String);

/// The rule pack for `country`, with the config's extra reference rates.
///
/// # Errors
/// `UnknownCountry` for a country without a pack.
pub fn pack_for(country: &str, config: &Config) -> Result<Box<dyn RulePack>, UnknownCountry> {
    match country {
        "SE" => Ok(Box::new(se::Sweden::new(config.rates.get("SE").map(Vec::as_slice).unwrap_or(&[])))),
        other => Err(UnknownCountry(other.to_string())),
    }
}
