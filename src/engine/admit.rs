//! Admission (DOMAIN.md Part A, "Admission"): which receivables rows become
//! claims tonight. Rules run in the documented order and the first that
//! fails is the recorded reason; rows failing rule 6 or 7 come back on later
//! nights while the creditor's export still lists them.

use std::sync::Arc;

use chrono::{Months, NaiveDate};
use compact_str::CompactString;

use super::{add_to_map, event, Admitted, FastSet, Packs, Refusal, State};
use crate::model::{Claim, Config, Event, InvoiceStatus, ReceivableRow, Stage};

/// Admitted claim ids and refused rows.
pub struct Admission {
    pub admitted: Admitted,
    pub refusals: Vec<Refusal>,
}

/// What admission decides about a row without the night's order.
enum Judged {
    /// The claim existed before tonight: the row is the creditor's news.
    Existing,
    /// A rule before the duplicate rule refused it.
    Refused(&'static str, String),
    /// The claim it becomes if it is the invoice's first row tonight (its
    /// `claim_no` and agency reference are given in row order).
    Admissible(Arc<Claim>),
}

/// Runs admission over tonight's invoice rows (credit notes and rows of
/// existing claims are the creditor's news, see `news`).
///
/// Each row is judged and its claim built in parallel; only what follows
/// the rows' order (the first row of an invoice, the claim numbers) is
/// decided one row after another.
pub fn admit(
    state: &mut State,
    rows: &[&ReceivableRow],
    config: &Config,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Admission {
    use rayon::prelude::*;
    let invoices: Vec<&ReceivableRow> = rows.iter().copied().filter(|r| !r.is_credit_note()).collect();
    let judged: Vec<Judged> = invoices
        .par_iter()
        .map(|row| {
            let claim_id = format!("{}-{}", row.creditor_id, row.invoice_number);
            if state.claims.contains_key(claim_id.as_str()) {
                return Judged::Existing;
            }
            match check(row, config, packs, date) {
                Err((reason, detail)) => Judged::Refused(reason, detail),
                Ok(()) => Judged::Admissible(Arc::new(new_claim(row, claim_id, packs, date))),
            }
        })
        .collect();

    let mut refusals = Vec::new();
    let mut seen: FastSet<(&str, &str)> = FastSet::default();
    let mut admitted_rows: Vec<(&ReceivableRow, Arc<Claim>)> = Vec::new();
    for (row, judged) in invoices.iter().zip(judged) {
        let first_tonight = seen.insert((row.creditor_id.as_str(), row.invoice_number.as_str()));
        match judged {
            Judged::Refused(reason, detail) => refusals.push(refusal(row, reason, detail)),
            // Rule 8, the last: a second row of an invoice tonight is a
            // duplicate, whatever became of the first.
            _ if !first_tonight => refusals.push(refusal(row, "duplicate", DUPLICATE.into())),
            Judged::Existing => {} // the creditor's view of an existing claim: see `news`
            Judged::Admissible(mut claim) => {
                Arc::get_mut(&mut claim).expect("invariant: a claim built tonight is not shared").claim_no =
                    state.next_claim_no;
                state.next_claim_no += 1;
                admitted_rows.push((row, claim));
            }
        }
    }

    // The agency references (from the claim numbers) and the events, in
    // parallel, in row order.
    let admitted_events: Vec<Event> = admitted_rows
        .par_iter_mut()
        .map(|(row, claim)| {
            let pack = packs.get(&row.creditor_id).expect("invariant: check() found the creditor's pack");
            let claim = Arc::get_mut(claim).expect("invariant: a claim built tonight is not shared");
            claim.agency_reference = pack.agency_reference(claim.claim_no).into();
            let detail = format!("from {}; OCR {}", row.source, claim.agency_reference);
            event(date, &claim.claim_id, "admitted", row.open_amount, "admission", detail)
        })
        .collect();
    events.extend(admitted_events);
    let admitted: Admitted = admitted_rows.iter().map(|(_, c)| c.claim_id.to_string()).collect();
    let new_claims: Vec<(CompactString, Arc<Claim>)> =
        admitted_rows.into_iter().map(|(_, c)| (c.claim_id.clone(), c)).collect();
    add_to_map(&mut state.claims, new_claims);
    Admission { admitted, refusals }
}

/// Refusal detail of rule 8.
const DUPLICATE: &str = "the invoice appears twice in tonight's exports";

/// The claim an admissible row becomes; `claim_no` and the agency
/// reference are set once the rows' order has given the number.
fn new_claim(row: &ReceivableRow, claim_id: String, packs: &Packs, date: NaiveDate) -> Claim {
    let pack = packs.get(&row.creditor_id).expect("invariant: check() found the creditor's pack");
    Claim {
        claim_id: claim_id.into(),
        claim_no: 0,
        creditor_id: row.creditor_id.as_str().into(),
        invoice_number: row.invoice_number.as_str().into(),
        invoice_date: row.invoice_date,
        due_date: row.due_date,
        effective_due: pack.next_banking_day(row.due_date),
        currency: row.currency,
        invoice_reference: row.reference.as_str().into(),
        agency_reference: CompactString::default(),
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
    }
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

/// Admission rules 1-7 in order (rule 8, a duplicate row tonight, follows
/// the rows' order: `admit`); `Err((reason, detail))` for the first that
/// fails.
fn check(row: &ReceivableRow, config: &Config, packs: &Packs, date: NaiveDate) -> Result<(), (&'static str, String)> {
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
    Ok(())
}
