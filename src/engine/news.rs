//! The creditor's own news (DOMAIN.md Part A): each night's export is the
//! creditor's view of its invoices.
//!
//! - A lower `open_amount` than our principal outstanding, or status `paid`:
//!   the debtor paid the creditor directly. Principal drops by the
//!   difference (nothing to settle: the creditor has the money). At zero
//!   the claim closes as `paid_to_creditor`; interest and fees are written
//!   off unless the policy `continue_fees_after_direct_payment` says so.
//! - A credit note (`credited_invoice` set, negative amount) or status
//!   `credited`: principal drops by the credited amount; at zero the claim
//!   closes as `credited`, interest and fees written off. A credit note is
//!   applied once, keyed by creditor and credit-note number.
//! - Status `cancelled`: the creditor withdrew the invoice; collection stops.
//!
//! Changes take effect after tonight's interest: from day D + 1.
//!
//! Claims admitted tonight took `open_amount` as their principal, which
//! already reflects the creditor's credits and direct payments, so tonight's
//! news for them is recorded but changes nothing.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::{close, event, Admitted, EngineError, Packs, Refusal, State};
use crate::model::{Claim, ClosedReason, Config, Event, InvoiceStatus, PrincipalCause, PrincipalChange, ReceivableRow};

/// Applies credit notes first (so that an invoice row lowered by the same
/// credit is not taken for a direct payment), then invoice rows.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
pub fn apply(
    state: &mut State,
    rows: &[&ReceivableRow],
    admitted: &Admitted,
    config: &Config,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Vec<Refusal>, EngineError> {
    let mut refusals = Vec::new();
    for row in rows.iter().filter(|r| r.is_credit_note()) {
        let claim_id = format!("{}-{}", row.creditor_id, row.credited_invoice);
        let Some(claim) = state.claim_mut(&claim_id) else {
            refusals.push(Refusal {
                source: row.source.clone(),
                creditor_id: row.creditor_id.clone(),
                invoice_number: row.invoice_number.clone(),
                reason: "credit_note_without_claim",
                detail: format!("credits invoice {}, which is not in collection", row.credited_invoice),
            });
            continue;
        };
        if claim.credit_notes.contains(&row.invoice_number) {
            continue; // applied on an earlier night
        }
        claim.credit_notes.push(row.invoice_number.clone());
        if admitted.contains(&claim_id) || claim.stage.is_closed() {
            events.push(event(
                date,
                &claim_id,
                "credit_note_recorded",
                Decimal::ZERO,
                "se::creditor_news",
                format!(
                    "credit note {} ({}) recorded; the claim's principal already reflects it or the claim is closed",
                    row.invoice_number, row.amount
                ),
            ));
            continue;
        }
        let credited = (-row.amount).min(claim.principal_now());
        reduce(
            claim,
            credited,
            PrincipalCause::CreditNote,
            date,
            events,
            &format!("credit note {}", row.invoice_number),
        );
        if claim.principal_now().is_zero() {
            close(claim, ClosedReason::Credited, date, events);
        }
    }
    for row in rows.iter().filter(|r| !r.is_credit_note()) {
        let claim_id = format!("{}-{}", row.creditor_id, row.invoice_number);
        if admitted.contains(&claim_id) {
            continue;
        }
        // Only a claim the row changes is copied (`claim_mut`): most rows
        // repeat what the agency already knows.
        let Some(known) = state.claims.get(claim_id.as_str()) else { continue };
        let unchanged = match row.status {
            InvoiceStatus::Credited | InvoiceStatus::Cancelled => false,
            InvoiceStatus::Paid => known.principal_now() <= Decimal::ZERO,
            _ => known.principal_now() <= row.open_amount,
        };
        if known.stage.is_closed() || unchanged {
            continue;
        }
        let Some(claim) = state.claim_mut(&claim_id) else { continue };
        let continue_fees =
            config.creditor(&row.creditor_id).is_some_and(|c| c.policy.continue_fees_after_direct_payment);
        match row.status {
            InvoiceStatus::Credited => {
                let p = claim.principal_now();
                reduce(claim, p, PrincipalCause::CreditNote, date, events, "status credited");
                close(claim, ClosedReason::Credited, date, events);
            }
            InvoiceStatus::Cancelled => {
                close(claim, ClosedReason::Withdrawn, date, events);
            }
            status => {
                let open = if status == InvoiceStatus::Paid { Decimal::ZERO } else { row.open_amount };
                let drop = claim.principal_now() - open;
                if drop > Decimal::ZERO {
                    reduce(
                        claim,
                        drop,
                        PrincipalCause::DirectPayment,
                        date,
                        events,
                        &format!("open_amount {open} in {}", row.source),
                    );
                    if claim.principal_now().is_zero() {
                        let pack = packs.get(&claim.creditor_id).expect("invariant: admitted claims have a pack");
                        let rest = super::accrue::balance(claim, date, pack)?;
                        if !continue_fees || rest.is_zero() {
                            close(claim, ClosedReason::PaidToCreditor, date, events);
                        }
                    }
                }
            }
        }
    }
    Ok(refusals)
}

fn reduce(
    claim: &mut Claim,
    amount: Decimal,
    cause: PrincipalCause,
    date: NaiveDate,
    events: &mut Vec<Event>,
    why: &str,
) {
    if amount <= Decimal::ZERO {
        return;
    }
    claim.principal_changes.push(PrincipalChange { from: date + Duration::days(1), delta: -amount, cause });
    let kind = match cause {
        PrincipalCause::DirectPayment => "direct_payment",
        PrincipalCause::CreditNote => "credit_note",
        PrincipalCause::Payment => "payment",
    };
    events.push(event(date, &claim.claim_id, kind, -amount, "se::creditor_news", why.to_string()));
}
