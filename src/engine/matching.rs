//! Matching a payment to its claim.
//!
//! 1. The structured reference (`Strd/CdtrRefInf/Ref`): the agency's OCR
//!    number printed on its letters (valid Luhn check digit), else the
//!    creditor's invoice reference, compared exactly.
//! 2. The free text (`Ustrd`): each word (split at anything that is not a
//!    letter or digit) compared exactly with agency OCR numbers and invoice
//!    references.
//!
//! Exactly one claim must result; two or more is `ambiguous`, never a guess.

use std::collections::BTreeMap;

use crate::model::{BankTransaction, Claim};
use crate::rules::reference::se_ocr_valid;

/// Lookup tables over all claims (closed ones too: their payments are refunded).
pub struct Index<'a> {
    by_agency_ref: BTreeMap<&'a str, &'a str>,
    by_invoice_ref: BTreeMap<&'a str, Vec<&'a str>>,
}

/// The outcome of matching one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Found: the claim id and the step that found it.
    Claim { claim_id: String, method: &'static str },
    /// Not found: a reason a person can act on.
    None(String),
}

impl<'a> Index<'a> {
    pub fn new<I: IntoIterator<Item = &'a Claim>>(claims: I) -> Index<'a> {
        let mut by_agency_ref = BTreeMap::new();
        let mut by_invoice_ref: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in claims {
            by_agency_ref.insert(c.agency_reference.as_str(), c.claim_id.as_str());
            if !c.invoice_reference.is_empty() {
                by_invoice_ref.entry(c.invoice_reference.as_str()).or_default().push(c.claim_id.as_str());
            }
        }
        Index { by_agency_ref, by_invoice_ref }
    }

    fn lookup(&self, token: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        if se_ocr_valid(token) {
            if let Some(id) = self.by_agency_ref.get(token) {
                out.push(*id);
            }
        }
        if let Some(ids) = self.by_invoice_ref.get(token) {
            out.extend(ids.iter().copied());
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Finds the claim a payment pays.
    pub fn find(&self, p: &BankTransaction) -> Match {
        if !p.structured_ref.is_empty() {
            match self.lookup(&p.structured_ref).as_slice() {
                [one] => {
                    let method = if self.by_agency_ref.contains_key(p.structured_ref.as_str()) {
                        "agency_ocr"
                    } else {
                        "invoice_reference"
                    };
                    return Match::Claim { claim_id: (*one).to_string(), method };
                }
                [] => {}
                many => return Match::None(format!("ambiguous: {} claims", many.len())),
            }
        }
        let mut found: Vec<&str> = p
            .unstructured
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .flat_map(|t| self.lookup(t))
            .collect();
        found.sort_unstable();
        found.dedup();
        match found.as_slice() {
            [one] => Match::Claim { claim_id: (*one).to_string(), method: "reference_in_text" },
            [] if !p.structured_ref.is_empty() && !se_ocr_valid(&p.structured_ref) => {
                Match::None("no_candidate: structured reference has a bad check digit".into())
            }
            [] => Match::None("no_candidate".into()),
            many => Match::None(format!("ambiguous: {} claims", many.len())),
        }
    }
}
