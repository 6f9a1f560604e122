//! Bankgirot BgMax reader (Bankgiro Inbetalningar, layout `BGMAX` version 01).
//!
//! Rules:
//! - Input is ISO-8859-1, read as bytes (one byte, one character): only the
//!   fields read are decoded (`encoding_rs::mem::decode_latin1`). ASCII is
//!   the same text in both encodings and is read as UTF-8 (below), its
//!   fields being slices of the text. One exception: bytes that are valid
//!   UTF-8 *and* contain non-ASCII
//!   characters are decoded as UTF-8 (a file re-saved by an editor; genuine
//!   ISO-8859-1 Swedish text is practically never valid UTF-8, since an `å`
//!   byte followed by ASCII is not). A UTF-8 BOM is then skipped, and the
//!   records are read as characters.
//! - Records are 80 characters, transaction code (TK) in positions 1-2.
//!   When the file contains CR or LF, every line (CRLF, LF or lone CR) is one
//!   record and blank lines are skipped; otherwise the text is cut every 80
//!   characters. A TAB expands to the next multiple-of-8 column (the corpus's
//!   TABs stand for blanks of a column-aligned reference field: replacing each
//!   by a single blank would shift the amount). A shorter (right-trimmed)
//!   record is padded with blanks; a longer one is an error (a record that
//!   grew past 80 characters, e.g. ISO-8859-1 read as UTF-8 or the reverse).
//! - Error line numbers are physical lines, or record numbers (1-based) for a
//!   file without line terminators.
//! - Structure: 01 first (layout `BGMAX`, production marker `P`; a `T` test
//!   file is refused: its payments are not real), then sections
//!   `05 (20|21 [22|23|25|26|27|28|29]*)* 15`, then 70 last. Record types
//!   the manual does not define (two digits) are ignored, as the manual asks.
//! - One `BankTransaction` per 20 (credit) and per 21 (deduction, a debit).
//!   Account: the section's payee bankgiro (05, positions 3-12) without
//!   leading zeros. Currency: the section's (05). Amount: the 18-digit öre
//!   field / 100. Booking date: the deposit date of the 15 closing the
//!   section. Bank reference: the 12-digit BGC serial number (positions
//!   58-69, unique per payment for two years), blank or all zeros meaning
//!   none. Structured reference: the reference field with blanks removed
//!   when the reference code is 2 (a checked OCR number). Unstructured: the
//!   reference field when the code is anything else and it is not blank,
//!   then, in file order, each 22/23 extra reference and each 25 information
//!   text, each trimmed, joined by one space. Payer: the 26 name, with the
//!   26 extra name field appended after a space when given. 27/28/29
//!   (address, organisation number) are checked for place only.
//! - Control totals (verified on every corpus file): a 15's deposit amount
//!   is the sum of its section's 20 amounts minus its 21 amounts (22/23 part
//!   amounts are not added: the 20 carries the total), its number of payments
//!   counts the section's 20 and 21 records, its currency is the 05's. The
//!   70 counts the file's 20 records, 21 records, 22+23 records and 15
//!   records. Any difference is an error on the 15/70 line naming the field,
//!   the figure found and the figure computed, and the file is refused.
//! - Every bad value is an `Error` naming line, field (`TK20 amount`), value
//!   and expectation; all are collected and the file is refused if there is
//!   any. The parser never panics.
//! - Idempotency key (as for camt): with a bank reference
//!   `{account}|{bank_ref}|{booking_date}|{direction}|{amount}`, `|{n}`
//!   appended from the second occurrence of the same key in one file on;
//!   without one
//!   `{account}|{booking_date}|{direction}|{amount}|{structured_ref}|{unstructured}|{n}`,
//!   `n` counting earlier transactions of the file with the same other
//!   parts. `amount` canonical (trailing zeros dropped, at least two
//!   decimals), `direction` `credit`/`debit`. `payment_id` is `P` + XXH3-64
//!   of the key in hex (`super::payment_id`).
//!
//! Speed (target 400 MB/s, `benches/throughput.rs`): a line that is an
//! 80-byte record followed by CR or LF is split off without searching
//! (`line_len`); a record is copied once into an 80-byte array (`Record`),
//! and codes, amounts and serial numbers are read from its bytes. An ASCII
//! file passes the one UTF-8 check of the whole file, and the text fields of
//! its records are trimmed slices of the text (`Record::ascii`), copied
//! once into their `CompactString`; only an ISO-8859-1 file's fields are
//! decoded. Each 20/21 record
//! becomes its `BankTransaction` at once, and the section's 15 fills in
//! booking date, key and payment id (`Parser::finish_section`). Keys are
//! built with `push_str` and `super::push_ore`, not `format!`. Repeats of
//! keys with a bank reference are counted on their parts
//! (`super::KeyRepeats`), without any search while those keys ascend, as
//! BGC serial numbers do in a file. The texts of a transaction are
//! `CompactString`s, inline up to 24 bytes, so a typical transaction
//! allocates one heap string, its key.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;

use super::{ore_len, payment_id, push_number, push_ore, BankFile, KeyRepeats, Statement};
use crate::ingest::Error;
use crate::model::{BankTransaction, Currency, Direction, Money, Source};

/// Length of every record, in characters.
const RECORD_LEN: usize = 80;

/// True if the bytes start with a BgMax opening record ("01BGMAX").
pub fn sniff(bytes: &[u8]) -> bool {
    bytes.starts_with(b"01BGMAX")
}

/// Parses a BgMax file; errors carry 1-based line (record) numbers, field
/// names (e.g. "TK20 amount"), value and expected, but no file name (the
/// caller adds it with `Error::with_file`).
pub fn parse(bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    let mut p = Parser::new(bytes.len());
    for_each_record(decode(bytes), |line, raw| match Record::new(raw) {
        Ok(rec) => p.record(line, &rec),
        Err(len) => {
            // A first record of bad length still counts as the first
            // record: the file is then not read any further.
            p.seen_any = true;
            p.bad_length = true;
            p.errors.push(Error::new(
                line,
                "record length",
                &raw.to_str(),
                format!(
                    "a record of at most {RECORD_LEN} characters (found {len}; \
                     ISO-8859-1 text re-saved in another encoding, or two records on one line?)"
                ),
            ));
        }
    });
    p.finish();
    if p.errors.is_empty() {
        Ok(p.file)
    } else {
        Err(p.errors)
    }
}

/// The input text, or a part of it: ISO-8859-1 bytes (one byte per
/// character, decoded only where a field is read), or UTF-8.
#[derive(Clone, Copy)]
enum Text<'a> {
    Latin1(&'a [u8]),
    Utf8(&'a str),
}

impl<'a> Text<'a> {
    fn bytes(self) -> &'a [u8] {
        match self {
            Text::Latin1(b) => b,
            Text::Utf8(s) => s.as_bytes(),
        }
    }

    /// Byte range `from..to`; both ends are character boundaries (the
    /// callers cut at CR and LF, which are single bytes in UTF-8 too).
    fn slice(self, from: usize, to: usize) -> Text<'a> {
        match self {
            Text::Latin1(b) => Text::Latin1(b.get(from..to).unwrap_or_default()),
            Text::Utf8(s) => Text::Utf8(s.get(from..to).unwrap_or_default()),
        }
    }

    /// Nothing but white space (as `str::trim` sees it). A record starts
    /// with its code, so nearly every line is decided by its first byte.
    fn is_blank(self) -> bool {
        match self {
            Text::Latin1(b) => b.iter().all(|&c| is_latin1_space(c)),
            Text::Utf8(s) => {
                let code = s.as_bytes().first().is_some_and(|&c| c.is_ascii() && !is_latin1_space(c));
                !code && s.trim().is_empty()
            }
        }
    }

    fn to_str(self) -> Cow<'a, str> {
        match self {
            Text::Latin1(b) => encoding_rs::mem::decode_latin1(b),
            Text::Utf8(s) => Cow::Borrowed(s),
        }
    }
}

/// White space as `char::is_whitespace` sees the ISO-8859-1 character of a
/// byte: TAB, LF, VT, FF, CR, blank, NEL (0x85) and no-break space (0xA0).
fn is_latin1_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0x85 | 0xA0)
}

/// The bytes without white space (`is_latin1_space`) at either end. Runs
/// of blanks, the padding of fixed-width fields, are skipped eight at a
/// time.
fn trim_latin1(b: &[u8]) -> &[u8] {
    let (start, end) = trim_range(b);
    b.get(start..end).unwrap_or_default()
}

/// `start..end` of `trim_latin1(b)` in `b`.
fn trim_range(b: &[u8]) -> (usize, usize) {
    const BLANKS: [u8; 8] = [b' '; 8];
    let mut start = 0;
    while b.get(start..start + 8).is_some_and(|eight| eight == BLANKS) {
        start += 8;
    }
    let mut end = b.len();
    while end >= start + 8 && b.get(end - 8..end).is_some_and(|eight| eight == BLANKS) {
        end -= 8;
    }
    let rest = b.get(start..end).unwrap_or_default();
    let from = rest.iter().position(|&c| !is_latin1_space(c)).unwrap_or(rest.len());
    let to = rest.iter().rposition(|&c| !is_latin1_space(c)).map_or(from, |i| i + 1);
    (start + from, start + to)
}

/// ISO-8859-1 bytes as a `CompactString` (ASCII, the usual case, is only
/// copied; inline up to 24 bytes).
fn latin1_string(b: &[u8]) -> CompactString {
    CompactString::from(encoding_rs::mem::decode_latin1(b))
}

/// ISO-8859-1, or UTF-8 when the bytes are valid UTF-8 with non-ASCII in them.
/// ASCII, the usual case, is the same text either way; it is taken as UTF-8,
/// so that records are `&str`s from the start (`Record::ascii`) and no field
/// needs decoding.
fn decode(bytes: &[u8]) -> Text<'_> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Text::Utf8(s.strip_prefix('\u{feff}').unwrap_or(s)),
        Err(_) => Text::Latin1(bytes),
    }
}

/// Calls `f(line number, record text)` for each record: lines when there
/// are line terminators, else 80-character slices. Blank lines are skipped
/// (they keep their number).
fn for_each_record<'a>(text: Text<'a>, mut f: impl FnMut(u32, Text<'a>)) {
    let bytes = text.bytes();
    if bytes.iter().any(|&c| c == b'\r' || c == b'\n') {
        let mut line = 0u32;
        let mut pos = 0;
        while let Some(rest) = bytes.get(pos..).filter(|rest| !rest.is_empty()) {
            line = line.saturating_add(1);
            let len = line_len(rest);
            let terminator = match rest.get(len..) {
                Some([b'\r', b'\n', ..]) => 2,
                Some([_, ..]) => 1,
                _ => 0,
            };
            let body = text.slice(pos, pos + len);
            if !body.is_blank() {
                f(line, body);
            }
            pos += len + terminator;
        }
        return;
    }
    // One byte per character (ISO-8859-1, or ASCII read as UTF-8): a
    // record every 80 bytes.
    let bytes_are_chars = match text {
        Text::Latin1(_) => true,
        Text::Utf8(s) => s.is_ascii(),
    };
    if bytes_are_chars {
        let mut line = 0u32;
        let mut start = 0;
        while start < bytes.len() {
            line = line.saturating_add(1);
            let end = (start + RECORD_LEN).min(bytes.len());
            let rec = text.slice(start, end);
            if end < bytes.len() || !rec.is_blank() {
                f(line, rec);
            }
            start = end;
        }
        return;
    }
    // UTF-8 with non-ASCII characters: every 80 characters.
    if let Text::Utf8(s) = text {
        let mut line = 0u32;
        let mut start = 0;
        let mut n = 0;
        for (i, _) in s.char_indices() {
            if n == RECORD_LEN {
                line = line.saturating_add(1);
                f(line, Text::Utf8(s.get(start..i).unwrap_or_default()));
                start = i;
                n = 0;
            }
            n += 1;
        }
        let rest = s.get(start..).unwrap_or_default();
        if !rest.trim().is_empty() {
            f(line.saturating_add(1), Text::Utf8(rest));
        }
    }
}

/// The length of the first line of `rest`: the bytes before its first CR or
/// LF. An 80-byte record followed by CR or LF (nearly every line) is
/// recognised without searching; the check has no early exit so that it
/// compiles to a few vector compares.
fn line_len(rest: &[u8]) -> usize {
    if let (Some(record), Some(b'\r' | b'\n')) = (rest.first_chunk::<RECORD_LEN>(), rest.get(RECORD_LEN)) {
        let line_ends = record.iter().fold(0u8, |n, &c| n | u8::from(c == b'\r') | u8::from(c == b'\n'));
        if line_ends == 0 {
            return RECORD_LEN;
        }
    }
    rest.iter().position(|&c| c == b'\r' || c == b'\n').unwrap_or(rest.len())
}

/// One record, padded with blanks to 80 characters.
struct Record<'a> {
    /// One byte per character: the ISO-8859-1 byte; in a UTF-8 file the
    /// character when it is ASCII, 0xFF when not (no digit, blank or code
    /// letter, so codes and numbers can be read from here alone).
    bytes: [u8; RECORD_LEN],
    /// A UTF-8 record with non-ASCII characters: its characters, from which
    /// texts are read. Empty for every other record.
    chars: Vec<char>,
    /// The record as written when it is ASCII without a TAB (nearly every
    /// record): character positions are byte offsets in it, and texts are
    /// slices of it, with no decoding. It may be shorter than 80 (the rest
    /// is padding, blanks).
    ascii: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// Expands TABs (8-column stops) and pads to 80 characters; `Err(length)`
    /// when the record is longer than 80. Without a TAB, an ISO-8859-1 (or
    /// ASCII) record is only copied, and an ASCII record of an ASCII or
    /// UTF-8 file keeps its text, of which its texts are slices
    /// (`Record::ascii`).
    fn new(raw: Text<'a>) -> Result<Record<'a>, usize> {
        let latin1 = raw.bytes();
        // No early exit: a few vector compares.
        let (tabs, high) =
            latin1.iter().fold((0u8, 0u8), |(tabs, high), &c| (tabs | u8::from(c == b'\t'), high | (c & 0x80)));
        let utf8 = match raw {
            Text::Utf8(s) if high != 0 => return Record::from_chars(s),
            Text::Utf8(s) => Some(s),
            Text::Latin1(_) => None,
        };
        let mut bytes = [b' '; RECORD_LEN];
        if latin1.len() <= RECORD_LEN && tabs == 0 {
            bytes.get_mut(..latin1.len()).unwrap_or_default().copy_from_slice(latin1);
            return Ok(Record { bytes, chars: Vec::new(), ascii: utf8 });
        }
        let mut expanded = Vec::with_capacity(RECORD_LEN);
        for &c in latin1 {
            if c == b'\t' {
                expanded.resize((expanded.len() / 8 + 1) * 8, b' ');
            } else {
                expanded.push(c);
            }
        }
        let n = expanded.len();
        bytes.get_mut(..n).ok_or(n)?.copy_from_slice(&expanded);
        Ok(Record { bytes, chars: Vec::new(), ascii: None })
    }

    /// A UTF-8 record with non-ASCII characters.
    fn from_chars(s: &str) -> Result<Record<'a>, usize> {
        let mut chars = Vec::with_capacity(RECORD_LEN);
        for c in s.chars() {
            if c == '\t' {
                chars.resize((chars.len() / 8 + 1) * 8, ' ');
            } else {
                chars.push(c);
            }
        }
        if chars.len() > RECORD_LEN {
            return Err(chars.len());
        }
        chars.resize(RECORD_LEN, ' ');
        let mut bytes = [b' '; RECORD_LEN];
        for (b, c) in bytes.iter_mut().zip(&chars) {
            *b = u8::try_from(*c).ok().filter(u8::is_ascii).unwrap_or(0xFF);
        }
        Ok(Record { bytes, chars, ascii: None })
    }

    /// The transaction code, positions 1-2.
    fn code(&self) -> [u8; 2] {
        [self.bytes[0], self.bytes[1]]
    }

    /// Positions `from..=to` (1-based, inclusive) as written; borrowed when
    /// ASCII.
    fn field(&self, from: usize, to: usize) -> Cow<'_, str> {
        if self.chars.is_empty() {
            encoding_rs::mem::decode_latin1(self.bytes.get(from - 1..to).unwrap_or_default())
        } else {
            Cow::Owned(self.chars.get(from - 1..to).unwrap_or_default().iter().collect())
        }
    }

    /// Positions `from..=to` of an ASCII record (`Record::ascii`), without
    /// white space at either end (the padding after a short record is
    /// blanks, which are cut anyway).
    fn ascii_text(&self, from: usize, to: usize) -> Option<&'a str> {
        let s = self.ascii?;
        let (from, to) = ((from - 1).min(s.len()), to.min(s.len()));
        let (start, end) = trim_range(s.as_bytes().get(from..to).unwrap_or_default());
        // Cut next to ASCII characters: character boundaries.
        s.get(from + start..from + end)
    }

    /// Positions `from..=to` without white space at either end (as
    /// `str::trim` cuts it).
    fn text(&self, from: usize, to: usize) -> Cow<'a, str> {
        if let Some(text) = self.ascii_text(from, to) {
            Cow::Borrowed(text)
        } else if self.chars.is_empty() {
            Cow::Owned(
                encoding_rs::mem::decode_latin1(trim_latin1(self.bytes.get(from - 1..to).unwrap_or_default()))
                    .into_owned(),
            )
        } else {
            Cow::Owned(self.field(from, to).trim().to_string())
        }
    }

    /// Positions `from..=to` with every white space character removed.
    fn without_blanks(&self, from: usize, to: usize) -> CompactString {
        if let Some(text) = self.ascii_text(from, to) {
            if !text.bytes().any(is_latin1_space) {
                return CompactString::from(text);
            }
        }
        if !self.chars.is_empty() {
            return self.field(from, to).chars().filter(|c| !c.is_whitespace()).collect();
        }
        let trimmed = trim_latin1(self.bytes.get(from - 1..to).unwrap_or_default());
        if !trimmed.iter().any(|&c| is_latin1_space(c)) {
            return latin1_string(trimmed);
        }
        let kept: Vec<u8> = trimmed.iter().copied().filter(|&c| !is_latin1_space(c)).collect();
        latin1_string(&kept)
    }

    /// Positions `from..=to` when they are all ASCII digits.
    fn digits(&self, from: usize, to: usize) -> Option<&[u8]> {
        let b = self.bytes.get(from - 1..to)?;
        // No early exit: a few vector compares.
        let all_digits = b.iter().fold(true, |ok, &c| ok & c.is_ascii_digit());
        (all_digits && !b.is_empty()).then_some(b)
    }

    /// Position `pos` (1-based).
    fn at(&self, pos: usize) -> char {
        if self.chars.is_empty() {
            self.bytes.get(pos - 1).map_or(' ', |&c| char::from(c))
        } else {
            self.chars.get(pos - 1).copied().unwrap_or(' ')
        }
    }
}

/// The value of at most 19 ASCII digits (`Record::digits`).
fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |n, &b| n.wrapping_mul(10).wrapping_add(u64::from(b.wrapping_sub(b'0'))))
}

/// An open section (05 seen, 15 not yet). Its payments are the
/// transactions of the file from `first` on; their booking date, key and
/// payment id are filled in by the 15.
struct Section {
    line: u32,
    account: CompactString,
    /// `account` as a number (0 when invalid), for the key counts.
    account_num: u64,
    currency: Option<Currency>,
    /// Index in `BankFile::transactions` of the section's first payment.
    first: usize,
    /// Credits minus debits in öre; `None` once an amount was unreadable.
    net: Option<i128>,
}

/// The parts of a key with a bank reference: account, bank reference,
/// booking date, direction, öre. Equal exactly when the key strings are
/// (the account and the 12-digit reference are digit strings without and
/// with leading zeros), so counting these counts the keys without building
/// a string for the map.
type RefKey = (u64, u64, NaiveDate, Direction, u64);

/// The amount of a transaction in öre (amounts are built with scale 2).
fn ore_of(t: &BankTransaction) -> u64 {
    u64::try_from(t.amount.amount().mantissa()).unwrap_or(u64::MAX)
}

/// The keys built so far, for the `|{n}` of repeated keys.
struct KeyCounts {
    /// Keys with a bank reference (BGC serial numbers ascend in a file, so
    /// that usually nothing is searched).
    ref_keys: KeyRepeats<RefKey>,
    /// Occurrences of each key without one (without its `|{n}`); the two
    /// kinds never coincide (the second part is 12 digits, or a date).
    text_keys: HashMap<String, usize>,
}

impl KeyCounts {
    /// Counts for a file of about `n` transactions.
    fn with_capacity(n: usize) -> KeyCounts {
        KeyCounts { ref_keys: KeyRepeats::with_capacity(n), text_keys: HashMap::new() }
    }

    /// The idempotency key of `t` (see the module doc), whose booking date
    /// is set; `account_num` is its account as a number, `date` its booking
    /// date as text.
    fn key(&mut self, t: &BankTransaction, account_num: u64, date: &str) -> String {
        let direction = match t.direction {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        };
        let ore = ore_of(t);
        // Room for the parts, their separators and a short `|{n}`.
        let parts_len = if t.bank_ref.is_empty() {
            date.len() + t.structured_ref.len() + t.unstructured.len()
        } else {
            t.bank_ref.len() + date.len()
        };
        let mut key = String::with_capacity(t.account.len() + parts_len + direction.len() + ore_len(ore) + 7);
        key.push_str(&t.account);
        key.push('|');
        if t.bank_ref.is_empty() {
            for part in [date, direction] {
                key.push_str(part);
                key.push('|');
            }
            push_ore(&mut key, ore);
            for part in [&t.structured_ref, &t.unstructured] {
                key.push('|');
                key.push_str(part);
            }
            let seen = self.text_keys.entry(key.clone()).or_insert(0);
            key.push('|');
            push_number(&mut key, *seen as u64, 1);
            *seen += 1;
        } else {
            for part in [t.bank_ref.as_str(), date, direction] {
                key.push_str(part);
                key.push('|');
            }
            push_ore(&mut key, ore);
            let parts = (account_num, digits_value(t.bank_ref.as_bytes()), t.booking_date, t.direction, ore);
            let seen = self.ref_keys.count(parts);
            if seen > 0 {
                key.push('|');
                push_number(&mut key, seen as u64, 1);
            }
        }
        key
    }
}

/// Appends a trimmed, non-empty text to a transaction's `unstructured`,
/// after one space.
fn add_text(t: &mut BankTransaction, text: &str) {
    if !t.unstructured.is_empty() {
        t.unstructured.push(' ');
    }
    t.unstructured.push_str(text);
}

struct Parser {
    /// Records seen so far (good or bad length).
    seen_any: bool,
    /// A record was refused for its length: its type is unknown, so the
    /// control totals are not compared (they would only add noise).
    bad_length: bool,
    opened: bool,
    closed: bool,
    last_line: u32,
    section: Option<Section>,
    /// 20, 21, 22+23 and 15 records counted, for the 70 record.
    n20: u64,
    n21: u64,
    n22: u64,
    n15: u64,
    file: BankFile,
    errors: Vec<Error>,
    keys: KeyCounts,
}

impl Parser {
    /// A parser for a file of `len` bytes, with room for a transaction
    /// every two records (a 20 and its 26, each with CRLF).
    fn new(len: usize) -> Parser {
        let capacity = len / (2 * RECORD_LEN + 4);
        Parser {
            seen_any: false,
            bad_length: false,
            opened: false,
            closed: false,
            last_line: 0,
            section: None,
            n20: 0,
            n21: 0,
            n22: 0,
            n15: 0,
            file: BankFile {
                format: String::new(),
                statements: Vec::new(),
                transactions: Vec::with_capacity(capacity),
                skipped_not_booked: 0,
            },
            errors: Vec::new(),
            keys: KeyCounts::with_capacity(capacity),
        }
    }

    fn err(&mut self, line: u32, field: &str, value: &str, expected: impl Into<String>) {
        self.errors.push(Error::new(line, field, value, expected));
    }

    fn record(&mut self, line: u32, rec: &Record<'_>) {
        let first = !self.seen_any;
        self.seen_any = true;
        self.last_line = line;
        let code = rec.code();
        if first {
            if &code != b"01" {
                self.err(line, "TK01", &rec.field(1, 22), "a BgMax file starting with an 01 record 01BGMAX");
            } else {
                self.opening(line, rec);
            }
            return;
        }
        if !self.opened {
            // The first record was not an opening record: nothing else makes sense.
            return;
        }
        if self.closed {
            let tk = rec.field(1, 2);
            self.err(line, &format!("TK{tk}"), &tk, "nothing after the 70 closing record");
            return;
        }
        // The code as text for the records that name it (no UTF-8 check of
        // the two bytes per record).
        match &code {
            b"01" => self.err(line, "TK01", "01", "one 01 opening record, at the start of the file"),
            b"05" => self.section_open(line, rec),
            b"20" => self.payment(line, rec, "20", Direction::Credit),
            b"21" => self.payment(line, rec, "21", Direction::Debit),
            b"22" => self.extra_ref(line, rec, "22"),
            b"23" => self.extra_ref(line, rec, "23"),
            b"25" => self.payment_info(line, rec, "25"),
            b"26" => self.payment_info(line, rec, "26"),
            b"27" => self.payment_info(line, rec, "27"),
            b"28" => self.payment_info(line, rec, "28"),
            b"29" => self.payment_info(line, rec, "29"),
            b"15" => self.deposit(line, rec),
            b"70" => self.closing(line, rec),
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {} // unknown type: ignored (manual)
            _ => self.err(line, "TK", &rec.field(1, 2), "a two-digit transaction code"),
        }
    }

    fn opening(&mut self, line: u32, rec: &Record<'_>) {
        let layout = rec.field(3, 22);
        if layout.trim_end() != "BGMAX" {
            self.err(line, "TK01 layout name", &layout, "BGMAX");
            return;
        }
        self.opened = true;
        self.file.format = "bgmax".to_string();
        let version = rec.field(23, 24);
        if !is_digits(&version) {
            self.err(line, "TK01 version", &version, "two digits, like 01");
        }
        let stamp = rec.field(25, 44);
        if !is_digits(&stamp) || NaiveDate::parse_from_str(stamp.get(..8).unwrap_or(""), "%Y%m%d").is_err() {
            self.err(line, "TK01 timestamp", &stamp, "20 digits CCYYMMDDHHMMSSmmmmmm");
        }
        match rec.at(45) {
            'P' => {}
            'T' => self.err(
                line,
                "TK01 test marker",
                "T",
                "P (a production file); T marks a Bankgirot test file whose payments must not be booked",
            ),
            c => self.err(line, "TK01 test marker", &c.to_string(), "P (production) or T (test)"),
        }
    }

    /// Ends the open section without a 15: its payments are dropped.
    fn abandon_section(&mut self) -> Option<Section> {
        let s = self.section.take()?;
        self.file.transactions.truncate(s.first);
        Some(s)
    }

    fn section_open(&mut self, line: u32, rec: &Record<'_>) {
        if let Some(s) = self.abandon_section() {
            self.err(
                line,
                "TK05",
                "05",
                format!("a 15 deposit record closing the section opened on line {} first", s.line),
            );
        }
        let bg = rec.field(3, 12);
        let (account, account_num) = if is_digits(&bg) && bg.bytes().any(|b| b != b'0') {
            (CompactString::from(bg.trim_start_matches('0')), bg.parse().unwrap_or(u64::MAX))
        } else {
            self.err(line, "TK05 payee bankgiro", &bg, "10 digits, zero-filled, not all zeros");
            (CompactString::default(), 0)
        };
        let ccy = rec.field(23, 25);
        let currency = match Currency::from_str_exact(&ccy) {
            Some(c) if ccy.trim() == ccy => Some(c),
            _ => {
                self.err(line, "TK05 currency", &ccy, "an ISO 4217 currency code like SEK");
                None
            }
        };
        let first = self.file.transactions.len();
        self.section = Some(Section { line, account, account_num, currency, first, net: Some(0) });
    }

    /// A 20 (credit) or 21 (deduction) record: a transaction of the section,
    /// completed by the records after it and by the section's 15.
    fn payment(&mut self, line: u32, rec: &Record<'_>, tk: &str, direction: Direction) {
        if direction == Direction::Credit {
            self.n20 += 1;
        } else {
            self.n21 += 1;
        }
        if self.section.is_none() {
            self.err(line, &format!("TK{tk}"), tk, "a payment inside a section (after a 05 record)");
            return;
        }
        let ore = rec.digits(38, 55).map(digits_value);
        if ore.is_none() {
            self.err(
                line,
                &format!("TK{tk} amount"),
                &rec.field(38, 55),
                "18 digits, in öre (the last two are decimals)",
            );
        }
        let refcode = rec.at(56);
        if !refcode.is_ascii_digit() {
            self.err(line, &format!("TK{tk} reference code"), &refcode.to_string(), "a digit 0 to 5");
        }
        let channel = rec.at(57);
        if !channel.is_ascii_digit() {
            self.err(line, &format!("TK{tk} payment channel code"), &channel.to_string(), "a digit 1 to 4");
        }
        let bank_ref = match rec.digits(58, 69) {
            Some(serial) if serial.iter().all(|&b| b == b'0') => CompactString::default(),
            // Digits: ASCII, nothing to trim.
            Some(serial) => {
                rec.ascii.and_then(|s| s.get(57..69)).map_or_else(|| latin1_string(serial), CompactString::from)
            }
            None => {
                let serial = rec.field(58, 69);
                if !serial.trim().is_empty() {
                    self.err(line, &format!("TK{tk} BGC serial number"), &serial, "12 digits");
                }
                CompactString::default()
            }
        };
        let (structured_ref, unstructured) = if refcode == '2' {
            (rec.without_blanks(13, 37), CompactString::default())
        } else {
            (CompactString::default(), CompactString::from(rec.text(13, 37)))
        };
        let Some(s) = self.section.as_mut() else { return };
        s.net = match (s.net, ore) {
            (Some(net), Some(ore)) if direction == Direction::Credit => Some(net + i128::from(ore)),
            (Some(net), Some(ore)) => Some(net - i128::from(ore)),
            _ => None,
        };
        self.file.transactions.push(BankTransaction {
            payment_id: CompactString::default(),
            key: String::new(),
            source: Source { file: String::new(), line },
            account: s.account.clone(),
            bank_ref,
            booking_date: NaiveDate::default(),
            amount: Money::new(
                Decimal::from_i128_with_scale(i128::from(ore.unwrap_or(0)), 2),
                s.currency.unwrap_or(Currency::SEK),
            ),
            direction,
            reversal: false,
            structured_ref,
            unstructured,
            payer: CompactString::default(),
        });
    }

    /// The payment that 22..29 records belong to, or an error.
    fn current(&mut self, line: u32, tk: &str) -> Option<&mut BankTransaction> {
        let first = self.section.as_ref().map_or(usize::MAX, |s| s.first);
        if first >= self.file.transactions.len() {
            self.err(line, &format!("TK{tk}"), tk, "a record following a 20 payment or 21 deduction record");
            return None;
        }
        self.file.transactions.last_mut()
    }

    fn extra_ref(&mut self, line: u32, rec: &Record<'_>, tk: &str) {
        self.n22 += 1;
        if rec.digits(38, 55).is_none() {
            self.err(
                line,
                &format!("TK{tk} amount"),
                &rec.field(38, 55),
                "18 digits, in öre (the last two are decimals)",
            );
        }
        let reference = rec.text(13, 37);
        if let Some(t) = self.current(line, tk) {
            if !reference.is_empty() {
                add_text(t, &reference);
            }
        }
    }

    fn payment_info(&mut self, line: u32, rec: &Record<'_>, tk: &str) {
        let Some(t) = self.current(line, tk) else { return };
        match tk {
            "25" => {
                let text = rec.text(3, 52);
                if !text.is_empty() {
                    add_text(t, &text);
                }
            }
            "26" => {
                let (name, extra) = (rec.text(3, 37), rec.text(38, 72));
                t.payer = match (name.is_empty(), extra.is_empty()) {
                    (_, true) => CompactString::from(name),
                    (true, false) => CompactString::from(extra),
                    (false, false) => {
                        let mut payer = CompactString::with_capacity(name.len() + 1 + extra.len());
                        payer.push_str(&name);
                        payer.push(' ');
                        payer.push_str(&extra);
                        payer
                    }
                };
            }
            _ => {}
        }
    }

    fn deposit(&mut self, line: u32, rec: &Record<'_>) {
        self.n15 += 1;
        let Some(s) = self.section.take() else {
            self.err(line, "TK15", "15", "a deposit record closing a section (after a 05 record)");
            return;
        };
        let payments = self.file.transactions.len().saturating_sub(s.first);
        let raw_date = rec.field(38, 45);
        let date = NaiveDate::parse_from_str(&raw_date, "%Y%m%d").ok().filter(|_| is_digits(&raw_date));
        if date.is_none() {
            self.err(line, "TK15 payment date", &raw_date, "a date CCYYMMDD");
        }
        let deposit = rec.digits(51, 68).map(digits_value);
        if deposit.is_none() {
            self.err(line, "TK15 deposit amount", &rec.field(51, 68), "18 digits, in öre (the last two are decimals)");
        }
        let ccy = rec.field(69, 71);
        if let Some(c) = s.currency {
            if ccy != c.code() {
                self.err(
                    line,
                    "TK15 currency",
                    &ccy,
                    format!("{c} (the currency of the 05 record on line {})", s.line),
                );
            }
        }
        match rec.digits(72, 79).map(digits_value) {
            None => self.err(line, "TK15 number of payments", &rec.field(72, 79), "8 digits"),
            Some(n) if n != payments as u64 && !self.bad_length => self.err(
                line,
                "TK15 number of payments",
                &n.to_string(),
                format!("{payments} (the 20 and 21 records of the section from line {})", s.line),
            ),
            Some(_) => {}
        }
        // Compared only when every amount of the section was readable.
        if let (Some(found), Some(net)) = (deposit, s.net) {
            if i128::from(found) != net && !self.bad_length {
                self.err(
                    line,
                    "TK15 deposit amount",
                    &ore_str(i128::from(found)),
                    format!(
                        "{} (the section's 20 payments minus its 21 deductions, from line {})",
                        ore_str(net),
                        s.line
                    ),
                );
            }
        }
        self.finish_section(s, date);
    }

    /// Gives the section's payments their booking date, key and payment id,
    /// or drops them when the date or currency is bad (already reported),
    /// and adds the section's `Statement`.
    fn finish_section(&mut self, s: Section, date: Option<NaiveDate>) {
        let transactions = &mut self.file.transactions;
        let first = s.first.min(transactions.len());
        match (date, s.currency) {
            (Some(date), Some(_)) => {
                let date_text = date.to_string();
                for t in transactions.iter_mut().skip(first) {
                    t.booking_date = date;
                    t.key = self.keys.key(t, s.account_num, &date_text);
                    t.payment_id = payment_id(&t.key);
                }
            }
            _ => transactions.truncate(first),
        }
        let entries = transactions.len() - first;
        self.file.statements.push(Statement {
            account: s.account.into_string(),
            currency: s.currency,
            opening: None,
            closing: None,
            entries,
        });
    }

    fn closing(&mut self, line: u32, rec: &Record<'_>) {
        self.closed = true;
        if let Some(s) = self.abandon_section() {
            self.err(line, "TK70", "70", format!("a 15 deposit record closing the section opened on line {}", s.line));
        }
        let checks = [
            ("TK70 number of payment records", 3, self.n20, "20 records"),
            ("TK70 number of deduction records", 11, self.n21, "21 records"),
            ("TK70 number of extra reference records", 19, self.n22, "22 and 23 records"),
            ("TK70 number of deposit records", 27, self.n15, "15 records"),
        ];
        for (name, from, counted, what) in checks {
            match rec.digits(from, from + 7).map(digits_value) {
                None => self.err(line, name, &rec.field(from, from + 7), "8 digits"),
                Some(n) if n != counted && !self.bad_length => {
                    self.err(line, name, &n.to_string(), format!("{counted} (the {what} in the file)"));
                }
                Some(_) => {}
            }
        }
    }

    fn finish(&mut self) {
        if !self.seen_any {
            self.err(1, "TK01", "", "a BgMax file starting with an 01 record 01BGMAX");
            return;
        }
        if !self.opened {
            return;
        }
        if let Some(s) = self.abandon_section() {
            self.err(s.line, "TK15", "end of file", "a 15 deposit record closing this section (the file is truncated)");
        }
        if !self.closed {
            let line = self.last_line;
            self.err(line, "TK70", "end of file", "a 70 closing record (the file is truncated)");
        }
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Öre as a decimal string with two decimals, e.g. `-1234.50`.
fn ore_str(ore: i128) -> String {
    Decimal::try_from_i128_with_scale(ore, 2).map_or_else(|_| format!("{ore} öre"), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// An 80-character record: `tk` at 1-2, then each text at its 1-based position.
    fn rec(tk: &str, fields: &[(usize, &str)]) -> String {
        let mut r: Vec<char> = vec![' '; RECORD_LEN];
        for (pos, text) in std::iter::once(&(1, tk)).chain(fields) {
            for (i, c) in text.chars().enumerate() {
                r[pos - 1 + i] = c;
            }
        }
        r.into_iter().collect()
    }

    fn opening(marker: &str) -> String {
        rec("01", &[(3, "BGMAX"), (23, "01"), (25, "20240315120000123456"), (45, marker)])
    }
    fn section(bg: &str, ccy: &str) -> String {
        rec("05", &[(3, bg), (23, ccy)])
    }
    /// 20/21/22/23: reference right-aligned as in the samples, amount in öre.
    fn pay(tk: &str, reference: &str, ore: u64, refcode: &str, serial: &str) -> String {
        let reference = format!("{reference:>25}");
        let amount = format!("{ore:018}");
        rec(
            tk,
            &[(3, "0009912346"), (13, &reference), (38, &amount), (56, refcode), (57, "1"), (58, serial), (70, "0")],
        )
    }
    fn deposit(date: &str, ore: u64, ccy: &str, n: u32) -> String {
        let amount = format!("{ore:018}");
        let count = format!("{n:08}");
        rec(
            "15",
            &[
                (3, &format!("{:035}", 58410000010098u64)),
                (38, date),
                (46, "00001"),
                (51, &amount),
                (69, ccy),
                (72, &count),
            ],
        )
    }
    fn end(n20: u32, n21: u32, n22: u32, n15: u32) -> String {
        rec("70", &[(3, &format!("{n20:08}{n21:08}{n22:08}{n15:08}"))])
    }

    /// The small file: 01, 05, 20 (OCR), 26, 20 (text ref), 22, 25, 26, 21, 15, 70.
    fn small() -> Vec<String> {
        vec![
            opening("P"),
            section("0001234567", "SEK"),
            pay("20", "7000101", 125_000, "2", "000000000101"),
            rec("26", &[(3, "Anna Andersson")]),
            pay("20", "Faktura 4711", 45_000, "3", "000000000102"),
            pay("22", "4712", 0, "3", "000000000102"),
            rec("25", &[(3, "delbetalning")]),
            rec("26", &[(3, "Erik Karlsson"), (38, "c/o Berg")]),
            pay("21", "4711", 20_000, "3", "000000000103"),
            deposit("20240315", 150_000, "SEK", 3),
            end(2, 1, 1, 1),
        ]
    }

    fn joined(lines: &[String], sep: &str) -> Vec<u8> {
        lines.join(sep).into_bytes()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn errors_of(lines: &[String]) -> Vec<(u32, String, String)> {
        parse(&joined(lines, "\r\n")).unwrap_err().into_iter().map(|e| (e.line, e.field, e.value)).collect()
    }

    #[test]
    fn reads_the_small_file_field_by_field() {
        assert!(small().iter().all(|l| l.len() == 80));
        let f = parse(&joined(&small(), "")).unwrap();
        assert_eq!(f.format, "bgmax");
        assert_eq!(f.skipped_not_booked, 0);
        assert_eq!(
            f.statements,
            vec![Statement {
                account: "1234567".into(),
                currency: Some(Currency::SEK),
                opening: None,
                closing: None,
                entries: 3
            }]
        );
        let t = &f.transactions;
        assert_eq!(t.len(), 3);
        for x in t {
            assert_eq!(x.account, "1234567");
            assert_eq!(x.booking_date, d("2024-03-15"));
            assert!(!x.reversal);
            assert!(x.source.file.is_empty());
            assert_eq!(x.payment_id, payment_id(&x.key));
        }
        assert_eq!(t[0].source.line, 3);
        assert_eq!(t[0].bank_ref, "000000000101");
        assert_eq!(t[0].amount, Money::new(dec!(1250.00), Currency::SEK));
        assert_eq!(t[0].direction, Direction::Credit);
        assert_eq!(t[0].structured_ref, "7000101");
        assert_eq!(t[0].unstructured, "");
        assert_eq!(t[0].payer, "Anna Andersson");
        assert_eq!(t[0].key, "1234567|000000000101|2024-03-15|credit|1250.00");

        assert_eq!(t[1].source.line, 5);
        assert_eq!(t[1].amount, Money::new(dec!(450.00), Currency::SEK));
        assert_eq!(t[1].structured_ref, "");
        assert_eq!(t[1].unstructured, "Faktura 4711 4712 delbetalning");
        assert_eq!(t[1].payer, "Erik Karlsson c/o Berg");

        assert_eq!(t[2].source.line, 9);
        assert_eq!(t[2].direction, Direction::Debit);
        assert_eq!(t[2].amount, Money::new(dec!(200.00), Currency::SEK));
        assert_eq!(t[2].unstructured, "4711");
        assert_eq!(t[2].payer, "");
        assert_eq!(t[2].key, "1234567|000000000103|2024-03-15|debit|200.00");
    }

    #[test]
    fn line_terminators_trimming_and_tabs_give_the_same_file() {
        let want = parse(&joined(&small(), "")).unwrap();
        for sep in ["\r\n", "\n", "\r"] {
            assert_eq!(parse(&joined(&small(), sep)).unwrap(), want, "{sep:?}");
            // Final terminator and a trailing blank line are fine too.
            let mut bytes = joined(&small(), sep);
            bytes.extend_from_slice(format!("{sep}{sep}").as_bytes());
            assert_eq!(parse(&bytes).unwrap(), want, "{sep:?} with trailing lines");
        }
        // Right-trimmed records, and the 22's blank reference columns as
        // TABs (8-column stops, as in the Bankgirot sample).
        let mut lines: Vec<String> = small().iter().map(|l| l.trim_end().to_string()).collect();
        let twenty_two = lines[5].clone();
        assert_eq!(&twenty_two[12..33], " ".repeat(21));
        lines[5] = format!("{}\t\t{}", &twenty_two[..12], &twenty_two[24..]);
        assert_eq!(parse(&joined(&lines, "\n")).unwrap(), want);
    }

    #[test]
    fn utf8_resave_is_decoded_as_utf8_and_latin1_as_latin1() {
        let mut lines = small();
        lines[3] = rec("26", &[(3, "Björn Öberg")]);
        let text = lines.join("\n");
        let latin1: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
        let a = parse(&latin1).unwrap();
        let b = parse(text.as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.transactions[0].payer, "Björn Öberg");
        // UTF-8 with one stray ISO-8859-1 byte is not UTF-8: read as ISO-8859-1,
        // the 26 record is 82 characters and the file is refused.
        let mut mixed = text.into_bytes();
        let pos = mixed.windows(4).position(|w| w == b"delb").unwrap();
        mixed[pos] = 0xE5;
        let errs = parse(&mixed).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (4, "record length"));
        assert!(errs[0].expected.contains("found 82"), "{errs:?}");
        assert_eq!(errs.len(), 1, "no control-total noise: {errs:?}");
    }

    #[test]
    fn control_total_mismatches_name_the_line_field_and_both_figures() {
        let mut lines = small();
        lines[9] = deposit("20240315", 160_000, "SEK", 4);
        lines[10] = end(3, 1, 2, 1);
        let errs = parse(&joined(&lines, "\r\n")).unwrap_err();
        let got: Vec<(u32, &str, &str)> = errs.iter().map(|e| (e.line, e.field.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            [
                (10, "TK15 number of payments", "4"),
                (10, "TK15 deposit amount", "1600.00"),
                (11, "TK70 number of payment records", "3"),
                (11, "TK70 number of extra reference records", "2"),
            ]
        );
        assert!(errs[0].expected.starts_with("3 "), "{}", errs[0].expected);
        assert!(errs[1].expected.starts_with("1500.00 "), "{}", errs[1].expected);
        assert!(errs[2].expected.starts_with("2 "), "{}", errs[2].expected);
        assert!(errs[3].expected.starts_with("1 "), "{}", errs[3].expected);
        assert!(errs.iter().all(|e| e.file.is_empty()));
    }

    #[test]
    fn bad_values_name_line_and_field() {
        let mut lines = small();
        lines[2].replace_range(49..50, "X");
        assert_eq!(errors_of(&lines), [(3, "TK20 amount".to_string(), "000000000000X25000".to_string())]);

        let mut lines = small();
        lines[9] = deposit("20240230", 150_000, "EUR", 3);
        lines[1] = section("0000000000", "SEK");
        let got = errors_of(&lines);
        assert_eq!(
            got,
            [
                (2, "TK05 payee bankgiro".to_string(), "0000000000".to_string()),
                (10, "TK15 payment date".to_string(), "20240230".to_string()),
                (10, "TK15 currency".to_string(), "EUR".to_string()),
            ]
        );

        let mut lines = small();
        lines[1] = section("0001234567", "kr");
        assert_eq!(errors_of(&lines), [(2, "TK05 currency".to_string(), "kr ".to_string())]);
    }

    #[test]
    fn structure_errors() {
        // Test file.
        let mut lines = small();
        lines[0] = opening("T");
        assert_eq!(errors_of(&lines)[0].1, "TK01 test marker");
        // Not BgMax at all.
        let errs = parse(b"hello").unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (1, "TK01"));
        assert_eq!(parse(b"").unwrap_err()[0].field, "TK01");
        // Truncated: no 15, no 70.
        let errs = errors_of(&small()[..9]);
        assert_eq!(errs, [(2, "TK15".into(), "end of file".into()), (9, "TK70".into(), "end of file".into())]);
        // A 22 before any payment, a record after 70.
        let mut lines = small();
        lines.insert(2, pay("22", "1", 0, "3", "000000000100"));
        lines.push(rec("20", &[]));
        let errs = errors_of(&lines);
        assert_eq!((errs[0].0, errs[0].1.as_str()), (3, "TK22"));
        assert_eq!(errs.last().map(|e| (e.0, e.1.as_str())), Some((13, "TK20")));
        // An unknown record type is ignored (the manual says so); a non-numeric one is not.
        let mut lines = small();
        lines.insert(3, rec("99", &[(3, "future")]));
        assert_eq!(parse(&joined(&lines, "\n")).unwrap().transactions.len(), 3);
        lines[3] = rec("X9", &[]);
        assert_eq!(errors_of(&lines), [(4, "TK".to_string(), "X9".to_string())]);
        // A first record that is too long is the only error reported.
        let mut lines = small();
        lines[0].push('x');
        let errs = errors_of(&lines);
        assert_eq!(errs.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(), [(1, "record length")]);
    }

    #[test]
    fn keys_without_serial_get_positions_and_repeated_serials_a_suffix() {
        let lines = vec![
            opening("P"),
            section("0001234567", "SEK"),
            pay("20", "100", 1_000, "2", "000000000000"),
            pay("20", "100", 1_000, "2", "            "),
            pay("20", "", 500, "0", "000000000007"),
            pay("20", "", 500, "0", "000000000007"),
            deposit("20240102", 3_000, "SEK", 4),
            end(4, 0, 0, 1),
        ];
        let f = parse(&joined(&lines, "\n")).unwrap();
        let keys: Vec<&str> = f.transactions.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "1234567|2024-01-02|credit|10.00|100||0",
                "1234567|2024-01-02|credit|10.00|100||1",
                "1234567|000000000007|2024-01-02|credit|5.00",
                "1234567|000000000007|2024-01-02|credit|5.00|1",
            ]
        );
        assert_eq!(f.transactions[0].bank_ref, "");
    }

    #[test]
    fn sections_keep_their_own_currency_account_and_date() {
        let lines = vec![
            opening("P"),
            section("0001234567", "SEK"),
            pay("20", "", 1_000, "0", "000000000001"),
            deposit("20240102", 1_000, "SEK", 1),
            section("0007654321", "EUR"),
            pay("20", "", 2_000, "0", "000000000002"),
            deposit("20240103", 2_000, "EUR", 1),
            end(2, 0, 0, 2),
        ];
        let f = parse(&joined(&lines, "")).unwrap();
        let got: Vec<(&str, Currency, NaiveDate)> =
            f.transactions.iter().map(|t| (t.account.as_str(), t.amount.currency(), t.booking_date)).collect();
        assert_eq!(got, [("1234567", Currency::SEK, d("2024-01-02")), ("7654321", Currency::EUR, d("2024-01-03"))]);
        assert_eq!(f.statements.len(), 2);
        assert_eq!(f.statements[1].currency, Some(Currency::EUR));
    }

    #[test]
    fn latin1_blanks_are_char_whitespace() {
        for b in 0..=255u8 {
            assert_eq!(is_latin1_space(b), char::from(b).is_whitespace(), "{b:#x}");
        }
    }

    #[test]
    fn texts_are_trimmed_and_stripped_as_str_does() {
        for s in ["", " ", "  a b  ", "\u{a0}x ", " x\t", "\u{85}", "å ", " \u{3000}y\u{3000} ", "1 2\u{a0}3"] {
            let stripped: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            let utf8 = Record::new(Text::Utf8(s)).unwrap();
            assert_eq!(utf8.text(1, RECORD_LEN), s.trim(), "{s:?}");
            assert_eq!(utf8.without_blanks(1, RECORD_LEN), stripped, "{s:?}");
            let latin1: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(c).ok()).collect();
            if let Some(latin1) = latin1 {
                let rec = Record::new(Text::Latin1(&latin1)).unwrap();
                assert_eq!(rec.text(1, RECORD_LEN), s.trim(), "{s:?}");
                assert_eq!(rec.without_blanks(1, RECORD_LEN), stripped, "{s:?}");
            }
        }
    }

    #[test]
    fn records_read_codes_and_digits_from_bytes_in_both_encodings() {
        let utf8 = Record::new(Text::Utf8("20å1234\t9")).unwrap();
        assert_eq!(utf8.code(), *b"20");
        assert_eq!(utf8.at(3), 'å');
        assert_eq!(utf8.digits(4, 7), Some(&b"1234"[..]));
        assert_eq!(utf8.digits(3, 7), None);
        assert_eq!(utf8.at(9), '9');
        assert_eq!(utf8.field(8, 10), " 9 ");
        let latin1 = Record::new(Text::Latin1(b"20\xe51234")).unwrap();
        assert_eq!(latin1.at(3), 'å');
        assert_eq!(latin1.field(1, 4), "20å1");
        assert_eq!(Record::new(Text::Latin1(&[b'x'; 81])).err(), Some(81));
        assert_eq!(Record::new(Text::Utf8(&"å".repeat(81))).err(), Some(81));
    }

    #[test]
    fn sniff_recognises_bgmax_only() {
        assert!(sniff(joined(&small(), "").as_slice()));
        assert!(!sniff(b"01BGMA"));
        assert!(!sniff(b"<Document/>"));
    }

    #[test]
    fn every_truncation_before_the_70_record_is_an_error() {
        let bytes = joined(&small(), "");
        // The 70 record's figures end at position 34.
        let last = bytes.len() - RECORD_LEN + 34;
        for i in 0..last {
            assert!(parse(&bytes[..i]).is_err(), "prefix of {i} bytes parsed");
        }
        assert!(parse(&bytes[..last]).is_ok());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse(&bytes);
            let _ = sniff(&bytes);
        }

        #[test]
        fn mutated_files_never_panic(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000, sep in 0usize..3) {
            let mut bytes = joined(&small(), ["", "\r\n", "\n"][sep]);
            let p = pos % bytes.len();
            bytes[p] = byte;
            bytes.truncate(bytes.len() - cut % bytes.len());
            let _ = parse(&bytes);
        }

        #[test]
        fn prefixed_garbage_records_never_panic(tail in "[0-9A-Z \t\r\nåäö]{0,400}") {
            let mut text = small()[..3].join("");
            text.push_str(&tail);
            let _ = parse(text.as_bytes());
        }
    }
}
