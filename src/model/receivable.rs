//! One row of a creditor's receivables export, and other staff inputs.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Channel, Currency, Debtor, Source};

/// Invoice status in the creditor's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Sent,
    PartiallyPaid,
    Paid,
    Credited,
    Financed,
    Cancelled,
}

impl InvoiceStatus {
    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        Some(match s {
            "sent" => InvoiceStatus::Sent,
            "partially_paid" => InvoiceStatus::PartiallyPaid,
            "paid" => InvoiceStatus::Paid,
            "credited" => InvoiceStatus::Credited,
            "financed" => InvoiceStatus::Financed,
            "cancelled" => InvoiceStatus::Cancelled,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Sent => "sent",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Credited => "credited",
            InvoiceStatus::Financed => "financed",
            InvoiceStatus::Cancelled => "cancelled",
        }
    }
}

/// A parsed, well-formed receivables row (invoice or credit note).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivableRow {
    pub source: Source,
    pub creditor_id: String,
    pub invoice_number: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Currency,
    /// Gross amount; negative for a credit note.
    pub amount: Decimal,
    /// Unpaid now.
    pub open_amount: Decimal,
    pub status: InvoiceStatus,
    pub reference: String,
    pub debtor: Debtor,
    pub debtor_group: String,
    pub channel: Channel,
    pub reminded_by_creditor: bool,
    pub other_agency: bool,
    /// Credit notes: the invoice they credit (empty for invoices).
    pub credited_invoice: String,
    pub description: String,
}

impl ReceivableRow {
    pub fn is_credit_note(&self) -> bool {
        !self.credited_invoice.is_empty()
    }
}

/// A step the creditor must approve before the claim goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStep {
    Collection,
    Legal,
}

impl ApprovalStep {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStep::Collection => "collection",
            ApprovalStep::Legal => "legal",
        }
    }
}

/// One row of `matches.csv`: finance staff assign a payment to a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualMatch {
    pub source: Source,
    pub payment_id: String,
    pub claim_id: String,
}

/// One row of `approvals.csv`: `claim_id,step,decision`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub source: Source,
    pub claim_id: String,
    pub step: ApprovalStep,
    pub approve: bool,
}
