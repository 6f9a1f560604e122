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

/// Appends `n` in decimal, zero-padded to at least `width` digits (at most
/// 20), without `format!`.
pub(crate) fn push_number(s: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut start = buf.len();
    let mut rest = n;
    while start > 0 && (rest > 0 || buf.len() - start < width.max(1)) {
        start -= 1;
        if let Some(digit) = buf.get_mut(start) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
    }
    for &digit in buf.get(start..).unwrap_or_default() {
        s.push(char::from(digit));
    }
}

/// Appends an amount given in minor units (öre, øre) as `canonical` writes
/// it for two decimals: `{ore / 100}.{ore % 100:02}`, e.g. `1250.00`.
pub(crate) fn push_ore(s: &mut String, ore: u64) {
    push_number(s, ore / 100, 1);
    s.push('.');
    push_number(s, ore % 100, 2);
}

/// The number of characters `push_ore` writes for `ore`.
pub(crate) fn ore_len(ore: u64) -> usize {
    (ore / 100).checked_ilog10().map_or(1, |log| log as usize + 1) + 3
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

    #[test]
    fn push_number_and_push_ore_write_like_format() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            for width in [0, 1, 2, 4, 12, 20] {
                let mut s = String::new();
                push_number(&mut s, n, width);
                assert_eq!(s, format!("{n:0width$}"));
            }
        }
        for ore in (0..2_000).chain([99_999_999_999_999_999, 100_000, 1_234_560, u64::MAX]) {
            let mut s = String::new();
            push_ore(&mut s, ore);
            assert_eq!(s, canonical(Decimal::from_i128_with_scale(i128::from(ore), 2)), "{ore}");
            assert_eq!(s.len(), ore_len(ore), "{ore}");
        }
    }
}
