//! The configuration as plain types (`inkasso.toml`; schema in
//! `schemas/inkasso.toml.md`). Reading the file is `store::config`'s job.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub agency: Agency,
    #[serde(rename = "creditor", default)]
    pub creditors: Vec<Creditor>,
    #[serde(default)]
    pub letters: LettersConfig,
    #[serde(default)]
    pub inbox: InboxConfig,
    /// Extra reference-rate periods per country, appended to the built-in table.
    #[serde(default)]
    pub rates: BTreeMap<String, Vec<RatePeriod>>,
}

/// The collection agency.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub name: String,
    pub org_no: String,
    pub country: String,
    pub bankgiro: String,
    pub iban: String,
    pub bic: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// A creditor (the agency's client).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Creditor {
    pub id: String,
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub payout_iban: String,
    #[serde(default = "default_journal_formats")]
    pub journal_formats: Vec<String>,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub accounts: Accounts,
}

fn default_journal_formats() -> Vec<String> {
    vec!["sie4".into(), "csv".into()]
}

/// The creditor's collection policy.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub days_after_due: i64,
    pub min_amount: Decimal,
    pub charge_reminder_fee: bool,
    pub reminder_to_collection_days: i64,
    pub approve_before_collection: bool,
    pub approve_before_legal: bool,
    pub excluded_groups: Vec<String>,
    pub continue_fees_after_direct_payment: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            days_after_due: 5,
            min_amount: Decimal::new(10000, 2),
            charge_reminder_fee: true,
            reminder_to_collection_days: 14,
            approve_before_collection: false,
            approve_before_legal: true,
            excluded_groups: Vec::new(),
            continue_fees_after_direct_payment: false,
        }
    }
}

/// The creditor's ledger accounts for the settlement journal (BAS defaults).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Accounts {
    pub receivable: String,
    pub clearing: String,
    pub interest_income: String,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts { receivable: "1510".into(), clearing: "1512".into(), interest_income: "8313".into() }
    }
}

/// `[inbox]`: when an uploaded file is complete.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxConfig {
    /// A file whose size or modification time changed less than this many
    /// seconds before the run waits for the next run (an upload may still be
    /// in progress). 0 turns the check off (uploads renamed from `.part`).
    pub settle_seconds: u64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig { settle_seconds: 60 }
    }
}

/// `[letters]`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LettersConfig {
    pub render_pdf: bool,
}

impl Default for LettersConfig {
    fn default() -> Self {
        LettersConfig { render_pdf: true }
    }
}

/// One reference-rate period: `reference_rate` (percent) applies from
/// `valid_from` until the next period.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RatePeriod {
    pub valid_from: NaiveDate,
    pub reference_rate: Decimal,
}

impl Config {
    pub fn creditor(&self, id: &str) -> Option<&Creditor> {
        self.creditors.iter().find(|c| c.id == id)
    }
}
