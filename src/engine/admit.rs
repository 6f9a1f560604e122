//! Admission (DOMAIN.md Part A, "Admission"): which receivables rows become
//! claims tonight. Rules run in the documented order and the first that
//! fails is the recorded reason; rows failing rule 6 or 7 come back on later
//! nights while the creditor's export still lists them.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Months, NaiveDate};

use super::{event, Admitted, Packs, Refusal, State};
use crate::model::{Claim, Config, Event, InvoiceStatus, ReceivableRow, Stage};

/// Admitted claim ids and refused rows.
pub struct Admission {
    pub admitted: Admitted,
    pub refusals: Vec<Refusal>,
}

/// Runs admission over tonight's invoice rows (credit notes and rows of
/// existing claims are the creditor's news, see `news`).
pub fn admit(
    state: &mut State,
    rows: &[&ReceivableRow],
    config: &Config,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Admission {
    let mut admitted = Admitted::new();
    let mut refusals = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for row in rows.iter().filter(|r| !r.is_credit_note()) {
        let claim_id = format!("{}-{}", row.creditor_id, row.invoice_number);
        let first_tonight = seen.insert((row.creditor_id.clone(), row.invoice_number.clone()));
        if state.claims.contains_key(claim_id.as_str()) && !admitted.contains(&claim_id) {
            if !first_tonight {
                refusals.push(refusal(row, "duplicate", "the invoice appears twice in tonight's exports".into()));
            }
            continue; // the creditor's view of an existing claim: see `news`
        }
        match check(row, first_tonight, config, packs, date) {
            Err((reason, detail)) => refusals.push(refusal(row, reason, detail)),
            Ok(()) => {
                let pack = packs.get(&row.creditor_id).expect("invariant: check() found the creditor's pack");
                let claim_no = state.next_claim_no;
                state.next_claim_no += 1;
                let claim = Claim {
                    claim_id: claim_id.as_str().into(),
                    claim_no,
                    creditor_id: row.creditor_id.as_str().into(),
                    invoice_number: row.invoice_number.as_str().into(),
                    invoice_date: row.invoice_date,
                    due_date: row.due_date,
                    effective_due: pack.next_banking_day(row.due_date),
                    currency: row.currency,
                    invoice_reference: row.reference.as_str().into(),
                    agency_reference: pack.agency_reference(claim_no).into(),
                    debtor: Arc::new(row.debtor.clone()),
                    channel: row.channel,
                    description: row.description.as_str().into(),
                    reminded_by_creditor: row.reminded_by_creditor,
                    admitted_on: date,
                    principal_original: row.open_amount,
                    principal_changes: Default::default(),
                    interest_paid: Default::default(),
                    fees: Default::default(),
                    fees_paid: Default::default(),
                    letters: Default::default(),
                    stage: Stage::Reminder,
                    stage_since: date,
                    credit_notes: Default::default(),
                };
                events.push(event(
                    date,
                    &claim_id,
                    "admitted",
                    row.open_amount,
                    "admission",
                    format!("from {}; OCR {}", row.source, claim.agency_reference),
                ));
                state.claims.insert(claim_id.as_str().into(), std::sync::Arc::new(claim));
                admitted.insert(claim_id);
            }
        }
    }
    Admission { admitted, refusals }
}

fn refusal(row: &ReceivableRow, reason: &'static str, detail: String) -> Refusal {
    Refusal {
        source: row.source.clone(),
        creditor_id: row.creditor_id.as_str().into(),
        invoice_number: row.invoice_number.as_str().into(),
        reason,
        detail,
    }
}

/// The admission rules in order; `Err((reason, detail))` for the first that fails.
fn check(
    row: &ReceivableRow,
    first_tonight: bool,
    config: &Config,
    packs: &Packs,
    date: NaiveDate,
) -> Result<(), (&'static str, String)> {
    let (Some(creditor), Some(pack)) = (config.creditor(&row.creditor_id), packs.get(&row.creditor_id)) else {
        return Err(("unknown_creditor", format!("creditor {} is not in inkasso.toml", row.creditor_id)));
    };
    if row.currency != pack.currency() {
        return Err((
            "currency",
            format!("{} invoices must be in {}, not {}", pack.country(), pack.currency(), row.currency),
        ));
    }
    let policy = &creditor.policy;
    // 1. status
    if !matches!(row.status, InvoiceStatus::Sent | InvoiceStatus::PartiallyPaid) {
        return Err((
            "status",
            format!("status is {}; only sent or partially_paid are collected", row.status.as_str()),
        ));
    }
    // 2. other agency
    if row.other_agency {
        return Err(("other_agency", "another agency already handles the invoice".into()));
    }
    // 3. excluded debtor group
    if !row.debtor_group.is_empty() && policy.excluded_groups.iter().any(|g| g == &row.debtor_group) {
        return Err((
            "excluded_group",
            format!("debtor group {} is excluded by the creditor's policy", row.debtor_group),
        ));
    }
    // 4. address
    let d = &row.debtor;
    if d.address1.is_empty() || d.postcode.is_empty() || d.city.is_empty() {
        return Err((
            "missing_address",
            "debtor_address1, debtor_postcode and debtor_city are needed to send letters".into(),
        ));
    }
    // 5. age: D < invoice_date + N years
    let limit = row.invoice_date.checked_add_months(Months::new(12 * pack.admission_max_age_years()));
    if limit.is_none_or(|l| date >= l) {
        return Err((
            "too_old",
            format!(
                "invoice date {} is {} years or more before {date}",
                row.invoice_date,
                pack.admission_max_age_years()
            ),
        ));
    }
    // 6. minimum amount
    if row.open_amount < policy.min_amount {
        return Err((
            "below_min_amount",
            format!("open amount {} is below the policy's min_amount {}", row.open_amount, policy.min_amount),
        ));
    }
    // 7. days after the effective due date
    let earliest = pack.next_banking_day(row.due_date) + chrono::Duration::days(policy.days_after_due);
    if date < earliest {
        return Err((
            "not_yet_due",
            format!("can be taken over from {earliest} (effective due date + {} days)", policy.days_after_due),
        ));
    }
    // 8. duplicate within the night (an existing claim never reaches here)
    if !first_tonight {
        return Err(("duplicate", "the invoice appears twice in tonight's exports".into()));
    }
    Ok(())
}
