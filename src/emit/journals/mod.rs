//! Settlement journals: SIE 4 (type 4I import file) and CSV.
//!
//! The engine books each creditor's day as balanced [`Verification`]s
//! (positive amount = debit, negative = credit). This module only writes
//! them out; it never decides what is booked.
//!
//! * [`sie4::write`]: a SIE 4I file ("importfil", `#SIETYP 4`) in CP437
//!   (`#FORMAT PC8`) with CR LF line ends, for import into Fortnox, Visma
//!   and other Swedish ledgers. See the `sie4` module docs for every
//!   choice made against the SIE 4B specification.
//! * [`csv::write`]: the same postings as a UTF-8 CSV, one row per posting.
//!
//! Both writers are pure and deterministic: the same input gives the same
//! bytes.
//!
//! [`Verification`]: crate::model::Verification

pub mod csv;
pub mod sie4;

use chrono::NaiveDate;

use crate::model::Currency;

/// Who the journal belongs to (the creditor's company in SIE
/// `#FNAMN`/`#ORGNR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalHeader {
    /// Swedish organisation number, with or without the hyphen
    /// (`5561234567` or `556123-4567`).
    pub org_no: String,
    pub company_name: String,
    /// Program name and version separated by the last space, e.g.
    /// `"inkasso 0.1.0"`; written as `#PROGRAM "inkasso" "0.1.0"`.
    pub program: String,
    /// The date the file was generated (`#GEN`).
    pub generated: NaiveDate,
    /// The ledger's reporting currency (`#VALUTA`). Every verification
    /// written must be in this currency.
    pub currency: Currency,
}
