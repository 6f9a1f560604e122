//! Matching a payment to its claim, like an experienced clerk, in this
//! order (each payment records the step that found its claim):
//!
//! 1. **Structured reference** (`Strd/CdtrRefInf/Ref`, BgMax OCR, KID) with
//!    a valid check digit in one of the Nordic schemes (Swedish OCR, KID
//!    MOD10/MOD11, FIK +71/+75, Finnish reference, RF): compared with the
//!    agency's OCR numbers and the creditors' invoice references (an RF
//!    reference also by its payload, a FIK code line by its payment id).
//!    A reference whose check digit fails every scheme is never trusted:
//!    the payment goes on to the next steps and, if nothing matches, to
//!    suspense as `bad_check_digit`.
//! 2. **Reference or invoice number in the free text**: words and runs of
//!    digit groups (`12 34561`, `2024-1002`) compared with agency OCR
//!    numbers and invoice references; a word after a prefix such as
//!    `Faktura`, `Faktura nr`, `Fakt`, `Lasku`, `Rechnung`, `Invoice` (or
//!    glued to it: `Fakt1002`) compared with invoice numbers.
//! 3. **Amount and payer**: exactly one open claim whose amount due (as on
//!    its latest letter, or its balance at the booking date) equals the
//!    payment and whose debtor name is similar to the payer's
//!    (Jaro-Winkler >= 0.9 on normalised names, compared within blocks of
//!    names sharing the first two letters of their first two words).
//! 4. **Manual matches** (`matches.csv`) are applied by `allocate`.
//!
//! Two or more candidates at any step is `ambiguous: N claims`: never a
//! guess. Lookups use hash maps; nothing iterates them into an output.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::FastMap;
use crate::model::{BankTransaction, Claim, Currency};
use crate::rules::reference::{dk_fik, fi_reference_valid, no_kid_valid, rf_valid, se_ocr_valid};

/// Jaro-Winkler similarity needed between payer and debtor names.
pub const NAME_SIMILARITY: f64 = 0.9;

/// Words that introduce an invoice number in free text (lower case).
const INVOICE_PREFIXES: &[&str] = &[
    "faktura",
    "fakturanr",
    "fakt",
    "fak",
    "lasku",
    "laskunro",
    "rechnung",
    "invoice",
    "inv",
    "nr",
    "no",
    "nro",
    "faktnr",
];

/// Position of a claim in the claim map (claim-id order).
pub type Pos = u32;
const END: Pos = Pos::MAX;

/// Claims under a key, as a chain through `next` (one slot per claim): no
/// list allocated per key, and almost every key has one claim.
struct Chains<K> {
    head: FastMap<K, Pos>,
    next: Vec<Pos>,
}

impl<K: std::hash::Hash + Eq> Chains<K> {
    /// For `claims` claims under about `keys` distinct keys.
    fn new(keys: usize, claims: usize) -> Chains<K> {
        Chains { head: FastMap::with_capacity_and_hasher(keys, Default::default()), next: vec![END; claims] }
    }

    /// Each claim at most once per table.
    fn insert(&mut self, key: K, pos: Pos) {
        let head = self.head.entry(key).or_insert(END);
        self.next[pos as usize] = *head;
        *head = pos;
    }

    fn get<Q>(&self, key: &Q) -> impl Iterator<Item = Pos> + '_
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let mut at = self.head.get(key).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            (at != END).then(|| {
                let pos = at;
                at = self.next[pos as usize];
                pos
            })
        })
    }
}

/// Lookup tables built from the claims before tonight's payments. Claims
/// are named by their position in the claim map (claim id order), so a
/// found set of positions sorts like the claim ids.
///
/// The reference tables hold the hash of each claim's normalised key, not a
/// copy of it (three million strings to build and free on a big night): a
/// hit is confirmed against the claim's own field, so two keys with the
/// same hash never match each other's claims.
pub struct Index {
    by_agency_ref: Chains<KeyHash>,
    by_invoice_ref: Chains<KeyHash>,
    by_invoice_no: Chains<KeyHash>,
    /// Open claims by the amount due on their latest letter.
    by_letter_amount: Chains<(Currency, Decimal)>,
    /// Open claims by the blocking key of their debtor's normalised name
    /// (`name_block`); step 3 compares the names (`names`) within a block.
    by_name_block: Chains<NameBlock>,
    names: Vec<String>,
}

/// The outcome of matching one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Found: the claim (its position in the claim map) and the step that
    /// found it.
    Claim { pos: Pos, method: &'static str },
    /// Not found: a reason a person can act on.
    None(String),
}

/// Upper case, without spaces and dashes; digit strings without leading zeros.
pub fn normalize_reference(s: &str) -> String {
    let mut out = String::new();
    normalize_reference_into(s, &mut out);
    out
}

/// `normalize_reference` into `out` (cleared first), so that a loop can
/// reuse one buffer.
fn normalize_reference_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        // A bank's references are ASCII: byte by byte, the same result as
        // the general path below (`char::to_uppercase` and `is_whitespace`
        // of an ASCII character), without its per-character iterators
        // (3 % of the 1 M-payment night's CPU).
        let kept = s.bytes().filter(|b| !char::from(*b).is_whitespace() && *b != b'-');
        out.extend(kept.map(|b| char::from(b.to_ascii_uppercase())));
    } else {
        out.extend(s.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase));
    }
    if !out.is_empty() && out.bytes().all(|b| b.is_ascii_digit()) {
        let zeros = out.len() - out.trim_start_matches('0').len();
        out.drain(..zeros.min(out.len() - 1)); // all zeros: "0"
    }
}

thread_local! {
    /// Where a payment's token and a candidate claim's field are normalised
    /// for a lookup (`with_normalized`, `normalizes_to`): a string each
    /// would be several allocations per payment, a million payments a night.
    static TOKEN: RefCell<String> = const { RefCell::new(String::new()) };
    static FIELD: RefCell<String> = const { RefCell::new(String::new()) };
}

/// `f` of `token` normalised (`normalize_reference`). `f` must not call
/// `with_normalized` itself.
fn with_normalized<R>(token: &str, f: impl FnOnce(&str) -> R) -> R {
    TOKEN.with_borrow_mut(|buf| {
        normalize_reference_into(token, buf);
        f(buf)
    })
}

/// True if `field` normalises to `normalized`.
fn normalizes_to(field: &str, normalized: &str) -> bool {
    FIELD.with_borrow_mut(|buf| {
        normalize_reference_into(field, buf);
        buf == normalized
    })
}

/// `word` in lower case: itself when it has no upper-case letter and is
/// ASCII (most of a payment's words are digits), else a lower-cased copy.
fn lower_case(word: &str) -> Cow<'_, str> {
    if word.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

/// The hash of a normalised key, as the reference tables hold it.
type KeyHash = u64;

fn key_hash(normalized: &str) -> KeyHash {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(normalized)
}

/// True if `reference` carries a valid check digit in some Nordic scheme.
pub fn has_valid_check_digit(reference: &str) -> bool {
    se_ocr_valid(reference)
        || no_kid_valid(reference)
        || fi_reference_valid(reference)
        || rf_valid(reference)
        || dk_fik(reference).is_some()
}

/// The blocking key of a normalised name: the first two letters of its first
/// two words ("asa oberg" -> "as|ob"). Step 3 compares a payer only with the
/// debtors of its block, so a night costs payments × block size, not
/// payments × claims. A name misspelt in the first two letters of a word is
/// not found by step 3 (it goes to suspense, never to the wrong claim).
pub fn name_block(normalized: &str) -> NameBlock {
    let mut block = ['\0'; 4];
    for (i, word) in normalized.split(' ').take(2).enumerate() {
        for (j, c) in word.chars().take(2).enumerate() {
            block[2 * i + j] = c;
        }
    }
    NameBlock(block)
}

/// The first two letters of the first two words of a normalised name
/// (`'\0'` where a word is shorter or missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NameBlock([char; 4]);

/// Lower case letters and digits, Nordic letters folded to ASCII (banks
/// often drop them), company forms dropped, words sorted: "ÖBERG, Åsa",
/// "Asa Oberg" and "Åsa Öberg" compare equal; "Bygg AB" = "bygg".
pub fn normalize_name(s: &str) -> String {
    const FORMS: &[&str] = &["ab", "hb", "kb", "as", "asa", "aps", "oy", "oyj", "ltd", "gmbh", "inc"];
    let mut lower = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => lower.push('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => lower.push('o'),
            'æ' => lower.push_str("ae"),
            'é' | 'è' | 'ê' | 'ë' => lower.push('e'),
            'ü' | 'ú' => lower.push('u'),
            other => lower.push(other),
        }
    }
    let mut words: Vec<&str> =
        lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !FORMS.contains(w)).collect();
    words.sort_unstable();
    words.join(" ")
}

/// What steps 1 and 2 (the reference lookups) decided for a payment. They
/// read only the index, never the claims, so a night's payments are looked
/// up in parallel before they are booked one by one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ByReference {
    Found(Match),
    /// On to step 3; `bad_check_digit` if the structured reference failed
    /// every scheme (the reason given if step 3 finds nothing either).
    NotFound {
        bad_check_digit: bool,
    },
}

impl Index {
    /// Builds the lookup tables: the normalised keys are computed in
    /// parallel, then each table is filled in claim order, the tables in
    /// parallel.
    pub fn new(claims: &[&Claim]) -> Index {
        use rayon::prelude::*;
        let n = claims.len();
        // (agency, invoice reference, invoice number) hashes; 0 for an empty key.
        let (hashes, names): (Vec<[KeyHash; 3]>, Vec<String>) = claims
            .par_iter()
            .map_init(String::new, |buf, c| {
                let mut hash = |key: &str| {
                    normalize_reference_into(key, buf);
                    if buf.is_empty() {
                        0
                    } else {
                        key_hash(buf)
                    }
                };
                let keys = [hash(&c.agency_reference), hash(&c.invoice_reference), hash(&c.invoice_number)];
                let name = if c.stage.is_closed() { String::new() } else { normalize_name(&c.debtor.name) };
                (keys, name)
            })
            .unzip();
        let positions = || (0..n as Pos).zip(claims);
        let chains = |k: usize| {
            let mut table = Chains::new(n, n);
            for (pos, h) in (0..n as Pos).zip(&hashes).filter(|(_, h)| h[k] != 0) {
                table.insert(h[k], pos);
            }
            table
        };
        let (by_agency_ref, ((by_invoice_ref, by_invoice_no), (by_letter_amount, by_name_block))) = rayon::join(
            || chains(0),
            || {
                rayon::join(
                    || rayon::join(|| chains(1), || chains(2)),
                    || {
                        // Open claims only (their normalised name is set).
                        let open = || positions().filter(|(pos, _)| !names[*pos as usize].is_empty());
                        let mut amounts = Chains::new(n / 4, n);
                        for (pos, c) in open() {
                            if let Some(l) = c.letters.last() {
                                amounts.insert((c.currency, l.amount_due), pos);
                            }
                        }
                        let mut blocks = Chains::new(n.min(1 << 16), n);
                        for (pos, _) in open() {
                            blocks.insert(name_block(&names[pos as usize]), pos);
                        }
                        (amounts, blocks)
                    },
                )
            },
        );
        Index { by_agency_ref, by_invoice_ref, by_invoice_no, by_letter_amount, by_name_block, names }
    }

    /// Claims whose agency or invoice reference is `token` (normalised).
    fn by_reference(&self, token: &str, claims: &[&Claim], out: &mut BTreeSet<Pos>) {
        with_normalized(token, |n| {
            let h = key_hash(n);
            out.extend(self.by_agency_ref.get(&h).filter(|p| normalizes_to(&claims[*p as usize].agency_reference, n)));
            out.extend(
                self.by_invoice_ref.get(&h).filter(|p| normalizes_to(&claims[*p as usize].invoice_reference, n)),
            );
        });
    }

    /// True if `reference` (normalised) is a claim's agency reference.
    fn is_agency_reference(&self, reference: &str, claims: &[&Claim]) -> bool {
        with_normalized(reference, |n| {
            self.by_agency_ref.get(&key_hash(n)).any(|p| normalizes_to(&claims[p as usize].agency_reference, n))
        })
    }

    /// Step 1.
    fn structured(&self, reference: &str, claims: &[&Claim]) -> BTreeSet<Pos> {
        let mut found = BTreeSet::new();
        self.by_reference(reference, claims, &mut found);
        let r = normalize_reference(reference);
        if rf_valid(&r) {
            self.by_reference(&r[4..], claims, &mut found);
        }
        if let Some((_, id)) = dk_fik(reference) {
            self.by_reference(&id, claims, &mut found);
        }
        found
    }

    /// Step 2.
    fn free_text(&self, text: &str, claims: &[&Claim]) -> BTreeSet<Pos> {
        let mut found = BTreeSet::new();
        let words: Vec<&str> =
            text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '/')).filter(|w| !w.is_empty()).collect();
        let mut joined = String::new();
        for (i, w) in words.iter().enumerate() {
            self.by_reference(w, claims, &mut found);
            // Runs of digit groups split by spaces: "12 34561", "5567 0012 34".
            joined.clear();
            for next in words.iter().skip(i).take(5) {
                if !next.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    break;
                }
                joined.push_str(next);
                if joined.len() > next.len() {
                    self.by_reference(&joined, claims, &mut found);
                }
            }
            // Invoice numbers after (or glued to) a prefix.
            let lower = lower_case(w);
            let after_prefix = INVOICE_PREFIXES.contains(&lower.trim_end_matches(['.', ':']));
            if after_prefix {
                if let Some(next) = words.get(i + 1).filter(|n| !INVOICE_PREFIXES.contains(&&*lower_case(n))) {
                    self.by_invoice_number(next, claims, &mut found);
                } else if let Some(next) = words.get(i + 2) {
                    self.by_invoice_number(next, claims, &mut found);
                }
            } else if let Some(p) = INVOICE_PREFIXES.iter().filter(|p| p.len() >= 3).find(|p| lower.starts_with(*p)) {
                self.by_invoice_number(&w[p.len()..], claims, &mut found);
            }
        }
        found
    }

    fn by_invoice_number(&self, token: &str, claims: &[&Claim], out: &mut BTreeSet<Pos>) {
        with_normalized(token.trim_start_matches(['.', ':', '#']), |n| {
            out.extend(
                self.by_invoice_no.get(&key_hash(n)).filter(|p| normalizes_to(&claims[*p as usize].invoice_number, n)),
            );
        });
    }

    /// Step 3: `balance_at(claim, date)` gives a claim's amount due at a date.
    fn amount_and_payer(
        &self,
        p: &BankTransaction,
        claims: &[&mut Arc<Claim>],
        balance_at: &dyn Fn(&Claim, NaiveDate) -> Option<Decimal>,
    ) -> BTreeSet<Pos> {
        let payer = normalize_name(&p.payer);
        if payer.is_empty() {
            return BTreeSet::new();
        }
        let amount = p.amount.amount();
        let cur = p.amount.currency();
        let letter_amount: BTreeSet<Pos> = self.by_letter_amount.get(&(cur, amount)).collect();
        self.by_name_block
            .get(&name_block(&payer))
            .filter(|pos| strsim::jaro_winkler(&self.names[*pos as usize], &payer) >= NAME_SIMILARITY)
            .filter(|pos| {
                let c = &claims[*pos as usize];
                !c.stage.is_closed()
                    && c.currency == cur
                    && (letter_amount.contains(pos) || balance_at(c, p.booking_date) == Some(amount))
            })
            .collect()
    }

    /// Steps 1 and 2 for a payment (`claims` as given to `new`).
    pub fn by_reference_steps(&self, p: &BankTransaction, claims: &[&Claim]) -> ByReference {
        let mut bad_check_digit = false;
        if !p.structured_ref.is_empty() {
            if has_valid_check_digit(&p.structured_ref) {
                let found = self.structured(&p.structured_ref, claims);
                let agency = found.len() == 1 && self.is_agency_reference(&p.structured_ref, claims);
                if let Some(m) = self.decide(found, if agency { "agency_ocr" } else { "structured_reference" }) {
                    return ByReference::Found(m);
                }
            } else {
                bad_check_digit = true;
            }
        }
        match self.decide(self.free_text(&p.unstructured, claims), "reference_in_text") {
            Some(m) => ByReference::Found(m),
            None => ByReference::NotFound { bad_check_digit },
        }
    }

    /// Step 3 for a payment steps 1 and 2 did not place, on the claims as
    /// they stand when the payment is booked (`claims` in claim-id order).
    pub fn by_amount_and_payer_step(
        &self,
        p: &BankTransaction,
        bad_check_digit: bool,
        claims: &[&mut Arc<Claim>],
        balance_at: &dyn Fn(&Claim, NaiveDate) -> Option<Decimal>,
    ) -> Match {
        self.decide(self.amount_and_payer(p, claims, balance_at), "amount_and_payer").unwrap_or_else(|| {
            Match::None(if bad_check_digit { "bad_check_digit".into() } else { "no_candidate".into() })
        })
    }

    /// Test hook: files claim `pos` under the hash of `token` in the
    /// invoice-number table, as a hash collision would.
    #[cfg(test)]
    pub(super) fn collide_invoice_number(&mut self, token: &str, pos: Pos) {
        self.by_invoice_no.insert(key_hash(&normalize_reference(token)), pos);
    }

    /// One candidate is the match; two or more are `ambiguous: N claims`.
    fn decide(&self, found: BTreeSet<Pos>, method: &'static str) -> Option<Match> {
        match found.len() {
            0 => None,
            1 => found.first().map(|pos| Match::Claim { pos: *pos, method }),
            n => Some(Match::None(format!("ambiguous: {n} claims"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_alike_on_the_ascii_path_and_the_general_one() {
        let general = |s: &str| {
            let mut out: String =
                s.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect();
            if !out.is_empty() && out.bytes().all(|b| b.is_ascii_digit()) {
                let zeros = out.len() - out.trim_start_matches('0').len();
                out.drain(..zeros.min(out.len() - 1));
            }
            out
        };
        for s in
            ["rf18 5390-0754 7034", "00012345", "000", "\t 42\x0b-7\x0c\r\n", "Faktura abc-12 ", "", "--", "a\u{a0}b"]
        {
            assert_eq!(normalize_reference(s), general(s), "{s:?}");
        }
        assert_eq!(normalize_reference("rf18 5390-0754 7034"), "RF18539007547034");
        assert_eq!(normalize_reference("\t 42\x0b-7\x0c\r\n"), "427");
        assert_eq!(normalize_reference("0000"), "0");
        assert_eq!(normalize_reference("straße 1"), "STRASSE1");
    }

    #[test]
    fn names_and_references_normalise() {
        assert_eq!(normalize_name("ÖBERG, Åsa"), normalize_name("Åsa Öberg"));
        assert_eq!(normalize_name("Byggfirman Norr AB"), "byggfirman norr");
        assert_eq!(normalize_reference(" 0012 345-61 "), "1234561");
        assert_eq!(normalize_reference("rf18 5390"), "RF185390");
        assert_eq!(normalize_reference("0 00-0"), "0");
        assert_eq!(normalize_reference("007"), "7");
        assert_eq!(normalize_reference("0A7"), "0A7");
        assert_eq!(normalize_name("Asa Oberg"), normalize_name("Åsa Öberg"));
        assert!(matches!(lower_case("12345-fak"), Cow::Borrowed("12345-fak")));
        assert_eq!((lower_case("FAKTURA:"), lower_case("ÅrsFakt")), (Cow::from("faktura:"), Cow::from("årsfakt")));
        assert!(normalizes_to(" 0012 345-61 ", "1234561") && !normalizes_to("0012 345-62", "1234561"));
        assert!(with_normalized("rf18 5390", |n| normalizes_to("RF18-5390", n)));
        assert!(strsim::jaro_winkler(&normalize_name("Per Eriksson"), &normalize_name("Åsa Öberg")) < NAME_SIMILARITY);
        assert!(strsim::jaro_winkler(&normalize_name("Åsa Öbergh"), &normalize_name("Åsa Öberg")) >= NAME_SIMILARITY);
    }

    #[test]
    fn check_digits_of_every_scheme_are_recognised() {
        for ok in ["100164", "123456785", "12345672", "RF18539007547034", "+71<026840149965328+12345678<"] {
            assert!(has_valid_check_digit(ok), "{ok}");
        }
        assert!(!has_valid_check_digit("100165"));
    }
}
