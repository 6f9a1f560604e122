//! Bank files -> `BankTransaction`s. One reader per format.

pub mod bgmax;
pub mod camt;
pub mod mt940;
pub mod nets_ocr;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use compact_str::CompactString;

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
/// key on a CPU without SHA instructions (BENCHMARKS.md). The 17 bytes are
/// written into a buffer and stored inline in the `CompactString` (no heap).
pub(crate) fn payment_id(key: &str) -> CompactString {
    let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes()).to_be_bytes();
    let mut id = [b'P'; 17];
    for (pair, byte) in id.get_mut(1..).unwrap_or_default().chunks_exact_mut(2).zip(hash) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    // SAFETY: `id` is `P` followed by bytes of `HEX_PAIRS`, all ASCII, so
    // it is UTF-8. Checking it (`CompactString::from_utf8`) cost ~60
    // instructions per transaction, 2 % of a BgMax or Nets parse;
    // `payment_id_is_p_and_16_lowercase_hex_digits` tests the ids.
    unsafe { CompactString::from_utf8_unchecked(id) }
}

/// `HEX_PAIRS[b]`: the byte `b` as two lowercase hex digits (ASCII).
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [HEX[b >> 4], HEX[b & 15]];
        b += 1;
    }
    t
};

/// Appends `n` in decimal, zero-padded to at least `width` digits, without
/// `format!`: `itoa` writes two digits per step into a stack buffer, which
/// is appended in one copy (a digit at a time cost ~15 instructions per
/// digit, a tenth of a Nets transaction's key).
pub(crate) fn push_number(s: &mut String, n: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    for _ in digits.len()..width {
        s.push('0');
    }
    s.push_str(digits);
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

/// Counts the repeats of a file's idempotency keys, for their `|{n}`
/// suffix, as the keys are built. A key is given as small parts (`K`) that
/// are equal exactly when the key strings are.
pub(crate) struct KeyRepeats<K> {
    seen: SeenKeys<K>,
}

/// The keys counted so far (`KeyRepeats`).
enum SeenKeys<K> {
    /// All keys in file order, cut into ascending runs (each key greater
    /// than the one before) at `starts`. A bank file is usually one run, or
    /// a few (two dates, two accounts, serial numbers starting over). A key
    /// can equal at most one key of each earlier run; within its own run it
    /// equals none. `cursors[i]` is where in earlier run `i` the previous
    /// key of the current run would go: the keys of a run ascend, so each
    /// is searched from there on (`lower_bound_from`), a step or two when
    /// two runs hold the same keys, instead of a binary search of the whole
    /// run with a cache miss at each step.
    Runs { keys: Vec<K>, starts: Vec<usize>, cursors: Vec<usize> },
    /// Beyond `MAX_RUNS` runs: the number of occurrences of each key.
    Table(HashMap<K, usize, BuildHasherDefault<PartsHasher>>),
}

impl<K> Default for KeyRepeats<K> {
    fn default() -> KeyRepeats<K> {
        KeyRepeats { seen: SeenKeys::Runs { keys: Vec::new(), starts: vec![0], cursors: Vec::new() } }
    }
}

/// Runs searched per key before `SeenKeys::Table` takes over.
const MAX_RUNS: usize = 16;

impl<K: Copy + Ord + Hash> KeyRepeats<K> {
    /// Room for `n` keys.
    pub(crate) fn with_capacity(n: usize) -> KeyRepeats<K> {
        KeyRepeats { seen: SeenKeys::Runs { keys: Vec::with_capacity(n), starts: vec![0], cursors: Vec::new() } }
    }

    /// How many earlier keys of the file equal `key`, which is counted too.
    pub(crate) fn count(&mut self, key: K) -> usize {
        if let SeenKeys::Runs { keys, starts, cursors } = &mut self.seen {
            if keys.last().is_some_and(|&last| last >= key) {
                starts.push(keys.len());
                // A new run: every earlier run is searched from its start.
                cursors.clear();
                cursors.resize(starts.len() - 1, 0);
            }
            if starts.len() <= MAX_RUNS {
                // The runs before the one `key` belongs to.
                let earlier_runs = starts.windows(2).filter_map(|run| keys.get(run[0]..run[1]));
                let mut repeats = 0;
                for (run, cursor) in earlier_runs.zip(cursors.iter_mut()) {
                    *cursor = lower_bound_from(run, *cursor, &key);
                    repeats += usize::from(run.get(*cursor) == Some(&key));
                }
                keys.push(key);
                return repeats;
            }
            let mut table: HashMap<K, usize, BuildHasherDefault<PartsHasher>> = HashMap::default();
            for &k in keys.iter() {
                *table.entry(k).or_insert(0) += 1;
            }
            self.seen = SeenKeys::Table(table);
        }
        match &mut self.seen {
            SeenKeys::Table(table) => {
                let seen = table.entry(key).or_insert(0);
                *seen += 1;
                *seen - 1
            }
            SeenKeys::Runs { .. } => 0,
        }
    }
}

/// The first index from `from` on whose key is not less than `key`, in an
/// ascending slice whose keys before `from` are all less than `key`:
/// galloping (1, 2, 4, ... ahead of `from`), then a binary search within
/// the last gallop. A few steps when the answer is near `from`.
fn lower_bound_from<K: Ord>(run: &[K], from: usize, key: &K) -> usize {
    let rest = run.get(from..).unwrap_or_default();
    // Invariant: every key of `rest[..reach / 2]` is less than `key`.
    let mut reach = 1;
    while reach < rest.len() && rest.get(reach - 1).is_some_and(|k| k < key) {
        reach *= 2;
    }
    let (lo, hi) = (reach / 2, reach.min(rest.len()));
    from + lo + rest.get(lo..hi).unwrap_or_default().partition_point(|k| k < key)
}

/// A multiply-rotate hasher for key parts (small integers and dates):
/// SipHash cost more than the rest of a key's bookkeeping. The figures come
/// from a bank file, not from an adversary choosing collisions.
#[derive(Default)]
pub(crate) struct PartsHasher(u64);

impl PartsHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for PartsHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.add(u64::from(x));
    }
    fn write_u32(&mut self, x: u32) {
        self.add(u64::from(x));
    }
    fn write_i32(&mut self, x: i32) {
        self.add(u64::from(x as u32));
    }
    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }
    fn write_isize(&mut self, x: isize) {
        self.add(x as u64);
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

    proptest::proptest! {
        /// The bytes `payment_id` writes without a UTF-8 check are ASCII:
        /// `P` and the hash in lowercase hex, as `format!` writes it.
        #[test]
        fn payment_id_is_p_and_16_lowercase_hex_digits(key in ".{0,80}") {
            let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
            proptest::prop_assert_eq!(payment_id(&key), format!("P{hash:016x}"));
        }
    }

    /// `KeyRepeats::count` for each key, and by counting naively.
    fn repeats_both_ways(keys: &[u64]) -> (Vec<usize>, Vec<usize>) {
        let mut repeats = KeyRepeats::with_capacity(0);
        let counted = keys.iter().map(|&k| repeats.count(k)).collect();
        let naive = keys.iter().enumerate().map(|(i, k)| keys[..i].iter().filter(|&e| e == k).count()).collect();
        (counted, naive)
    }

    #[test]
    fn key_repeats_count_earlier_equal_keys_in_any_order() {
        let (counted, naive) = repeats_both_ways(&[1, 2, 5, 3, 5, 1, 7, 5, 9, 9]);
        assert_eq!(counted, [0, 0, 0, 0, 1, 1, 0, 2, 0, 1]);
        assert_eq!(counted, naive);
        // Serial numbers starting over (two runs), and pseudo-random keys
        // from a few values (many runs: the table).
        let wrapped: Vec<u64> = (0..300).map(|i| i % 120).collect();
        let mut x = 7u64;
        let random: Vec<u64> = (0..500)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (x >> 33) % 40
            })
            .collect();
        for keys in [wrapped, random] {
            let (counted, naive) = repeats_both_ways(&keys);
            assert_eq!(counted, naive);
        }
        let mut ascending = KeyRepeats::with_capacity(100);
        for k in 0..100u64 {
            assert_eq!(ascending.count(k), 0);
        }
        assert!(matches!(ascending.seen, SeenKeys::Runs { ref starts, .. } if starts == &[0]), "one run");
    }

    proptest::proptest! {
        /// Ascending runs of keys that overlap in any way (the runs of a
        /// bank file), and `lower_bound_from` against a linear search.
        #[test]
        fn key_repeats_count_like_naive_over_overlapping_runs(
            runs in proptest::collection::vec(proptest::collection::btree_set(0u64..60, 0..40), 0..8),
        ) {
            let keys: Vec<u64> = runs.iter().flatten().copied().collect();
            let (counted, naive) = repeats_both_ways(&keys);
            proptest::prop_assert_eq!(counted, naive);
            for run in &runs {
                let run: Vec<u64> = run.iter().copied().collect();
                for key in 0..61 {
                    let want = run.iter().position(|&k| k >= key).unwrap_or(run.len());
                    for from in 0..=want {
                        proptest::prop_assert_eq!(lower_bound_from(&run, from, &key), want);
                    }
                }
            }
        }
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
