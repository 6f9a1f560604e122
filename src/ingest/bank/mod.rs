//! Bank files -> `BankTransaction`s. One reader per format.

pub mod bgmax;
pub mod camt;
pub mod mt940;
pub mod nets_ocr;

use crate::model::{BankTransaction, Currency};
use rust_decimal::Decimal;

/// A statement (camt `Stmt`) with its control figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub account: String,
    pub currency: Option<Currency>,
    /// Opening booked balance (`OPBD`/`PRCD`), signed, when given.
    pub opening: Option<Decimal>,
    /// Closing booked balance (`CLBD`), signed, when given.
    pub closing: Option<Decimal>,
    /// Number of transactions (TxDtls, or the Ntry itself) in the statement.
    pub entries: usize,
}

/// A parsed bank file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankFile {
    /// e.g. `camt.053.001.02`.
    pub format: String,
    pub statements: Vec<Statement>,
    /// Every transaction, credits and debits, in file order.
    pub transactions: Vec<BankTransaction>,
    /// Entries (`Ntry`) whose status is not booked (`PDNG`, `INFO`, ...):
    /// left out of `transactions`, counted so the run can report them.
    pub skipped_not_booked: usize,
}
