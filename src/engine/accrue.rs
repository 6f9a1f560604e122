//! Interest due on a claim at a date (DOMAIN.md Part A, "Late-payment
//! interest"): the rounded total accrued through that day, minus the rounded
//! interest already paid, never below zero.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{Claim, Rounding};
use crate::rules::interest::{claim_segments, total, Segment};
use crate::rules::{MissingRate, RulePack};

/// Interest due on `claim` at the end of day `through`, and the segments
/// behind it. Closed claims owe nothing.
///
/// # Errors
/// `MissingRate` for a day without a known reference rate.
pub fn interest_due(
    claim: &Claim,
    through: NaiveDate,
    pack: &dyn RulePack,
) -> Result<(Decimal, Vec<Segment>), MissingRate> {
    if claim.stage.is_closed() {
        return Ok((Decimal::ZERO, Vec::new()));
    }
    let segs = claim_segments(claim, through, |d| pack.interest_rate(d, claim.debtor.kind))?;
    let accrued = Rounding::InterestToOre.apply(total(&segs));
    Ok(((accrued - claim.interest_paid).max(Decimal::ZERO), segs))
}

/// Principal, interest due and fees outstanding at the end of `through`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub principal: Decimal,
    pub interest: Decimal,
    pub fees: Decimal,
}

impl Balance {
    pub fn total(&self) -> Decimal {
        self.principal + self.interest + self.fees
    }
    /// Fully paid: principal, rounded interest due and fees all zero.
    pub fn is_zero(&self) -> bool {
        self.principal.is_zero() && self.interest.is_zero() && self.fees.is_zero()
    }
}

/// # Errors
/// `MissingRate` as for `interest_due`.
pub fn balance(claim: &Claim, through: NaiveDate, pack: &dyn RulePack) -> Result<Balance, MissingRate> {
    let (interest, _) = interest_due(claim, through, pack)?;
    Ok(Balance { principal: claim.principal_now(), interest, fees: claim.fees_outstanding() })
}
