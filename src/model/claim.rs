//! A claim: one overdue invoice taken over for collection, and its debtor.

use compact_str::CompactString;
use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

use super::Currency;

/// Consumer or business: decides fees (lag 1981:739) and, elsewhere,
/// interest margins and allocation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtorKind {
    Consumer,
    Business,
}

/// How the debtor receives letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Paper,
    Email,
    Einvoice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Paper => "paper",
            Channel::Email => "email",
            Channel::Einvoice => "einvoice",
        }
    }
}

/// The debtor as the creditor's export names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debtor {
    pub id: CompactString,
    pub kind: DebtorKind,
    pub name: CompactString,
    pub address1: CompactString,
    pub address2: CompactString,
    pub postcode: CompactString,
    pub city: CompactString,
    pub country: CompactString,
    pub email: CompactString,
    pub language: CompactString,
}

/// Where a claim stands on the dunning ladder (DOMAIN.md Part A, "The ladder").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A reminder (betalningspåminnelse) has been sent.
    Reminder,
    /// Waiting for the creditor to approve the inkassokrav.
    AwaitingCollectionApproval,
    /// An inkassokrav has been sent.
    Collection,
    /// The inkassokrav expired unpaid; waiting for approval of legal steps.
    AwaitingLegalApproval,
    /// The creditor approved legal steps (taken by a later stage of the product).
    LegalApproved,
    /// No more letters: see `ClosedReason`.
    Closed(ClosedReason),
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reminder => "reminder",
            Stage::AwaitingCollectionApproval => "awaiting_collection_approval",
            Stage::Collection => "collection",
            Stage::AwaitingLegalApproval => "awaiting_legal_approval",
            Stage::LegalApproved => "legal_approved",
            Stage::Closed(r) => r.as_str(),
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "reminder" => Stage::Reminder,
            "awaiting_collection_approval" => Stage::AwaitingCollectionApproval,
            "collection" => Stage::Collection,
            "awaiting_legal_approval" => Stage::AwaitingLegalApproval,
            "legal_approved" => Stage::LegalApproved,
            "paid" => Stage::Closed(ClosedReason::Paid),
            "paid_to_creditor" => Stage::Closed(ClosedReason::PaidToCreditor),
            "credited" => Stage::Closed(ClosedReason::Credited),
            "withdrawn" => Stage::Closed(ClosedReason::Withdrawn),
            _ => return None,
        })
    }
    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Closed(_))
    }
    pub fn awaits_approval(self) -> bool {
        matches!(self, Stage::AwaitingCollectionApproval | Stage::AwaitingLegalApproval)
    }
}

/// Why a claim was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    /// Fully paid to the agency.
    Paid,
    /// The debtor paid the creditor directly (the creditor's export says so).
    PaidToCreditor,
    /// Credited in full by credit notes.
    Credited,
    /// The creditor rejected a step in `approvals.csv`: collection stops.
    Withdrawn,
}

impl ClosedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedReason::Paid => "paid",
            ClosedReason::PaidToCreditor => "paid_to_creditor",
            ClosedReason::Credited => "credited",
            ClosedReason::Withdrawn => "withdrawn",
        }
    }
}

/// Why the principal changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalCause {
    /// Capital part of a payment to the agency.
    Payment,
    /// Paid directly to the creditor (lower `open_amount` or status `paid`).
    DirectPayment,
    /// A credit note.
    CreditNote,
}

/// A change of principal: `delta` (negative = decrease) applies from the
/// start of day `from` onward. Interest for a day is on the principal as it
/// stood at the start of that day, so a payment booked on day b changes the
/// principal from b + 1 (DOMAIN.md Part A, "Order of a night").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalChange {
    pub from: NaiveDate,
    pub delta: Decimal,
    pub cause: PrincipalCause,
}

/// The fees of lag (1981:739) om ersättning för inkassokostnader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// Påminnelseavgift (2 §), only where agreed.
    Reminder,
    /// Inkassoavgift (3 §), with the inkassokrav.
    Collection,
    /// Förseningsersättning (4 a §), business debtors.
    LateCompensation,
}

impl FeeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeKind::Reminder => "reminder_fee",
            FeeKind::Collection => "collection_fee",
            FeeKind::LateCompensation => "late_payment_compensation",
        }
    }
    pub fn label_sv(self) -> &'static str {
        match self {
            FeeKind::Reminder => "Påminnelseavgift",
            FeeKind::Collection => "Inkassoavgift",
            FeeKind::LateCompensation => "Förseningsersättning",
        }
    }
}

/// A fee charged on a claim, with the rule that charged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub kind: FeeKind,
    pub amount: Decimal,
    pub date: NaiveDate,
    pub rule: Cow<'static, str>,
}

/// Letter kinds of the ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// Betalningspåminnelse.
    Reminder,
    /// Inkassokrav (inkassolagen 5 §).
    Collection,
}

impl LetterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Reminder => "reminder",
            LetterKind::Collection => "collection",
        }
    }
}

/// A letter sent on a claim (the state keeps the ladder's history).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentLetter {
    pub kind: LetterKind,
    pub date: NaiveDate,
    pub pay_by: NaiveDate,
    pub amount_due: Decimal,
}

/// One claim in collection. Amounts are in `currency`; the principal is
/// `principal_original` plus the `principal_changes` deltas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// `<creditor_id>-<invoice_number>`.
    pub claim_id: CompactString,
    /// Sequence number given at admission; the agency's OCR reference is
    /// derived from it.
    pub claim_no: u64,
    pub creditor_id: CompactString,
    pub invoice_number: CompactString,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Due date moved to the next banking day; interest runs from the day after.
    pub effective_due: NaiveDate,
    pub currency: Currency,
    /// The payment reference printed on the creditor's invoice.
    pub invoice_reference: CompactString,
    /// The agency's OCR reference printed on its letters.
    pub agency_reference: CompactString,
    /// Shared: a claim copied on write keeps the same debtor.
    #[serde(with = "super::shared")]
    pub debtor: Arc<Debtor>,
    pub channel: Channel,
    pub description: CompactString,
    pub reminded_by_creditor: bool,
    pub admitted_on: NaiveDate,
    pub principal_original: Decimal,
    pub principal_changes: ThinVec<PrincipalChange>,
    /// Rounded interest already received.
    pub interest_paid: Decimal,
    pub fees: ThinVec<Fee>,
    pub fees_paid: Decimal,
    pub letters: ThinVec<SentLetter>,
    pub stage: Stage,
    pub stage_since: NaiveDate,
    /// Credit-note numbers already applied (each applied once).
    pub credit_notes: ThinVec<String>,
}

impl Claim {
    /// Principal outstanding at the start of day `d`.
    pub fn principal_at(&self, d: NaiveDate) -> Decimal {
        self.principal_original
            + self.principal_changes.iter().filter(|c| c.from <= d).map(|c| c.delta).sum::<Decimal>()
    }

    /// Principal after every recorded change.
    pub fn principal_now(&self) -> Decimal {
        self.principal_original + self.principal_changes.iter().map(|c| c.delta).sum::<Decimal>()
    }

    pub fn fees_charged(&self) -> Decimal {
        self.fees.iter().map(|f| f.amount).sum()
    }

    pub fn fees_outstanding(&self) -> Decimal {
        self.fees_charged() - self.fees_paid
    }

    pub fn has_fee(&self, kind: FeeKind) -> bool {
        self.fees.iter().any(|f| f.kind == kind)
    }

    pub fn last_letter(&self, kind: LetterKind) -> Option<&SentLetter> {
        self.letters.iter().rev().find(|l| l.kind == kind)
    }
}
