//! Settlement (DOMAIN.md Part A, "Settlement and the creditor's journal").
//!
//! Capital and interest belong to the creditor, fees to the agency. One
//! verification per creditor and day with payments: credit `receivable`
//! (1510) with the capital of each invoice paid (one posting per invoice,
//! its text naming the invoice), credit `interest_income` (8313) with the
//! interest (one posting per invoice, so each line traces to a claim), and
//! debit `clearing` (1512) with the day's total.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use compact_str::{format_compact, CompactString};
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::{Allocation, EngineError};
use crate::model::{sort_prefix, Config, Posting, Verification};

/// Builds the creditors' verifications from tonight's allocations, in
/// creditor-id order (one creditor per task, in parallel); postings in
/// claim-id order, one per claim and account, the invoice number of its
/// first allocation tonight.
///
/// # Errors
/// `EngineError::Unbalanced` if a verification would not balance (a bug).
pub fn settle(allocations: &[Allocation], config: &Config, date: NaiveDate) -> Result<Vec<Verification>, EngineError> {
    let mut per: BTreeMap<&str, Vec<&Allocation>> = BTreeMap::new();
    for a in allocations {
        per.entry(a.creditor_id.as_str()).or_default().push(a);
    }
    let per: Vec<(&str, Vec<&Allocation>)> = per.into_iter().collect();
    let built: Vec<Result<Option<Verification>, EngineError>> = per
        .into_par_iter()
        .map(|(creditor_id, allocations)| verification(creditor_id, allocations, config, date))
        .collect();
    built.into_iter().filter_map(Result::transpose).collect()
}

/// One creditor's verification, `None` when only fees were paid (nothing
/// for the creditor) or the creditor is not configured.
fn verification(
    creditor_id: &str,
    allocations: Vec<&Allocation>,
    config: &Config,
    date: NaiveDate,
) -> Result<Option<Verification>, EngineError> {
    let Some(creditor) = config.creditor(creditor_id) else { return Ok(None) };
    let acc = &creditor.accounts;
    let currency = match allocations.last() {
        Some(a) => a.currency,
        None => return Ok(None),
    };
    // Tonight's order within a claim; the ids' prefixes compared first
    // (`sort_prefix`), computed once.
    let mut keyed: Vec<(u128, usize, &Allocation)> =
        allocations.iter().enumerate().map(|(i, a)| (sort_prefix(&a.claim_id), i, *a)).collect();
    keyed.sort_unstable_by(|x, y| x.0.cmp(&y.0).then_with(|| x.2.claim_id.cmp(&y.2.claim_id)).then(x.1.cmp(&y.1)));
    let allocations: Vec<&Allocation> = keyed.into_iter().map(|k| k.2).collect();
    let mut postings = Vec::with_capacity(2 * allocations.len() + 1); // at most two per claim, and the total
    let mut total = Decimal::ZERO;
    for claim in allocations.chunk_by(|a, b| a.claim_id == b.claim_id) {
        let (first, invoice) = (claim[0], claim[0].invoice_number.as_str());
        let capital: Decimal = claim.iter().map(|a| a.principal).sum();
        let interest: Decimal = claim.iter().map(|a| a.interest).sum();
        for (amount, account, what) in
            [(capital, &acc.receivable, "kapital"), (interest, &acc.interest_income, "dröjsmålsränta")]
        {
            if !amount.is_zero() {
                postings.push(Posting {
                    account: account.as_str().into(),
                    amount: -amount,
                    text: format_compact!("Faktura {invoice} {what}"),
                    invoice_number: invoice.into(),
                    claim_id: first.claim_id.clone(),
                });
            }
        }
        total += capital + interest;
    }
    if total.is_zero() {
        return Ok(None);
    }
    postings.push(Posting {
        account: acc.clearing.as_str().into(),
        amount: total,
        text: format_compact!("Inkasso redovisning {date}"),
        invoice_number: CompactString::default(),
        claim_id: CompactString::default(),
    });
    Ok(Some(Verification::new(creditor_id, date, 1, &format!("Inkasso redovisning {date}"), currency, postings)?))
}
