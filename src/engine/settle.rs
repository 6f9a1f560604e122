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
use rust_decimal::Decimal;

use super::{Allocation, EngineError};
use crate::model::{Config, Posting, Verification};

/// Builds the creditors' verifications from tonight's allocations, in
/// creditor-id order; postings in claim-id order.
///
/// # Errors
/// `EngineError::Unbalanced` if a verification would not balance (a bug).
pub fn settle(allocations: &[Allocation], config: &Config, date: NaiveDate) -> Result<Vec<Verification>, EngineError> {
    // creditor -> claim -> (invoice, capital, interest)
    let mut per: BTreeMap<&str, BTreeMap<&str, (&str, Decimal, Decimal)>> = BTreeMap::new();
    let mut currency = BTreeMap::new();
    for a in allocations {
        let e = per.entry(a.creditor_id.as_str()).or_default().entry(a.claim_id.as_str()).or_insert((
            a.invoice_number.as_str(),
            Decimal::ZERO,
            Decimal::ZERO,
        ));
        e.1 += a.principal;
        e.2 += a.interest;
        currency.insert(a.creditor_id.as_str(), a.currency);
    }
    let mut out = Vec::new();
    for (creditor_id, claims) in per {
        let Some(creditor) = config.creditor(creditor_id) else { continue };
        let acc = &creditor.accounts;
        let mut postings = Vec::new();
        let mut total = Decimal::ZERO;
        for (claim_id, (invoice, capital, interest)) in &claims {
            if !capital.is_zero() {
                postings.push(Posting {
                    account: acc.receivable.clone(),
                    amount: -*capital,
                    text: format!("Faktura {invoice} kapital"),
                    invoice_number: invoice.to_string(),
                    claim_id: claim_id.to_string(),
                });
            }
            if !interest.is_zero() {
                postings.push(Posting {
                    account: acc.interest_income.clone(),
                    amount: -*interest,
                    text: format!("Faktura {invoice} dröjsmålsränta"),
                    invoice_number: invoice.to_string(),
                    claim_id: claim_id.to_string(),
                });
            }
            total += *capital + *interest;
        }
        if total.is_zero() {
            continue; // only fees were paid: nothing for the creditor
        }
        postings.push(Posting {
            account: acc.clearing.clone(),
            amount: total,
            text: format!("Inkasso redovisning {date}"),
            invoice_number: String::new(),
            claim_id: String::new(),
        });
        let cur = currency[creditor_id];
        out.push(Verification::new(creditor_id, date, 1, &format!("Inkasso redovisning {date}"), cur, postings)?);
    }
    Ok(out)
}
