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

/// An amount as written in idempotency keys: trailing zeros dropped, at
/// least two decimals (`8.850` and `8.85` give the same key).
pub(crate) fn canonical(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n.to_string()
}

/// A payment id: `P` + XXH3-64 of the idempotency key as 16 lowercase hex
/// digits. The id only names the payment in outputs and `matches.csv`;
/// booking-once compares the whole key, so the id needs no cryptographic
/// strength, and XXH3 costs ~20 ns where software SHA-256 cost ~560 ns per
/// key on a CPU without SHA instructions (BENCHMARKS.md).
pub(crate) fn payment_id(key: &str) -> String {
    let mut s = String::with_capacity(17);
    s.push('P');
    push_hex16(&mut s, xxhash_rust::xxh3::xxh3_64(key.as_bytes()));
    s
}

fn push_hex16(s: &mut String, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        s.push(char::from(HEX[(v >> (4 * shift)) as usize & 15]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_id_is_xxh3_64_in_hex() {
        // XXH3_64bits("") with seed 0 = 2d06800538d394c2 (xxHash's sanity test).
        assert_eq!(payment_id(""), "P2d06800538d394c2");
        assert_eq!(payment_id("abc").len(), 17);
        assert_ne!(payment_id("abc"), payment_id("abd"));
    }
}
