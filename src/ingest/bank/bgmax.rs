//! Bankgirot BgMax reader (Bankgiro Inbetalningar, layout `BGMAX` version 01).
//!
//! Rules:
//! - Input is ISO-8859-1, read as bytes (one byte, one character): only the
//!   fields read are decoded (`encoding_rs::mem::decode_latin1`, borrowed
//!   when ASCII), and a record is copied only to pad it or expand a TAB.
//!   One exception: bytes that are valid UTF-8 *and* contain non-ASCII
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
//!   decimals), `direction` `credit`/`debit`. `payment_id` is `P` + the first
//!   16 hex digits of SHA-256 of the key. The counts are kept without
//!   building strings for keys with a bank reference (`RefKey`); SHA-256 is
//!   then most of the parse time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{payment_id, BankFile, Statement};
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
    let mut p = Parser::new();
    for_each_record(decode(bytes), |line, raw| match to_record(raw) {
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

    /// Nothing but white space (as `str::trim` sees it).
    fn is_blank(self) -> bool {
        match self {
            Text::Latin1(b) => b.iter().all(|&c| char::from(c).is_whitespace()),
            Text::Utf8(s) => s.trim().is_empty(),
        }
    }

    fn to_str(self) -> Cow<'a, str> {
        match self {
            Text::Latin1(b) => encoding_rs::mem::decode_latin1(b),
            Text::Utf8(s) => Cow::Borrowed(s),
        }
    }
}

/// ISO-8859-1, or UTF-8 when the bytes are valid UTF-8 with non-ASCII in them.
fn decode(bytes: &[u8]) -> Text<'_> {
    if !bytes.is_ascii() {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return Text::Utf8(s.strip_prefix('\u{feff}').unwrap_or(s));
        }
    }
    Text::Latin1(bytes)
}

/// Calls `f(line number, record text)` for each record: lines when there
/// are line terminators, else 80-character slices. Blank lines are skipped
/// (they keep their number).
fn for_each_record<'a>(text: Text<'a>, mut f: impl FnMut(u32, Text<'a>)) {
    let bytes = text.bytes();
    let eol = |b: &[u8]| b.iter().position(|&c| c == b'\r' || c == b'\n');
    if eol(bytes).is_some() {
        let mut line = 0u32;
        let mut pos = 0;
        while pos < bytes.len() {
            line = line.saturating_add(1);
            let rest = bytes.get(pos..).unwrap_or_default();
            let (end, next) = match eol(rest) {
                Some(i) => (pos + i, pos + i + if rest[i..].starts_with(b"\r\n") { 2 } else { 1 }),
                None => (bytes.len(), bytes.len()),
            };
            let body = text.slice(pos, end);
            if !body.is_blank() {
                f(line, body);
            }
            pos = next;
        }
        return;
    }
    match text {
        Text::Latin1(b) => {
            let mut records = b.chunks(RECORD_LEN).peekable();
            let mut line = 0u32;
            while let Some(rec) = records.next() {
                line = line.saturating_add(1);
                let last = records.peek().is_none();
                if !last || !Text::Latin1(rec).is_blank() {
                    f(line, Text::Latin1(rec));
                }
            }
        }
        Text::Utf8(s) => {
            let mut line = 0u32;
            let mut start = 0;
            let mut n = 0;
            for (i, _) in s.char_indices() {
                if n == RECORD_LEN {
                    line = line.saturating_add(1);
                    f(line, Text::Utf8(&s[start..i]));
                    start = i;
                    n = 0;
                }
                n += 1;
            }
            if start < s.len() && !s[start..].trim().is_empty() {
                f(line.saturating_add(1), Text::Utf8(&s[start..]));
            }
        }
    }
}

/// One record, padded with blanks to 80 characters.
enum Record {
    /// ISO-8859-1: one byte per character.
    Latin1([u8; RECORD_LEN]),
    /// A UTF-8 file: characters.
    Chars(Vec<char>),
}

impl Record {
    /// Positions `from..=to` (1-based, inclusive); borrowed when ASCII.
    fn field(&self, from: usize, to: usize) -> Cow<'_, str> {
        match self {
            Record::Latin1(b) => encoding_rs::mem::decode_latin1(b.get(from - 1..to).unwrap_or_default()),
            Record::Chars(c) => Cow::Owned(c.get(from - 1..to).unwrap_or_default().iter().collect()),
        }
    }

    /// Position `pos` (1-based).
    fn at(&self, pos: usize) -> char {
        match self {
            Record::Latin1(b) => b.get(pos - 1).map_or(' ', |&c| char::from(c)),
            Record::Chars(c) => c.get(pos - 1).copied().unwrap_or(' '),
        }
    }
}

/// Expands TABs (8-column stops) and pads to 80 characters; `Err(length)`
/// when the record is longer than 80. Without a TAB, an ISO-8859-1 record
/// is only copied.
fn to_record(raw: Text<'_>) -> Result<Record, usize> {
    match raw {
        Text::Latin1(b) => {
            let mut rec = [b' '; RECORD_LEN];
            if b.len() <= RECORD_LEN && !b.contains(&b'\t') {
                rec[..b.len()].copy_from_slice(b);
                return Ok(Record::Latin1(rec));
            }
            let mut expanded = Vec::with_capacity(RECORD_LEN);
            for &c in b {
                if c == b'\t' {
                    expanded.resize((expanded.len() / 8 + 1) * 8, b' ');
                } else {
                    expanded.push(c);
                }
            }
            let n = expanded.len();
            rec.get_mut(..n).ok_or(n)?.copy_from_slice(&expanded);
            Ok(Record::Latin1(rec))
        }
        Text::Utf8(s) => {
            let mut rec = Vec::with_capacity(RECORD_LEN);
            for c in s.chars() {
                if c == '\t' {
                    rec.resize((rec.len() / 8 + 1) * 8, ' ');
                } else {
                    rec.push(c);
                }
            }
            if rec.len() > RECORD_LEN {
                return Err(rec.len());
            }
            rec.resize(RECORD_LEN, ' ');
            Ok(Record::Chars(rec))
        }
    }
}

/// A 20 or 21 record with what followed it.
struct Pay {
    line: u32,
    direction: Direction,
    /// In öre; `None` when the field was bad (already reported).
    ore: Option<u64>,
    bank_ref: String,
    structured_ref: String,
    /// The reference (code other than 2), 22/23 and 25 texts, joined by
    /// one space.
    unstructured: String,
    payer: String,
}

impl Pay {
    /// Appends a trimmed, non-empty text to `unstructured`.
    fn add_text(&mut self, text: &str) {
        if !self.unstructured.is_empty() {
            self.unstructured.push(' ');
        }
        self.unstructured.push_str(text);
    }
}

/// An open section (05 seen, 15 not yet).
struct Section {
    line: u32,
    account: String,
    /// `account` as a number (0 when invalid), for the key counts.
    account_num: u64,
    currency: Option<Currency>,
    pays: Vec<Pay>,
}

/// The parts of a key with a bank reference: account, bank reference,
/// booking date, direction, öre. Equal exactly when the key strings are
/// (the account and the 12-digit reference are digit strings without and
/// with leading zeros), so counting these counts the keys without building
/// a string for the map.
type RefKey = (u64, u64, NaiveDate, Direction, u64);

/// A multiply-rotate hasher for `RefKey` (its parts are small integers):
/// SipHash cost more than the rest of a key's bookkeeping. The figures come
/// from a bank file, not from an adversary choosing collisions.
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
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
    /// Occurrences so far of each key with a bank reference ...
    ref_keys: HashMap<RefKey, usize, BuildHasherDefault<KeyHasher>>,
    /// ... and of each key without one (without its `|{n}`); the two kinds
    /// never coincide (the second part is 12 digits, or a date).
    text_keys: HashMap<String, usize>,
}

impl Parser {
    fn new() -> Parser {
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
                transactions: Vec::new(),
                skipped_not_booked: 0,
            },
            errors: Vec::new(),
            ref_keys: HashMap::default(),
            text_keys: HashMap::new(),
        }
    }

    fn err(&mut self, line: u32, field: &str, value: &str, expected: impl Into<String>) {
        self.errors.push(Error::new(line, field, value, expected));
    }

    fn record(&mut self, line: u32, rec: &Record) {
        let first = !self.seen_any;
        self.seen_any = true;
        self.last_line = line;
        let tk = rec.field(1, 2);
        if first {
            if tk != "01" {
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
            self.err(line, &format!("TK{tk}"), &tk, "nothing after the 70 closing record");
            return;
        }
        match &*tk {
            "01" => self.err(line, "TK01", &tk, "one 01 opening record, at the start of the file"),
            "05" => self.section_open(line, rec),
            "20" | "21" => self.payment(line, rec, &tk),
            "22" | "23" => self.extra_ref(line, rec, &tk),
            "25" | "26" | "27" | "28" | "29" => self.payment_info(line, rec, &tk),
            "15" => self.deposit(line, rec),
            "70" => self.closing(line, rec),
            t if t.chars().all(|c| c.is_ascii_digit()) => {} // unknown type: ignored (manual)
            _ => self.err(line, "TK", &tk, "a two-digit transaction code"),
        }
    }

    fn opening(&mut self, line: u32, rec: &Record) {
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

    fn section_open(&mut self, line: u32, rec: &Record) {
        if let Some(s) = self.section.take() {
            self.err(
                line,
                "TK05",
                "05",
                format!("a 15 deposit record closing the section opened on line {} first", s.line),
            );
        }
        let bg = rec.field(3, 12);
        let (account, account_num) = if is_digits(&bg) && bg.bytes().any(|b| b != b'0') {
            (bg.trim_start_matches('0').to_string(), bg.parse().unwrap_or(u64::MAX))
        } else {
            self.err(line, "TK05 payee bankgiro", &bg, "10 digits, zero-filled, not all zeros");
            (String::new(), 0)
        };
        let ccy = rec.field(23, 25);
        let currency = match Currency::from_str_exact(&ccy) {
            Some(c) if ccy.trim() == ccy => Some(c),
            _ => {
                self.err(line, "TK05 currency", &ccy, "an ISO 4217 currency code like SEK");
                None
            }
        };
        self.section = Some(Section { line, account, account_num, currency, pays: Vec::new() });
    }

    fn payment(&mut self, line: u32, rec: &Record, tk: &str) {
        let direction = if tk == "20" {
            self.n20 += 1;
            Direction::Credit
        } else {
            self.n21 += 1;
            Direction::Debit
        };
        if self.section.is_none() {
            self.err(line, &format!("TK{tk}"), tk, "a payment inside a section (after a 05 record)");
            return;
        }
        let amount = rec.field(38, 55);
        let ore = parse_ore(&amount);
        if ore.is_none() {
            self.err(line, &format!("TK{tk} amount"), &amount, "18 digits, in öre (the last two are decimals)");
        }
        let refcode = rec.at(56);
        if !refcode.is_ascii_digit() {
            self.err(line, &format!("TK{tk} reference code"), &refcode.to_string(), "a digit 0 to 5");
        }
        let channel = rec.at(57);
        if !channel.is_ascii_digit() {
            self.err(line, &format!("TK{tk} payment channel code"), &channel.to_string(), "a digit 1 to 4");
        }
        let serial = rec.field(58, 69);
        let bank_ref = if trim(&serial).is_empty() || serial.bytes().all(|b| b == b'0') {
            String::new()
        } else if is_digits(&serial) {
            serial.into_owned()
        } else {
            self.err(line, &format!("TK{tk} BGC serial number"), &serial, "12 digits");
            String::new()
        };
        let reference = rec.field(13, 37);
        let (structured_ref, unstructured) = if refcode == '2' {
            (reference.chars().filter(|c| !c.is_whitespace()).collect(), String::new())
        } else {
            (String::new(), trim(&reference).to_string())
        };
        if let Some(s) = self.section.as_mut() {
            s.pays.push(Pay { line, direction, ore, bank_ref, structured_ref, unstructured, payer: String::new() });
        }
    }

    /// The payment that 22..29 records belong to, or an error.
    fn current(&mut self, line: u32, tk: &str) -> Option<&mut Pay> {
        let has = self.section.as_ref().is_some_and(|s| !s.pays.is_empty());
        if !has {
            self.err(line, &format!("TK{tk}"), tk, "a record following a 20 payment or 21 deduction record");
            return None;
        }
        self.section.as_mut().and_then(|s| s.pays.last_mut())
    }

    fn extra_ref(&mut self, line: u32, rec: &Record, tk: &str) {
        self.n22 += 1;
        let amount = rec.field(38, 55);
        if parse_ore(&amount).is_none() {
            self.err(line, &format!("TK{tk} amount"), &amount, "18 digits, in öre (the last two are decimals)");
        }
        let reference = rec.field(13, 37);
        if let Some(p) = self.current(line, tk) {
            let r = trim(&reference);
            if !r.is_empty() {
                p.add_text(r);
            }
        }
    }

    fn payment_info(&mut self, line: u32, rec: &Record, tk: &str) {
        let Some(p) = self.current(line, tk) else { return };
        match tk {
            "25" => {
                let t = rec.field(3, 52);
                let t = trim(&t);
                if !t.is_empty() {
                    p.add_text(t);
                }
            }
            "26" => {
                let name = rec.field(3, 37);
                let extra = rec.field(38, 72);
                let (name, extra) = (trim(&name), trim(&extra));
                p.payer = match (name.is_empty(), extra.is_empty()) {
                    (_, true) => name.to_string(),
                    (true, false) => extra.to_string(),
                    (false, false) => format!("{name} {extra}"),
                };
            }
            _ => {}
        }
    }

    fn deposit(&mut self, line: u32, rec: &Record) {
        self.n15 += 1;
        let Some(s) = self.section.take() else {
            self.err(line, "TK15", "15", "a deposit record closing a section (after a 05 record)");
            return;
        };
        let raw_date = rec.field(38, 45);
        let date = NaiveDate::parse_from_str(&raw_date, "%Y%m%d").ok().filter(|_| is_digits(&raw_date));
        if date.is_none() {
            self.err(line, "TK15 payment date", &raw_date, "a date CCYYMMDD");
        }
        let amount = rec.field(51, 68);
        let deposit = parse_ore(&amount);
        if deposit.is_none() {
            self.err(line, "TK15 deposit amount", &amount, "18 digits, in öre (the last two are decimals)");
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
        let count = rec.field(72, 79);
        match count.parse::<u64>().ok().filter(|_| is_digits(&count)) {
            None => self.err(line, "TK15 number of payments", &count, "8 digits"),
            Some(n) if n != s.pays.len() as u64 && !self.bad_length => self.err(
                line,
                "TK15 number of payments",
                &n.to_string(),
                format!("{} (the 20 and 21 records of the section from line {})", s.pays.len(), s.line),
            ),
            Some(_) => {}
        }
        // Sum only when every amount of the section was readable.
        let net: Option<i128> = s.pays.iter().try_fold(0i128, |acc, p| {
            let a = i128::from(p.ore?);
            Some(if p.direction == Direction::Credit { acc + a } else { acc - a })
        });
        if let (Some(found), Some(net)) = (deposit, net) {
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

    fn finish_section(&mut self, s: Section, date: Option<NaiveDate>) {
        let mut produced = 0;
        if let (Some(date), Some(ccy)) = (date, s.currency) {
            let date_str = date.to_string();
            self.file.transactions.reserve(s.pays.len());
            for p in s.pays {
                let Some(ore) = p.ore else { continue };
                let key = self.key((&s.account, s.account_num), &date_str, date, &p, ore);
                self.file.transactions.push(BankTransaction {
                    payment_id: payment_id(&key),
                    key,
                    source: Source { file: String::new(), line: p.line },
                    account: s.account.clone(),
                    bank_ref: p.bank_ref,
                    booking_date: date,
                    amount: Money::new(Decimal::from_i128_with_scale(i128::from(ore), 2), ccy),
                    direction: p.direction,
                    reversal: false,
                    structured_ref: p.structured_ref,
                    unstructured: p.unstructured,
                    payer: p.payer,
                });
                produced += 1;
            }
        }
        self.file.statements.push(Statement {
            account: s.account,
            currency: s.currency,
            opening: None,
            closing: None,
            entries: produced,
        });
    }

    /// The idempotency key of a payment (see the module doc); `account` is
    /// the section's, as text and number.
    fn key(&mut self, account: (&str, u64), date_str: &str, date: NaiveDate, p: &Pay, ore: u64) -> String {
        let dir = match p.direction {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        };
        let mut key = String::with_capacity(64 + p.structured_ref.len() + p.unstructured.len());
        key.push_str(account.0);
        key.push('|');
        if p.bank_ref.is_empty() {
            for part in [date_str, dir] {
                key.push_str(part);
                key.push('|');
            }
            push_amount(&mut key, ore);
            for part in [&p.structured_ref, &p.unstructured] {
                key.push('|');
                key.push_str(part);
            }
            let seen = self.text_keys.entry(key.clone()).or_insert(0);
            push_count(&mut key, *seen);
            *seen += 1;
        } else {
            for part in [&p.bank_ref, date_str, dir] {
                key.push_str(part);
                key.push('|');
            }
            push_amount(&mut key, ore);
            let bank_ref = p.bank_ref.parse().unwrap_or(u64::MAX);
            let seen = self.ref_keys.entry((account.1, bank_ref, date, p.direction, ore)).or_insert(0);
            if *seen > 0 {
                push_count(&mut key, *seen);
            }
            *seen += 1;
        }
        key
    }

    fn closing(&mut self, line: u32, rec: &Record) {
        self.closed = true;
        if let Some(s) = self.section.take() {
            self.err(line, "TK70", "70", format!("a 15 deposit record closing the section opened on line {}", s.line));
        }
        let checks = [
            ("TK70 number of payment records", 3, self.n20, "20 records"),
            ("TK70 number of deduction records", 11, self.n21, "21 records"),
            ("TK70 number of extra reference records", 19, self.n22, "22 and 23 records"),
            ("TK70 number of deposit records", 27, self.n15, "15 records"),
        ];
        for (name, from, counted, what) in checks {
            let raw = rec.field(from, from + 7);
            match raw.parse::<u64>().ok().filter(|_| is_digits(&raw)) {
                None => self.err(line, name, &raw, "8 digits"),
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
        if let Some(s) = self.section.take() {
            self.err(s.line, "TK15", "end of file", "a 15 deposit record closing this section (the file is truncated)");
        }
        if !self.closed {
            let line = self.last_line;
            self.err(line, "TK70", "end of file", "a 70 closing record (the file is truncated)");
        }
    }
}

/// Appends öre as the canonical amount of the key (`canonical`): at least
/// two decimals, here exactly two, e.g. `1250.00`.
fn push_amount(key: &mut String, ore: u64) {
    use std::fmt::Write;
    let _ = write!(key, "{}.{:02}", ore / 100, ore % 100);
}

/// Appends `|{n}` to a key.
fn push_count(key: &mut String, n: usize) {
    use std::fmt::Write;
    let _ = write!(key, "|{n}");
}

/// `str::trim`, quicker for the usual blank padding: blanks are cut as
/// bytes, and only other white space left at an end needs `str::trim`.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    // Cut next to ASCII blanks: character boundaries.
    let t = s.get(start..end).unwrap_or(s);
    if t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace) {
        t.trim()
    } else {
        t
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// An 18-digit zero-filled öre amount.
fn parse_ore(s: &str) -> Option<u64> {
    if s.len() != 18 || !is_digits(s) {
        return None;
    }
    s.parse().ok()
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
    fn key_amounts_are_canonical() {
        for ore in (0..2_000).chain([99_999_999_999_999_999, 100_000, 1_234_560, 120]) {
            let mut s = String::new();
            push_amount(&mut s, ore);
            assert_eq!(s, super::super::canonical(Decimal::from_i128_with_scale(i128::from(ore), 2)), "{ore}");
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in ["", " ", "  a b  ", "\u{a0}x ", " x\t", "\u{85}", "å ", " \u{3000}y\u{3000} "] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
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
