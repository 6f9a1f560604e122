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

/// A payment id: `P` + the first 16 lowercase hex digits of SHA-256 of the
/// idempotency key.
pub(crate) fn payment_id(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let h = sha256(key.as_bytes());
    let mut s = String::with_capacity(17);
    s.push('P');
    for word in &h[..2] {
        for shift in (0..8).rev() {
            s.push(char::from(HEX[(word >> (4 * shift)) as usize & 15]));
        }
    }
    s
}

/// SHA-256 (FIPS 180-4) as eight big-endian words, padded here and hashed
/// with the raw compression function: a key is one block, and the
/// `Digest` machinery around it cost as much again as the compression.
fn sha256(data: &[u8]) -> [u32; 8] {
    const IV: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut state = IV;
    let (blocks, rest) = data.as_chunks::<64>();
    sha2::block_api::compress256(&mut state, blocks);
    // The rest, 0x80, zeros and the length in bits: one block, or two when
    // the 8-byte length does not fit after the rest.
    let mut tail = [[0u8; 64]; 2];
    let n = if rest.len() + 9 <= 64 { 1 } else { 2 };
    let flat = tail.as_flattened_mut();
    flat[..rest.len()].copy_from_slice(rest);
    flat[rest.len()] = 0x80;
    let bits = (data.len() as u64).wrapping_mul(8);
    flat[n * 64 - 8..n * 64].copy_from_slice(&bits.to_be_bytes());
    sha2::block_api::compress256(&mut state, &tail[..n]);
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn payment_id_is_the_sha256_prefix_for_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=data.len() {
            let want = Sha256::digest(&data[..len]);
            let got: Vec<u8> = sha256(&data[..len]).iter().flat_map(|w| w.to_be_bytes()).collect();
            assert_eq!(got, want.as_slice(), "length {len}");
        }
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de ...
        assert_eq!(payment_id("abc"), "Pba7816bf8f01cfea");
    }
}
