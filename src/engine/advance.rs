//! The dunning ladder (DOMAIN.md Part A, "The ladder").
//!
//! 1. On admission: a reminder, pay-by = letter date + 10 days moved to a
//!    banking day; straight to step 2 when `reminded_by_creditor`.
//! 2. A reminder unpaid `reminder_to_collection_days` after its date: an
//!    inkassokrav (kind `collection`), or, with `approve_before_collection`,
//!    a wait for approval; the inkassokrav goes out the night it arrives.
//! 3. An inkassokrav whose pay-by + 14 days has passed unpaid: wait for
//!    legal approval (`approve_before_legal`, the default), listed in
//!    `awaiting_approval.csv`; without that policy the claim is cleared for
//!    legal steps directly. Legal steps themselves come in a later issue.
//!
//! Steps compare dates, so a night after a gap catches up: each claim takes
//! at most one step a night, and the letter's figures are as of that night.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::accrue::{balance, interest_due};
use super::{close, event, Admitted, Awaiting, EngineError, Packs, State};
use crate::model::{
    Claim, ClosedReason, Config, Creditor, Event, Fee, FeeKind, FeeLine, Letter, LetterKind, Rounding, Sender,
    SentLetter, Stage,
};
use crate::rules::RulePack;

/// Days after an inkassokrav's pay-by date before legal steps (DOMAIN.md).
pub const LEGAL_AFTER_PAY_BY_DAYS: i64 = 14;

/// Tonight's letters and the claims waiting for approval.
pub struct Ladder {
    pub letters: Vec<Letter>,
    pub awaiting: Vec<Awaiting>,
}

/// What one claim's step produced: its letter, if any, and its events.
type Stepped = (Option<Letter>, Vec<Event>);

/// Moves every open claim one step if its time has come, in claim-id order.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
pub fn advance(
    state: &mut State,
    admitted: &Admitted,
    approved: &BTreeSet<String>,
    config: &Config,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Ladder, EngineError> {
    // The sender block is the same on every letter of a creditor.
    let creditors: Creditors =
        config.creditors.iter().map(|c| (c.id.as_str(), (c, Arc::new(sender(config, c))))).collect();
    // Each open claim takes its step independently: in parallel, in claim
    // order; then the letters and events are gathered in that order.
    let mut open: Vec<&mut Arc<Claim>> = state.claims.values_mut().filter(|c| !c.stage.is_closed()).collect();
    // Only the claims that moved are kept: most of a million claims wait.
    let stepped: Vec<Result<Stepped, EngineError>> = open
        .par_iter_mut()
        .filter_map(|claim| {
            let mut claim_events = Vec::new();
            match step_claim(claim, admitted, approved, &creditors, packs, date, &mut claim_events) {
                Ok(None) if claim_events.is_empty() => None,
                Ok(letter) => Some(Ok((letter, claim_events))),
                Err(e) => Some(Err(e)),
            }
        })
        .collect();
    let moved = stepped.iter().flatten();
    events.reserve(moved.clone().map(|(_, e)| e.len()).sum());
    let mut letters = Vec::with_capacity(moved.filter(|(l, _)| l.is_some()).count());
    for result in stepped {
        let (letter, claim_events) = result?; // the first error in claim order
        letters.extend(letter);
        events.extend(claim_events);
    }
    let awaiting = state
        .claims
        .values()
        .filter_map(|c| {
            let step = match c.stage {
                Stage::AwaitingCollectionApproval => "collection",
                Stage::AwaitingLegalApproval => "legal",
                _ => return None,
            };
            Some(Awaiting {
                claim_id: c.claim_id.to_string(),
                creditor_id: c.creditor_id.to_string(),
                step,
                since: c.stage_since,
            })
        })
        .collect();
    Ok(Ladder { letters, awaiting })
}

/// The configured creditors and their sender blocks, by creditor id.
type Creditors<'a> = BTreeMap<&'a str, (&'a Creditor, Arc<Sender>)>;

/// The agency and creditor details printed on a creditor's letters.
fn sender(config: &Config, creditor: &Creditor) -> Sender {
    Sender {
        agency_name: config.agency.name.clone(),
        agency_org_no: config.agency.org_no.clone(),
        agency_address: config.agency.address.clone(),
        agency_phone: config.agency.phone.clone(),
        agency_email: config.agency.email.clone(),
        bankgiro: config.agency.bankgiro.clone(),
        iban: config.agency.iban.clone(),
        bic: config.agency.bic.clone(),
        creditor_name: creditor.name.clone(),
        creditor_org_no: creditor.id.clone(),
    }
}

/// One open claim's step tonight: closed when nothing is owed, else the
/// next rung of the ladder if its time has come; the letter sent, if any.
/// The claim is copied (copy on write) only when it changes.
fn step_claim(
    claim: &mut Arc<Claim>,
    admitted: &Admitted,
    approved: &BTreeSet<String>,
    creditors: &Creditors,
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Option<Letter>, EngineError> {
    let Some((creditor, sender)) = creditors.get(claim.creditor_id.as_str()) else { return Ok(None) };
    let pack = packs.get(&claim.creditor_id).expect("invariant: admitted claims have a pack");
    let policy = &creditor.policy;
    let owed = balance(claim, date, pack)?;
    if owed.is_zero() {
        close(Arc::make_mut(claim), ClosedReason::Paid, date, events);
        return Ok(None);
    }
    let step = if admitted.contains(claim.claim_id.as_str()) {
        if claim.reminded_by_creditor {
            Step::Collection
        } else {
            Step::Reminder
        }
    } else {
        match claim.stage {
            Stage::Reminder => {
                let since = claim.last_letter(LetterKind::Reminder).map_or(claim.stage_since, |l| l.date);
                if date >= since + Duration::days(policy.reminder_to_collection_days) {
                    Step::Collection
                } else {
                    Step::Stay
                }
            }
            Stage::AwaitingCollectionApproval if approved.contains(claim.claim_id.as_str()) => Step::ApprovedCollection,
            Stage::Collection => match claim.last_letter(LetterKind::Collection) {
                Some(l) if date > l.pay_by + Duration::days(LEGAL_AFTER_PAY_BY_DAYS) => Step::Legal,
                _ => Step::Stay,
            },
            _ => Step::Stay,
        }
    };
    let kind = match step {
        Step::Stay => return Ok(None),
        Step::Reminder => LetterKind::Reminder,
        Step::Collection if policy.approve_before_collection => {
            set_stage(Arc::make_mut(claim), Stage::AwaitingCollectionApproval, date, events);
            return Ok(None);
        }
        Step::Collection | Step::ApprovedCollection => LetterKind::Collection,
        Step::Legal => {
            let next = if policy.approve_before_legal { Stage::AwaitingLegalApproval } else { Stage::LegalApproved };
            set_stage(Arc::make_mut(claim), next, date, events);
            return Ok(None);
        }
    };
    send_letter(Arc::make_mut(claim), kind, sender, policy, pack, date, events).map(Some)
}

enum Step {
    Stay,
    Reminder,
    Collection,
    ApprovedCollection,
    Legal,
}

fn set_stage(claim: &mut Claim, stage: Stage, date: NaiveDate, events: &mut Vec<Event>) {
    claim.stage = stage;
    claim.stage_since = date;
    events.push(event(date, &claim.claim_id, "stage", Decimal::ZERO, "ladder", stage.as_str().to_string()));
}

/// Charges the letter's fees, records it on the claim and builds the letter
/// with its figures as of `date`.
fn send_letter(
    claim: &mut Claim,
    kind: LetterKind,
    sender: &Arc<Sender>,
    policy: &crate::model::Policy,
    pack: &dyn RulePack,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Letter, EngineError> {
    let charged: Vec<FeeKind> = claim.fees.iter().map(|f| f.kind).collect();
    for fee in pack.fees_for_letter(kind, claim.debtor.kind, policy, &charged) {
        events.push(event(date, &claim.claim_id, "fee", fee.amount, fee.rule, fee.kind.as_str().to_string()));
        claim.fees.push(Fee { kind: fee.kind, amount: fee.amount, date, rule: fee.rule.into() });
    }
    let (interest, segments) = interest_due(claim, date, pack)?;
    let principal = claim.principal_now();
    let fees = claim.fees_outstanding();
    let amount_due = principal + interest + fees;
    let pay_by = pack.pay_by(kind, date);
    let stage = match kind {
        LetterKind::Reminder => Stage::Reminder,
        LetterKind::Collection => Stage::Collection,
    };
    claim.stage = stage;
    claim.stage_since = date;
    claim.letters.push(SentLetter { kind, date, pay_by, amount_due });
    events.push(event(
        date,
        &claim.claim_id,
        "letter",
        amount_due,
        "ladder",
        format!("{} pay by {pay_by}", kind.as_str()),
    ));
    let paid_so_far = claim.fees_paid
        + claim.interest_paid
        + claim
            .principal_changes
            .iter()
            .filter(|c| c.cause == crate::model::PrincipalCause::Payment)
            .map(|c| -c.delta)
            .sum::<Decimal>();
    Ok(Letter {
        letter_id: format!("{date}-{}-{}", claim.claim_id, kind.as_str()),
        claim_id: claim.claim_id.to_string(),
        creditor_id: claim.creditor_id.to_string(),
        invoice_number: claim.invoice_number.to_string(),
        invoice_date: claim.invoice_date,
        due_date: claim.due_date,
        description: claim.description.to_string(),
        debtor: claim.debtor.clone(),
        kind,
        language: if claim.debtor.language.is_empty() { "sv".into() } else { claim.debtor.language.to_string() },
        channel: claim.channel,
        currency: claim.currency,
        date,
        pay_by,
        principal,
        original_principal: claim.principal_original,
        paid_so_far,
        interest: Rounding::InterestToOre.apply(interest),
        interest_lines: segments.iter().map(|s| s.to_line()).collect(),
        fees,
        fee_lines: claim.fees.iter().map(|f| FeeLine { kind: f.kind, amount: f.amount }).collect(),
        amount_due,
        reference: claim.agency_reference.to_string(),
        sender: sender.clone(),
        file: String::new(),
        page: 0,
    })
}
