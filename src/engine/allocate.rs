//! Booking tonight's bank transactions: each transaction once (by its
//! idempotency key), matched to a claim and allocated fees first, then
//! interest due at the payment's booking date, then principal (DOMAIN.md
//! Part A, "Allocation"; the order comes from the rule pack). What exceeds
//! the total due is an overpayment and goes to `refunds.csv`; a payment to a
//! closed claim is refunded whole; an unmatched one goes to suspense.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::accrue::interest_due;
use super::matching::{Index, Match};
use super::news::close;
use super::{event, Allocation, BookedPayment, EngineError, Packs, Refund, State, SuspenseItem};
use crate::model::{BankTransaction, Claim, ClosedReason, Direction, Event, PrincipalCause, PrincipalChange};
use crate::rules::{Part, RulePack};

/// What tonight's payments became.
#[derive(Default)]
pub struct Booked {
    pub allocations: Vec<Allocation>,
    pub suspense: Vec<SuspenseItem>,
    pub refunds: Vec<Refund>,
    pub duplicates: Vec<BankTransaction>,
    pub debits: Vec<BankTransaction>,
}

/// Books tonight's transactions in (booking date, file, line) order.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
pub fn book_payments(
    state: &mut State,
    transactions: &[BankTransaction],
    packs: &Packs,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Booked, EngineError> {
    let mut txs: Vec<&BankTransaction> = transactions.iter().collect();
    txs.sort_by(|a, b| (a.booking_date, &a.source, &a.key).cmp(&(b.booking_date, &b.source, &b.key)));
    let mut out = Booked::default();
    // Match against the claims as they stand before tonight's payments: the
    // index borrows nothing from `state` so that allocation can mutate it.
    let claims_snapshot: Vec<Claim> = state.claims.values().cloned().collect();
    let index = Index::new(claims_snapshot.iter());
    for tx in txs {
        if state.payments.contains_key(&tx.key) {
            out.duplicates.push(tx.clone());
            continue;
        }
        if tx.direction == Direction::Debit {
            out.debits.push(tx.clone());
            continue;
        }
        let mut booked = BookedPayment {
            payment_id: tx.payment_id.clone(),
            key: tx.key.clone(),
            booked_on: date,
            booking_date: tx.booking_date,
            amount: tx.amount.amount(),
            currency: tx.amount.currency(),
            outcome: String::new(),
            claim_id: String::new(),
        };
        match index.find(tx) {
            Match::None(reason) => {
                booked.outcome = "suspense".into();
                out.suspense.push(SuspenseItem { payment: tx.clone(), reason });
            }
            Match::Claim { claim_id, method } => {
                booked.claim_id = claim_id.clone();
                let claim = state.claims.get_mut(&claim_id).expect("invariant: the index holds only existing claims");
                if claim.currency != tx.amount.currency() {
                    booked.outcome = "suspense".into();
                    out.suspense.push(SuspenseItem {
                        payment: tx.clone(),
                        reason: format!("currency_mismatch: claim {claim_id} is in {}", claim.currency),
                    });
                } else if claim.stage.is_closed() {
                    booked.outcome = "refund".into();
                    out.refunds.push(Refund {
                        payment: tx.clone(),
                        claim_id,
                        amount: tx.amount.amount(),
                        reason: "claim_closed",
                    });
                } else {
                    booked.outcome = "allocated".into();
                    let pack = packs.get(&claim.creditor_id).expect("invariant: admitted claims have a pack");
                    let alloc = allocate(claim, tx, method, pack, date, events)?;
                    let over = tx.amount.amount() - alloc.total();
                    if over > Decimal::ZERO {
                        out.refunds.push(Refund {
                            payment: tx.clone(),
                            claim_id: claim_id.clone(),
                            amount: over,
                            reason: "overpayment",
                        });
                    }
                    out.allocations.push(alloc);
                }
            }
        }
        state.payments.insert(tx.key.clone(), booked);
    }
    Ok(out)
}

/// Allocates one payment to `claim` at its booking date and updates the claim.
///
/// # Errors
/// Interest evaluation errors (missing reference rate).
pub fn allocate(
    claim: &mut Claim,
    tx: &BankTransaction,
    method: &'static str,
    pack: &dyn RulePack,
    date: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<Allocation, EngineError> {
    let b = tx.booking_date;
    let (interest_owed, _) = interest_due(claim, b, pack)?;
    let split = split(
        tx.amount.amount(),
        claim.fees_outstanding(),
        interest_owed,
        claim.principal_now(),
        pack.allocation_order(claim.debtor.kind),
    );
    claim.fees_paid += split.fees;
    claim.interest_paid += split.interest;
    if split.principal > Decimal::ZERO {
        // Interest for day b is on the principal at the start of b.
        claim.principal_changes.push(PrincipalChange {
            from: b + Duration::days(1),
            delta: -split.principal,
            cause: PrincipalCause::Payment,
        });
    }
    let mut e = event(
        date,
        &claim.claim_id,
        "allocation",
        split.fees + split.interest + split.principal,
        "allocation: fees, interest, principal",
        format!(
            "{} booked {b} via {method}: fees {} interest {} principal {}",
            tx.payment_id, split.fees, split.interest, split.principal
        ),
    );
    e.payment_id = tx.payment_id.clone();
    events.push(e);
    let (interest_left, _) = interest_due(claim, b.max(date), pack)?;
    if claim.principal_now().is_zero() && claim.fees_outstanding().is_zero() && interest_left.is_zero() {
        close(claim, ClosedReason::Paid, date, events);
    }
    Ok(Allocation {
        payment_id: tx.payment_id.clone(),
        claim_id: claim.claim_id.clone(),
        creditor_id: claim.creditor_id.clone(),
        invoice_number: claim.invoice_number.clone(),
        booking_date: b,
        currency: claim.currency,
        fees: split.fees,
        interest: split.interest,
        principal: split.principal,
        method,
    })
}

/// A payment split over fees, interest and principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub fees: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

/// Splits `amount` over the parts in `order`, each part taking at most what
/// is owed on it. `amount - (fees + interest + principal)` is the overpayment.
pub fn split(amount: Decimal, fees: Decimal, interest: Decimal, principal: Decimal, order: [Part; 3]) -> Split {
    let mut left = amount.max(Decimal::ZERO);
    let mut s = Split { fees: Decimal::ZERO, interest: Decimal::ZERO, principal: Decimal::ZERO };
    for part in order {
        let (owed, slot) = match part {
            Part::Fees => (fees, &mut s.fees),
            Part::Interest => (interest, &mut s.interest),
            Part::Principal => (principal, &mut s.principal),
        };
        let take = left.min(owed.max(Decimal::ZERO));
        *slot = take;
        left -= take;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const ORDER: [Part; 3] = [Part::Fees, Part::Interest, Part::Principal];

    #[test]
    fn fees_then_interest_then_principal() {
        let s = split(dec!(300), dec!(240), dec!(36.16), dec!(10000), ORDER);
        assert_eq!(s, Split { fees: dec!(240), interest: dec!(36.16), principal: dec!(23.84) });
        let s = split(dec!(100), dec!(240), dec!(36.16), dec!(10000), ORDER);
        assert_eq!(s, Split { fees: dec!(100), interest: dec!(0), principal: dec!(0) });
        let s = split(dec!(20000), dec!(0), dec!(5), dec!(10000), ORDER);
        assert_eq!(s.principal, dec!(10000));
        assert_eq!(dec!(20000) - s.fees - s.interest - s.principal, dec!(9995));
    }

    proptest::proptest! {
        #[test]
        fn allocation_never_loses_or_invents_an_ore(
            amount in 0i64..10_000_000, fees in 0i64..100_000, interest in 0i64..1_000_000, principal in 0i64..10_000_000,
        ) {
            let d = |x: i64| Decimal::new(x, 2);
            let s = split(d(amount), d(fees), d(interest), d(principal), ORDER);
            let over = d(amount) - s.fees - s.interest - s.principal;
            proptest::prop_assert!(over >= Decimal::ZERO);
            proptest::prop_assert!(s.fees <= d(fees) && s.interest <= d(interest) && s.principal <= d(principal));
            proptest::prop_assert_eq!(s.fees + s.interest + s.principal + over, d(amount));
            // Nothing is refunded while anything is still owed.
            if over > Decimal::ZERO {
                proptest::prop_assert_eq!((s.fees, s.interest, s.principal), (d(fees), d(interest), d(principal)));
            }
        }
    }
}
