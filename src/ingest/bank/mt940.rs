//! SWIFT MT940 (customer statement message) reader.
//!
//! Rules:
//! - Input is UTF-8 (with or without BOM) or, when it is not valid UTF-8,
//!   ISO-8859-1 (every byte one character). LF or CRLF. Line numbers are
//!   1-based lines of the input.
//! - Lines before the first `:20:` are skipped (free-text preambles, the
//!   Rabobank `:940:` line, ABN AMRO's `ABNANL2A` / `940` header lines).
//!   SWIFT envelope blocks `{1:..}{2:..}{3:..}` and the `{4:` opener are
//!   stripped from the start of a line; a line `-` or starting with `-}`
//!   ends a statement, and lines after it are skipped up to the next
//!   `:20:`. Blank lines are ignored everywhere. A new `:20:` also starts a
//!   new statement.
//! - A tag line is `:NN:` or `:NNa:`; any other line inside a statement
//!   continues the previous tag. Unknown tags (`:21:`, `:13D:`, ...) are
//!   ignored with their continuation lines; so are `:20:`'s value, `:28:` /
//!   `:28C:`, `:64:` and `:65:`.
//! - Each `:20:` block is a `Statement`: account the `:25:` value trimmed,
//!   opening balance `:60F:` or `:60M:`, closing `:62F:` or `:62M:` (mark
//!   `C`/`D`, date `YYMMDD`, currency, amount; signed, `D` negative),
//!   currency the opening balance's. All four are required.
//! - One `BankTransaction` per `:61:` line:
//!   value date `YYMMDD` (years 80-99 are 19xx, others 20xx), optional entry
//!   date `MMDD`, mark `C`, `D`, `RC` or `RD`, optional funds-code letter,
//!   amount, transaction type (`N`/`F`/`S` + 3 characters), customer
//!   reference (at most 16 characters, up to `//`), bank reference after
//!   `//` (at most 16 characters). Text beyond those 16 characters on the
//!   same line (Rabobank puts the counterparty name there) and the optional
//!   supplementary-details line are not used.
//!   - Direction: `C` credit, `D` debit; `RC` (reversal of a credit) is a
//!     debit and `RD` (reversal of a debit) a credit, both with
//!     `reversal = true`.
//!   - Booking date: the entry date, with the year of the value date moved
//!     by one where that brings it closer (an entry date `1231` for a value
//!     date `240102` is 2023-12-31); else the value date.
//!   - Bank reference: the reference after `//` if non-empty, else the
//!     customer reference unless it is `NONREF`.
//! - `:86:` lines (and their continuation lines, and further `:86:` tags)
//!   after a `:61:` and before the next `:61:` or the closing balance belong
//!   to that transaction; `:86:` elsewhere (Danske's account information
//!   after `:60F:`) is statement information and not used.
//!   - Free text: `unstructured` is every line trimmed, empty ones dropped,
//!     joined by one space.
//!   - German structured text (three-digit business code followed by `?`):
//!     the lines are concatenated as they are (the bank wraps at 65
//!     characters, mid-word) and split into `?NN` subfields. `unstructured`
//!     is the purpose subfields `?20`..`?29` and `?60`..`?63` concatenated,
//!     then a space and the name `?32` + `?33` when there is one; runs of
//!     whitespace become one space. `payer` is that name. The posting text
//!     `?00`, `?10`, the counterparty's bank and account `?30`/`?31`, `?34`
//!     and non-standard subfields (`?70`...) are not used.
//!   - `structured_ref`: the first ISO 11649 creditor reference (`RF` + two
//!     check digits + up to 21 letters or digits, groups may be separated by
//!     single spaces, not preceded by a letter or digit, mod-97 check
//!     passing) in that text, else the value of `EREF+` (up to the next SEPA
//!     keyword like `SVWZ+`) unless it is `NOTPROVIDED`; whitespace removed.
//!     Else empty. `payer` is empty for free text.
//! - Control: per statement, opening + credits - debits must equal the
//!   closing balance, and the closing balance must be in the opening's
//!   currency; otherwise an error on the closing-balance line names the
//!   expected and found balance, and the file is refused.
//! - Amounts have a decimal comma (mandatory; `15000,` is 15000), at most
//!   five decimals, no sign; read with `rust_decimal` only. Every bad value
//!   is an `Error` naming line, field (e.g. `:61: amount`), value and
//!   expectation; all are collected and the file is refused if there is any.
//! - Idempotency key and `payment_id` as in the camt reader: with a bank
//!   reference `{account}|{bank_ref}|{booking_date}|{direction}|{amount}`
//!   (`|{n}` appended from the second occurrence inside one file), otherwise
//!   `{account}|{booking_date}|{direction}|{amount}|{structured_ref}|{unstructured}|{n}`;
//!   `payment_id` is `P` + the first 16 hex digits of SHA-256 of the key.
//!   `BankFile::format` is `mt940`; `skipped_not_booked` is always 0.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{BankFile, Statement};
use crate::ingest::Error;
use crate::model::{BankTransaction, Currency, Direction, Money, Source};

/// True if the bytes look like MT940: within the first 8 KiB a line starting
/// with `:20:`, followed later by a `:25:` line and a `:61:`, `:60F:` or
/// `:60M:` line (after an optional preamble, SWIFT envelope or `:940:` line).
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let text = decode(head);
    let mut stage = 0;
    for raw in text.split('\n') {
        let line = strip_envelope(raw.trim_end_matches('\r'));
        stage = match stage {
            0 if line.starts_with(":20:") => 1,
            1 if line.starts_with(":25:") => 2,
            2 if line.starts_with(":61:") || line.starts_with(":60F:") || line.starts_with(":60M:") => {
                return true;
            }
            s => s,
        };
    }
    false
}

/// Parses an MT940 file. Errors carry 1-based line numbers, the field
/// (e.g. `:61: amount`), the value and what was expected, but no file name
/// (the caller adds it with `Error::with_file`).
pub fn parse(bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    let text = decode(bytes);
    let mut p = Parser::default();
    p.run(&text);
    if p.errors.is_empty() {
        Ok(BankFile {
            format: "mt940".to_string(),
            statements: p.statements,
            transactions: p.transactions,
            skipped_not_booked: 0,
        })
    } else {
        Err(p.errors)
    }
}

/// UTF-8 (BOM dropped) if valid, else ISO-8859-1.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Drops leading `{1:..}{2:..}{3:{..}}` blocks and a `{4:` opener.
fn strip_envelope(line: &str) -> &str {
    let mut rest = line;
    loop {
        if let Some(r) = rest.strip_prefix("{4:") {
            return r;
        }
        if !rest.starts_with('{') {
            return rest;
        }
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => rest = rest.get(e..).unwrap_or(""),
            None => return "",
        }
    }
}

/// `:NN:` or `:NNa:` at the start of the line: (tag, value).
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') || b.len() < 4 || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    let end = if b[3] == b':' {
        3
    } else if b[3].is_ascii_uppercase() && b.get(4) == Some(&b':') {
        4
    } else {
        return None;
    };
    Some((line.get(1..end)?, line.get(end + 1..)?))
}

/// A `:60F:`/`:62F:`-style balance.
#[derive(Clone, Copy)]
struct Balance {
    line: u32,
    signed: Decimal,
    currency: Currency,
}

struct Entry {
    line: u32,
    booking_date: NaiveDate,
    amount: Decimal,
    direction: Direction,
    reversal: bool,
    bank_ref: String,
    /// `:86:` lines (tag value or continuation), as read.
    info: Vec<String>,
}

#[derive(Default)]
struct StmtB {
    line: u32,
    account: Option<String>,
    opening: Option<Balance>,
    closing: Option<(Balance, String)>,
    entries: Vec<Entry>,
    had_error: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cont {
    /// Continuation lines are ignored.
    None,
    /// Continuation lines belong to the last entry's `:86:`.
    Info,
}

#[derive(Default)]
struct Parser {
    stmt: Option<StmtB>,
    /// Continuation lines go to the last entry's info.
    info_open: bool,
    statements: Vec<Statement>,
    transactions: Vec<BankTransaction>,
    errors: Vec<Error>,
    key_counts: HashMap<String, usize>,
    seen_20: bool,
}

impl Parser {
    fn err(&mut self, line: u32, field: &str, value: &str, expected: &str) {
        if let Some(s) = self.stmt.as_mut() {
            s.had_error = true;
        }
        self.errors.push(Error::new(line, field, value, expected));
    }

    fn run(&mut self, text: &str) {
        for (i, raw) in text.split('\n').enumerate() {
            let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = strip_envelope(raw.trim_end_matches('\r'));
            if line.trim().is_empty() {
                continue;
            }
            if line.trim() == "-" || line.starts_with("-}") {
                self.finish();
                continue;
            }
            match split_tag(line) {
                Some((tag, value)) => self.tag(tag, value, line_no),
                None => self.continuation(line),
            }
        }
        self.finish();
        if !self.seen_20 {
            self.errors.push(Error::new(1, ":20:", "", "an MT940 statement starting with a :20: line"));
        }
    }

    fn continuation(&mut self, line: &str) {
        if self.info_open {
            if let Some(e) = self.stmt.as_mut().and_then(|s| s.entries.last_mut()) {
                e.info.push(line.to_string());
            }
        }
    }

    fn tag(&mut self, tag: &str, value: &str, line: u32) {
        if tag == "20" {
            self.finish();
            self.seen_20 = true;
            self.stmt = Some(StmtB { line, ..StmtB::default() });
            return;
        }
        if self.stmt.is_none() {
            return; // preamble (`:940:`) or text after a `-` terminator
        }
        let cont = match tag {
            "25" => {
                let acct = value.trim();
                if acct.is_empty() {
                    self.err(line, ":25: account", value, "an account identification");
                } else if let Some(s) = self.stmt.as_mut() {
                    s.account.get_or_insert_with(|| acct.to_string());
                }
                Cont::None
            }
            "60F" | "60M" => {
                let b = self.balance(tag, value, line);
                if let (Some(b), Some(s)) = (b, self.stmt.as_mut()) {
                    s.opening.get_or_insert(b);
                }
                Cont::None
            }
            "62F" | "62M" => {
                let b = self.balance(tag, value, line);
                if let (Some(b), Some(s)) = (b, self.stmt.as_mut()) {
                    s.closing.get_or_insert((b, tag.to_string()));
                }
                Cont::None
            }
            "61" => match self.entry(value, line) {
                Some(e) => {
                    if let Some(s) = self.stmt.as_mut() {
                        s.entries.push(e);
                    }
                    Cont::Info
                }
                None => Cont::None,
            },
            "86" => {
                if self.info_open {
                    if let Some(e) = self.stmt.as_mut().and_then(|s| s.entries.last_mut()) {
                        e.info.push(value.to_string());
                    }
                    Cont::Info
                } else {
                    Cont::None
                }
            }
            _ => Cont::None,
        };
        self.set_cont(cont);
    }

    fn set_cont(&mut self, c: Cont) {
        self.info_open = c == Cont::Info;
    }

    fn balance(&mut self, tag: &str, value: &str, line: u32) -> Option<Balance> {
        let v = value.trim();
        let (mark, rest) = (v.get(..1).unwrap_or(""), v.get(1..).unwrap_or(""));
        let sign_neg = match mark {
            "C" => false,
            "D" => true,
            _ => {
                self.err(line, &format!(":{tag}: debit/credit mark"), v, "C or D");
                return None;
            }
        };
        let date = rest.get(..6).unwrap_or(rest);
        if yymmdd(date).is_none() {
            self.err(line, &format!(":{tag}: date"), date, "a date YYMMDD");
            return None;
        }
        let ccy_s = rest.get(6..9).unwrap_or("");
        let Ok(currency) = Currency::from_str(ccy_s).map_err(|_| ()).and_then(|c| {
            if ccy_s.bytes().all(|b| b.is_ascii_uppercase()) && ccy_s.len() == 3 {
                Ok(c)
            } else {
                Err(())
            }
        }) else {
            self.err(line, &format!(":{tag}: currency"), ccy_s, "an ISO 4217 currency code like SEK");
            return None;
        };
        let amt_s = rest.get(9..).unwrap_or("");
        let Some(amount) = parse_mt_amount(amt_s) else {
            self.err(line, &format!(":{tag}: amount"), amt_s, AMOUNT_EXPECTED);
            return None;
        };
        Some(Balance { line, signed: if sign_neg { -amount } else { amount }, currency })
    }

    fn entry(&mut self, value: &str, line: u32) -> Option<Entry> {
        let v = value.trim_end();
        let vd_s = v.get(..6).unwrap_or(v);
        let Some(value_date) = yymmdd(vd_s) else {
            self.err(line, ":61: value date", vd_s, "a date YYMMDD");
            return None;
        };
        let mut rest = v.get(6..).unwrap_or("");
        let mut booking_date = value_date;
        if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            let md = rest.get(..4).unwrap_or("");
            match entry_date(value_date, md) {
                Some(d) => booking_date = d,
                None => {
                    self.err(line, ":61: entry date", md, "an entry date MMDD");
                    return None;
                }
            }
            rest = rest.get(4..).unwrap_or("");
        }
        let (direction, reversal, r) = if let Some(r) = rest.strip_prefix("RC") {
            (Direction::Debit, true, r)
        } else if let Some(r) = rest.strip_prefix("RD") {
            (Direction::Credit, true, r)
        } else if let Some(r) = rest.strip_prefix('C') {
            (Direction::Credit, false, r)
        } else if let Some(r) = rest.strip_prefix('D') {
            (Direction::Debit, false, r)
        } else {
            let shown = rest.get(..2).unwrap_or(rest);
            self.err(line, ":61: debit/credit mark", shown, "C, D, RC or RD");
            return None;
        };
        rest = r;
        // Optional funds code (third letter of the currency code).
        if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
            rest = rest.get(1..).unwrap_or("");
        }
        let amt_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b',').count();
        let amt_s = rest.get(..amt_len).unwrap_or("");
        let Some(amount) = parse_mt_amount(amt_s) else {
            let shown = if amt_s.is_empty() { rest } else { amt_s };
            self.err(line, ":61: amount", shown, AMOUNT_EXPECTED);
            return None;
        };
        rest = rest.get(amt_len..).unwrap_or("");
        let tt = rest.get(..4).unwrap_or(rest);
        let tt_ok = tt.len() == 4
            && matches!(tt.as_bytes()[0], b'N' | b'F' | b'S')
            && tt.bytes().skip(1).all(|b| b.is_ascii_alphanumeric());
        if !tt_ok {
            self.err(line, ":61: transaction type", tt, "N, F or S followed by 3 letters or digits, like NTRF");
            return None;
        }
        rest = rest.get(4..).unwrap_or("");
        let (cust, bank) = match rest.find("//") {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 2..).unwrap_or("")),
            None => (rest, ""),
        };
        let cust: String = cust.chars().take(16).collect();
        let bank: String = bank.chars().take(16).collect();
        let (cust, bank) = (cust.trim(), bank.trim());
        let bank_ref = if !bank.is_empty() {
            bank.to_string()
        } else if cust.eq_ignore_ascii_case("NONREF") {
            String::new()
        } else {
            cust.to_string()
        };
        Some(Entry { line, booking_date, amount, direction, reversal, bank_ref, info: Vec::new() })
    }

    /// Ends the current statement: checks it and emits its transactions.
    fn finish(&mut self) {
        self.info_open = false;
        let Some(s) = self.stmt.take() else { return };
        let mut bad = s.had_error;
        let account = s.account.clone().unwrap_or_default();
        if s.account.is_none() {
            self.errors.push(Error::new(s.line, ":25:", "", "an account line :25: in the statement"));
            bad = true;
        }
        let Some(opening) = s.opening else {
            self.errors.push(Error::new(s.line, ":60F:", "", "an opening balance :60F: or :60M: in the statement"));
            return;
        };
        let Some((closing, ctag)) = s.closing.clone() else {
            self.errors.push(Error::new(s.line, ":62F:", "", "a closing balance :62F: or :62M: in the statement"));
            return;
        };
        if closing.currency != opening.currency {
            self.errors.push(Error::new(
                closing.line,
                &format!(":{ctag}: currency"),
                closing.currency.code(),
                format!("the opening balance's currency {}", opening.currency),
            ));
            bad = true;
        }
        if bad {
            return;
        }
        let net: Decimal = s
            .entries
            .iter()
            .map(|e| if e.direction == Direction::Credit { e.amount } else { -e.amount })
            .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap_or(a));
        let expected = opening.signed.checked_add(net);
        if expected != Some(closing.signed) {
            let exp = expected.map(fmt_balance).unwrap_or_else(|| "a representable sum".to_string());
            self.errors.push(Error::new(
                closing.line,
                &format!(":{ctag}: closing balance"),
                &fmt_balance(closing.signed),
                format!(
                    "{exp} {} (opening {} + credits - debits of {} entries)",
                    opening.currency,
                    fmt_balance(opening.signed),
                    s.entries.len()
                ),
            ));
            return;
        }
        let ccy = opening.currency;
        for e in &s.entries {
            let info = Info::from_lines(&e.info);
            let dir = match e.direction {
                Direction::Credit => "credit",
                Direction::Debit => "debit",
            };
            let amount = canonical(e.amount);
            let date = e.booking_date;
            let base = if e.bank_ref.is_empty() {
                format!("{account}|{date}|{dir}|{amount}|{}|{}", info.structured_ref, info.unstructured)
            } else {
                format!("{account}|{}|{date}|{dir}|{amount}", e.bank_ref)
            };
            let seen = self.key_counts.entry(base.clone()).or_insert(0);
            let key = if e.bank_ref.is_empty() || *seen > 0 { format!("{base}|{seen}") } else { base };
            *seen += 1;
            self.transactions.push(BankTransaction {
                payment_id: payment_id(&key),
                key,
                source: Source { file: String::new(), line: e.line },
                account: account.clone(),
                bank_ref: e.bank_ref.clone(),
                booking_date: date,
                amount: Money::new(e.amount, ccy),
                direction: e.direction,
                reversal: e.reversal,
                structured_ref: info.structured_ref,
                unstructured: info.unstructured,
                payer: info.payer,
            });
        }
        self.statements.push(Statement {
            account,
            currency: Some(ccy),
            opening: Some(opening.signed),
            closing: Some(closing.signed),
            entries: s.entries.len(),
        });
    }
}

const AMOUNT_EXPECTED: &str = "digits with a decimal comma and at most 5 decimals, like 1234,50";

fn fmt_balance(d: Decimal) -> String {
    d.to_string().replace('.', ",")
}

/// An MT940 amount: digits, a mandatory `,`, 0 to 5 decimals, at most 18
/// digits; no sign.
fn parse_mt_amount(t: &str) -> Option<Decimal> {
    let (int, frac) = t.split_once(',')?;
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 5
        && int.len() + frac.len() <= 18;
    if !ok {
        return None;
    }
    let s = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
    Decimal::from_str(&s).ok()
}

/// `YYMMDD`; years 80-99 are 19xx, 00-79 20xx.
fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let yy = i32::try_from(n(0..2)?).ok()?;
    let year = if yy >= 80 { 1900 + yy } else { 2000 + yy };
    NaiveDate::from_ymd_opt(year, n(2..4)?, n(4..6)?)
}

/// Entry date `MMDD` in the year (value date's, or one either side) that
/// puts it closest to the value date.
fn entry_date(value: NaiveDate, mmdd: &str) -> Option<NaiveDate> {
    let m = mmdd.get(..2)?.parse::<u32>().ok()?;
    let d = mmdd.get(2..4)?.parse::<u32>().ok()?;
    [value.year() - 1, value.year(), value.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        .min_by_key(|c| (*c - value).num_days().abs())
}

/// What a transaction's `:86:` text gives.
#[derive(Debug, Default, PartialEq, Eq)]
struct Info {
    unstructured: String,
    structured_ref: String,
    payer: String,
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Info {
    fn from_lines(lines: &[String]) -> Info {
        let structured = lines.first().is_some_and(|l| {
            let b = l.as_bytes();
            b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?'
        });
        let (text, payer) = if structured {
            let raw: String = lines.concat();
            let mut purpose = String::new();
            let mut name = String::new();
            for (code, val) in subfields(&raw) {
                match code {
                    20..=29 | 60..=63 => purpose.push_str(val),
                    32 | 33 => name.push_str(val),
                    _ => {}
                }
            }
            let purpose = collapse_ws(&purpose);
            let name = collapse_ws(&name);
            let text = match (purpose.is_empty(), name.is_empty()) {
                (_, true) => purpose,
                (true, false) => name.clone(),
                (false, false) => format!("{purpose} {name}"),
            };
            (text, name)
        } else {
            let parts: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            (parts.join(" "), String::new())
        };
        let structured_ref = rf_reference(&text).or_else(|| eref(&text)).unwrap_or_default();
        Info { unstructured: text, structured_ref, payer }
    }
}

/// `?NN` subfields of a German structured `:86:` (the business code before
/// the first `?` is skipped).
fn subfields(raw: &str) -> Vec<(u8, &str)> {
    let b = raw.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'?' && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
            starts.push(i);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(b.len());
        let code = (b[s + 1] - b'0') * 10 + (b[s + 2] - b'0');
        if let Some(v) = raw.get(s + 3..end) {
            out.push((code, v));
        }
    }
    out
}

const SEPA_KEYWORDS: [&str; 14] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+", "COAM+", "OAMT+", "SQTP+",
    "PURP+",
];

/// The `EREF+` value up to the next SEPA keyword, whitespace removed.
fn eref(text: &str) -> Option<String> {
    let start = text.find("EREF+")? + 5;
    let rest = text.get(start..)?;
    let end = SEPA_KEYWORDS.iter().filter_map(|k| rest.find(k)).min().unwrap_or(rest.len());
    let v: String = rest.get(..end)?.chars().filter(|c| !c.is_whitespace()).collect();
    if v.is_empty() || v.eq_ignore_ascii_case("NOTPROVIDED") {
        None
    } else {
        Some(v)
    }
}

/// The first valid ISO 11649 reference in the text, spaces removed.
fn rf_reference(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 0..b.len() {
        if b.get(i..i + 4)
            .is_none_or(|w| !(w[0] == b'R' && w[1] == b'F' && w[2].is_ascii_digit() && w[3].is_ascii_digit()))
        {
            continue;
        }
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        // Collect the body, allowing single spaces between groups; remember
        // every end that is followed by a non-alphanumeric byte.
        let mut body = String::from_utf8_lossy(&b[i..i + 4]).into_owned();
        let mut best = None;
        let mut j = i + 4;
        loop {
            let run_start = j;
            while j < b.len() && (b[j].is_ascii_digit() || b[j].is_ascii_uppercase()) && body.len() < 25 {
                body.push(char::from(b[j]));
                j += 1;
            }
            let at_boundary = j >= b.len() || !b[j].is_ascii_alphanumeric();
            if j > run_start && at_boundary && body.len() > 4 && rf_valid(&body) {
                best = Some(body.clone());
            }
            if !at_boundary || j + 1 >= b.len() || b[j] != b' ' || !b[j + 1].is_ascii_alphanumeric() {
                break;
            }
            j += 1;
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// ISO 11649 check: move `RFnn` to the end, letters to 10..35, mod 97 = 1.
fn rf_valid(r: &str) -> bool {
    if r.len() < 5 || r.len() > 25 {
        return false;
    }
    let (head, body) = r.split_at(4);
    let mut rem: u32 = 0;
    for c in body.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// The amount as written in keys: trailing zeros dropped, at least two decimals.
fn canonical(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n.to_string()
}

/// `P` + the first 16 lowercase hex digits of SHA-256 of the key.
fn payment_id(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut s = String::with_capacity(17);
    s.push('P');
    for b in h.iter().take(8) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
