//! `approvals.csv`: the creditor releases (or stops) claims waiting for an
//! approval (DOMAIN.md Part A, "The ladder", steps 2 and 3).
//!
//! `collection` + `approve`: the inkassokrav goes out tonight (see
//! `advance`). `legal` + `approve`: the claim is cleared for legal steps.
//! `reject` (either step): collection stops; the claim closes as
//! `withdrawn`. An approval for a claim that is not waiting for that step
//! changes nothing and is logged as `approval_ignored` with the reason.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{close, event, State};
use crate::model::{Approval, ApprovalStep, ClosedReason, Event, Stage};

/// Applies approvals in (file, line) order; returns the claims approved for
/// the inkassokrav tonight.
pub fn apply(state: &mut State, approvals: &[Approval], date: NaiveDate, events: &mut Vec<Event>) -> BTreeSet<String> {
    let mut sorted: Vec<&Approval> = approvals.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    let mut approved = BTreeSet::new();
    for a in sorted {
        let Some(claim) = state.claim_mut(&a.claim_id) else {
            events.push(event(
                date,
                &a.claim_id,
                "approval_ignored",
                Decimal::ZERO,
                "approvals",
                format!("{}: no such claim", a.source),
            ));
            continue;
        };
        let waiting = matches!(
            (a.step, claim.stage),
            (ApprovalStep::Collection, Stage::AwaitingCollectionApproval)
                | (ApprovalStep::Legal, Stage::AwaitingLegalApproval)
        );
        if !waiting {
            events.push(event(
                date,
                &a.claim_id,
                "approval_ignored",
                Decimal::ZERO,
                "approvals",
                format!("{}: {} approval, but the claim is {}", a.source, a.step.as_str(), claim.stage.as_str()),
            ));
            continue;
        }
        let decision = if a.approve { "approve" } else { "reject" };
        events.push(event(
            date,
            &a.claim_id,
            "approval",
            Decimal::ZERO,
            "approvals",
            format!("{} {decision} ({})", a.step.as_str(), a.source),
        ));
        match (a.step, a.approve) {
            (_, false) => close(claim, ClosedReason::Withdrawn, date, events),
            (ApprovalStep::Collection, true) => {
                approved.insert(a.claim_id.clone());
            }
            (ApprovalStep::Legal, true) => {
                claim.stage = Stage::LegalApproved;
                claim.stage_since = date;
            }
        }
    }
    approved
}
