//! An independent SIE 4 reader for tests, and the tests of the SIE writer.
//!
//! The reader is written from the SIE 4B file format description (sie.se,
//! "SIE filformat ver 4B", chapter 5 on the file format and chapter 8 on
//! the records), not from `inkasso::emit::journals::sie4`; it shares no
//! code with the writer (its CP437 table is its own, it does not use
//! `oem_cp`). Other integration tests reuse it as
//! `crate::journals_sie::read_sie`.
//!
//! What it understands:
//! * encodings: CP437 (`#FORMAT PC8`, the spec), plus the two lies seen in
//!   real exports: UTF-8 (taken when the bytes are valid UTF-8 with
//!   multi-byte sequences) and ISO-8859-1/15 (taken when Latin-1 Swedish
//!   letters outnumber CP437 ones);
//! * line ends LF, CR LF and bare CR; fields separated by runs of spaces
//!   or TABs;
//! * quoted fields with `\"` for a quote (a backslash before anything else
//!   is kept as it is: Windows paths in `#FNR`), bare fields, and `{...}`
//!   object lists (kept as the list of their inner fields);
//! * `#FLAGGA`, `#FORMAT`, `#SIETYP`, `#PROGRAM`, `#GEN`, `#FNAMN`,
//!   `#ORGNR`, `#VALUTA`, `#KONTO`, and `#VER` blocks (`{` ... `}`) with
//!   their `#TRANS`, `#RTRANS` (added row) and `#BTRANS` (removed row)
//!   rows. Any other record is kept in `other`.
//!
//! Per 4B an `#RTRANS` is followed by the same row as `#TRANS` (for
//! readers that do not know `#RTRANS`) and a `#BTRANS` row is no longer
//! part of the verification, so the balance of a verification is the sum
//! of its `#TRANS` rows only.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

/// How the bytes were decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SieEncoding {
    Cp437,
    Utf8,
    Latin1,
}

/// One row of a `#VER` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKind {
    Trans,
    Rtrans,
    Btrans,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SieTrans {
    pub kind: RowKind,
    pub account: String,
    /// The object list's inner fields (`{1 "100" 6 "P1"}` -> 1, 100, 6, P1).
    pub objects: Vec<String>,
    pub amount: Decimal,
    /// `transdat`, empty when absent or `""`.
    pub date: String,
    /// `transtext`, empty when absent.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SieVer {
    pub series: String,
    pub number: String,
    pub date: String,
    pub text: String,
    /// 1-based line of the `#VER` record.
    pub line: usize,
    pub rows: Vec<SieTrans>,
}

impl SieVer {
    /// The `#TRANS` rows (not `#RTRANS`/`#BTRANS`).
    pub fn trans(&self) -> impl Iterator<Item = &SieTrans> {
        self.rows.iter().filter(|r| r.kind == RowKind::Trans)
    }
    /// Sum of the `#TRANS` amounts: zero for a balanced verification.
    pub fn sum(&self) -> Decimal {
        self.trans().map(|r| r.amount).sum()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SieFile {
    pub encoding: Option<SieEncoding>,
    /// The line-end bytes seen: "\r\n", "\n", "\r" (in order of first use).
    pub line_ends: Vec<&'static str>,
    pub flagga: Option<String>,
    pub format: Option<String>,
    pub sietyp: Option<String>,
    /// `#PROGRAM` fields: name, version.
    pub program: Vec<String>,
    /// `#GEN` fields: date, optional sign.
    pub gen: Vec<String>,
    pub fnamn: Option<String>,
    pub orgnr: Option<String>,
    pub valuta: Option<String>,
    /// `#KONTO` account -> name.
    pub konto: BTreeMap<String, String>,
    pub vers: Vec<SieVer>,
    /// Records not interpreted above: label and fields, in file order.
    pub other: Vec<(String, Vec<String>)>,
    /// Labels in file order (first token of every non-empty line).
    pub labels: Vec<String>,
}

/// CP437 0x80..=0xFF (IBM PC code page 437), from the IBM code page chart.
const CP437_HIGH: [char; 128] = [
    // 0x80
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    // 0x90
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    // 0xA0
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    // 0xB0
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    // 0xC0
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    // 0xD0
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    // 0xE0
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    // 0xF0
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{A0}',
];

fn decode(bytes: &[u8]) -> (String, SieEncoding) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        // Pure ASCII reads the same in every candidate; call it CP437 (the
        // spec's). Valid UTF-8 with multi-byte sequences is UTF-8: CP437
        // text with Swedish letters is (practically) never valid UTF-8.
        let enc = if s.is_ascii() { SieEncoding::Cp437 } else { SieEncoding::Utf8 };
        return (s.to_string(), enc);
    }
    // Swedish letters: å ä ö Å Ä Ö é in CP437 vs ISO-8859-1/15.
    let cp437 = bytes.iter().filter(|b| matches!(b, 0x86 | 0x84 | 0x94 | 0x8F | 0x8E | 0x99 | 0x82)).count();
    let latin = bytes.iter().filter(|b| matches!(b, 0xE5 | 0xE4 | 0xF6 | 0xC5 | 0xC4 | 0xD6 | 0xE9)).count();
    if latin > cp437 {
        let s = bytes.iter().map(|&b| if b == 0xA4 { '€' } else { char::from(b) }).collect();
        return (s, SieEncoding::Latin1);
    }
    let s = bytes.iter().map(|&b| if b < 0x80 { char::from(b) } else { CP437_HIGH[usize::from(b - 0x80)] }).collect();
    (s, SieEncoding::Cp437)
}

/// A field of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// Bare or quoted field, unescaped.
    Field(String),
    /// `{...}`: the inner fields.
    List(Vec<String>),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Field(s) => s.clone(),
            Tok::List(items) => format!("{{{}}}", items.join(" ")),
        }
    }
}

/// Splits one line into fields (4B ch. 5: space/TAB separated, `"` quoted
/// with `\"` inside, `{}` object lists).
fn tokenise(line: &str, lineno: usize) -> Vec<Tok> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut toks = Vec::new();
    // Reads one field (quoted or bare) starting at i; bare fields stop at
    // whitespace and, inside a list, at `}`.
    fn field(chars: &[char], i: &mut usize, in_list: bool, lineno: usize) -> String {
        let mut s = String::new();
        if chars[*i] == '"' {
            *i += 1;
            loop {
                match chars.get(*i) {
                    None => panic!("line {lineno}: unterminated quoted field"),
                    Some('\\') if chars.get(*i + 1) == Some(&'"') => {
                        s.push('"');
                        *i += 2;
                    }
                    Some('"') => {
                        *i += 1;
                        break;
                    }
                    Some(&c) => {
                        s.push(c);
                        *i += 1;
                    }
                }
            }
        } else {
            while let Some(&c) = chars.get(*i) {
                if c == ' ' || c == '\t' || (in_list && c == '}') {
                    break;
                }
                s.push(c);
                *i += 1;
            }
        }
        s
    }
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' {
            i += 1;
        } else if c == '{' {
            i += 1;
            let mut items = Vec::new();
            loop {
                match chars.get(i) {
                    None => panic!("line {lineno}: unterminated object list"),
                    Some(' ') | Some('\t') => i += 1,
                    Some('}') => {
                        i += 1;
                        break;
                    }
                    Some(_) => items.push(field(&chars, &mut i, true, lineno)),
                }
            }
            toks.push(Tok::List(items));
        } else {
            toks.push(Tok::Field(field(&chars, &mut i, false, lineno)));
        }
    }
    toks
}

fn split_lines(text: &str) -> (Vec<&str>, Vec<&'static str>) {
    let mut lines = Vec::new();
    let mut ends: Vec<&'static str> = Vec::new();
    let b = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let end = match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => Some(("\r\n", 2)),
            b'\r' => Some(("\r", 1)),
            b'\n' => Some(("\n", 1)),
            _ => None,
        };
        if let Some((kind, len)) = end {
            lines.push(&text[start..i]);
            if !ends.contains(&kind) {
                ends.push(kind);
            }
            i += len;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    (lines, ends)
}

fn amount(tok: Option<&Tok>, lineno: usize) -> Decimal {
    match tok {
        Some(Tok::Field(s)) => {
            Decimal::from_str(s.trim()).unwrap_or_else(|e| panic!("line {lineno}: bad amount {s:?}: {e}"))
        }
        other => panic!("line {lineno}: expected an amount, got {other:?}"),
    }
}

fn row(kind: RowKind, fields: &[Tok], lineno: usize) -> SieTrans {
    let account = match fields.first() {
        Some(Tok::Field(a)) => a.clone(),
        other => panic!("line {lineno}: expected an account, got {other:?}"),
    };
    // 4B: `#TRANS kontonr {objektlista} belopp transdat transtext kvantitet sign`.
    // Be lenient with writers that leave out the (mandatory) object list.
    let (objects, rest) = match fields.get(1) {
        Some(Tok::List(items)) => (items.clone(), &fields[2..]),
        _ => (Vec::new(), &fields[1..]),
    };
    let amount = amount(rest.first(), lineno);
    let get = |i: usize| rest.get(i).map(Tok::text).unwrap_or_default();
    SieTrans { kind, account, objects, amount, date: get(1), text: get(2) }
}

/// Reads a SIE 4 file (any of the types 1-4, 4I; only what `SieFile`
/// holds). Panics, naming the line, on a file it cannot make sense of.
pub fn read_sie(bytes: &[u8]) -> SieFile {
    let (text, encoding) = decode(bytes);
    let (lines, line_ends) = split_lines(&text);
    let mut f = SieFile { encoding: Some(encoding), line_ends, ..SieFile::default() };
    // Some(index into f.vers) while inside a `{ }` block; `pending` after
    // a #VER until its `{`.
    let mut open: Option<usize> = None;
    let mut pending: Option<usize> = None;
    for (n, raw) in lines.iter().enumerate() {
        let lineno = n + 1;
        let line = raw.trim_start_matches('\u{feff}');
        // The block braces stand alone on their lines (4B); anything else
        // starting with `{` would be an object list.
        let toks = match line.trim() {
            b @ ("{" | "}") => vec![Tok::Field(b.to_string())],
            _ => tokenise(line, lineno),
        };
        let Some(first) = toks.first() else { continue };
        let label = match first {
            Tok::Field(s) => s.clone(),
            Tok::List(_) => panic!("line {lineno}: record starts with an object list"),
        };
        let fields = &toks[1..];
        let text_at = |i: usize| fields.get(i).map(Tok::text).unwrap_or_default();
        f.labels.push(label.clone());
        match label.as_str() {
            "{" => {
                let v = pending.take().unwrap_or_else(|| panic!("line {lineno}: `{{` without #VER"));
                open = Some(v);
            }
            "}" => {
                assert!(open.take().is_some(), "line {lineno}: `}}` without `{{`");
            }
            "#TRANS" | "#RTRANS" | "#BTRANS" => {
                let v = open.unwrap_or_else(|| panic!("line {lineno}: {label} outside a #VER block"));
                let kind = match label.as_str() {
                    "#TRANS" => RowKind::Trans,
                    "#RTRANS" => RowKind::Rtrans,
                    _ => RowKind::Btrans,
                };
                f.vers[v].rows.push(row(kind, fields, lineno));
            }
            "#VER" => {
                assert!(open.is_none(), "line {lineno}: #VER inside a #VER block");
                f.vers.push(SieVer {
                    series: text_at(0),
                    number: text_at(1),
                    date: text_at(2),
                    text: text_at(3),
                    line: lineno,
                    rows: Vec::new(),
                });
                pending = Some(f.vers.len() - 1);
            }
            _ => {
                assert!(open.is_none(), "line {lineno}: {label} inside a #VER block");
                match label.as_str() {
                    "#FLAGGA" => f.flagga = Some(text_at(0)),
                    "#FORMAT" => f.format = Some(text_at(0)),
                    "#SIETYP" => f.sietyp = Some(text_at(0)),
                    "#PROGRAM" => f.program = fields.iter().map(Tok::text).collect(),
                    "#GEN" => f.gen = fields.iter().map(Tok::text).collect(),
                    "#FNAMN" => f.fnamn = Some(text_at(0)),
                    "#ORGNR" => f.orgnr = Some(text_at(0)),
                    "#VALUTA" => f.valuta = Some(text_at(0)),
                    "#KONTO" => {
                        f.konto.insert(text_at(0), text_at(1));
                    }
                    _ => f.other.push((label.clone(), fields.iter().map(Tok::text).collect())),
                }
            }
        }
    }
    assert!(open.is_none(), "file ends inside a #VER block");
    f
}

// ---------------------------------------------------------------- tests

use chrono::NaiveDate;
use inkasso::emit::journals::{csv as journal_csv, sie4, JournalHeader};
use inkasso::model::{Currency, Posting, Verification};
use proptest::prelude::*;
use rust_decimal_macros::dec;

use crate::util::corpus_dir;

#[test]
fn reader_decodes_cp437_and_tokenises() {
    // The table's landmarks, by code point.
    assert_eq!(CP437_HIGH[0x86 - 0x80], 'å');
    assert_eq!(CP437_HIGH[0x84 - 0x80], 'ä');
    assert_eq!(CP437_HIGH[0x94 - 0x80], 'ö');
    assert_eq!(CP437_HIGH[0x8F - 0x80], 'Å');
    assert_eq!(CP437_HIGH[0x8E - 0x80], 'Ä');
    assert_eq!(CP437_HIGH[0x99 - 0x80], 'Ö');
    assert_eq!(CP437_HIGH[0xE1 - 0x80], 'ß');
    assert_eq!(CP437_HIGH[0xFE - 0x80], '■');
    let toks = tokenise(r#"#TRANS	3010  { "1" "1"} -500 "" "Sa \"x\" C:\dir" 2"#, 1);
    assert_eq!(
        toks,
        vec![
            Tok::Field("#TRANS".into()),
            Tok::Field("3010".into()),
            Tok::List(vec!["1".into(), "1".into()]),
            Tok::Field("-500".into()),
            Tok::Field("".into()),
            Tok::Field(r#"Sa "x" C:\dir"#.into()),
            Tok::Field("2".into()),
        ]
    );
    assert_eq!(
        tokenise("{1 \"2\" 10 \"12\"}", 1),
        vec![Tok::List(vec!["1".into(), "2".into(), "10".into(), "12".into()])]
    );
    let f = read_sie(b"#FLAGGA 0\r#VER A 1 20250101 \"\x8fr\"\n{\r\n#TRANS 1510 {} 5\n#TRANS 3010 {} -5.0\r}\r\n");
    assert_eq!(f.encoding, Some(SieEncoding::Cp437));
    assert_eq!(f.line_ends, vec!["\r", "\n", "\r\n"]);
    assert_eq!(f.vers.len(), 1);
    assert_eq!(f.vers[0].text, "År");
    assert_eq!(f.vers[0].sum(), Decimal::ZERO);
}

/// Every SIE 4 file of the corpus: every `#VER` balances.
#[test]
fn corpus_verifications_balance() {
    let Some(dir) = corpus_dir() else { return };
    let mut paths: Vec<_> =
        std::fs::read_dir(dir.join("sie")).expect("corpus/sie").map(|e| e.expect("dir entry").path()).collect();
    paths.sort();
    assert!(paths.len() >= 17, "expected the 17 SIE 4 corpus files, found {}", paths.len());
    let mut total_vers = 0;
    // #VERs with no rows at all (trivially balanced).
    let mut empty = Vec::new();
    let mut unbalanced: Vec<String> = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let f = read_sie(&bytes);
        // 0, or 1 once a program has imported the file (4B #FLAGGA).
        assert!(matches!(f.flagga.as_deref(), Some("0" | "1")), "{name}: #FLAGGA {:?}", f.flagga);
        assert_eq!(f.format.as_deref(), Some("PC8"), "{name}: #FORMAT");
        assert_eq!(f.sietyp.as_deref(), Some("4"), "{name}: #SIETYP");
        assert!(!f.vers.is_empty(), "{name}: no #VER");
        for v in &f.vers {
            if v.rows.is_empty() {
                empty.push(format!("{name}: {} {}", v.series, v.number));
            }
            if !v.sum().is_zero() {
                unbalanced.push(format!("{name}: {} {} sums to {}", v.series, v.number, v.sum()));
            }
        }
        total_vers += f.vers.len();
        // Encodings as described in corpus/SOURCES.md.
        let want = if name.contains("BROKEN_ENCODING") || name.contains("Arousells") || name.contains("Quotes_test") {
            SieEncoding::Utf8
        } else if name.contains("ISO_8859_15") {
            SieEncoding::Latin1
        } else {
            SieEncoding::Cp437
        };
        assert_eq!(f.encoding, Some(want), "{name}: encoding");
    }
    assert!(total_vers > 1000, "{total_vers}");
    // The one unbalanced #VER of the corpus: SoftOne XE test company,
    // #VER 1 1 (line 1356): `#TRANS 1010 { } 12.00` and
    // `#TRANS 3520 { } -10.00`, no third row. The file really is unbalanced
    // there (a test export); the reader reads both rows right.
    assert_eq!(unbalanced, vec!["jsisie_XE_SIE_4_SoftOne.SE: 1 1 sums to 2.00".to_string()]);
    // Empty #VER blocks (no rows, trivially balanced), all in the Norstedts
    // Bokslut export: B 17, D 12 and D 13. Their texts start with a date
    // and `//` ("100823//KN30052/...", "100822//Lön sep 2009, F-skatt",
    // "100822//"): vouchers emptied on that date (their rows removed)
    // rather than deleted, so the numbers stay unbroken. Legitimate.
    assert_eq!(
        empty,
        vec![
            "jsisie_Bokslut_Norstedts_SIE_4E.se: B 17".to_string(),
            "jsisie_Bokslut_Norstedts_SIE_4E.se: D 12".to_string(),
            "jsisie_Bokslut_Norstedts_SIE_4E.se: D 13".to_string(),
        ]
    );
}

fn corpus_file(name: &str) -> Option<SieFile> {
    let dir = corpus_dir()?;
    Some(read_sie(&std::fs::read(dir.join("sie").join(name)).unwrap()))
}

/// Hand-checked files: the Visma invoice journal (one #VER, read line by
/// line) and the two-voucher POS file.
#[test]
fn corpus_hand_counted_files() {
    let Some(f) = corpus_file("jsisie_FAKT_Visma_Fakturering.SI") else {
        return;
    };
    assert_eq!(f.vers.len(), 1);
    let v = &f.vers[0];
    assert_eq!((v.series.as_str(), v.number.as_str(), v.date.as_str()), ("B", "", "20110304"));
    assert_eq!(v.text, "Fakturajournal nr 109");
    let rows: Vec<(&str, Decimal)> = v.trans().map(|r| (r.account.as_str(), r.amount)).collect();
    assert_eq!(rows, vec![("1510", dec!(8000.00)), ("2611", dec!(-1600.00)), ("3051", dec!(-6400.00))]);
    assert_eq!(v.rows[0].text, "Faktnr: 891, Namn: Karl Svensson");
    assert_eq!(f.fnamn.as_deref(), Some("Övningsbolaget AB"));
    assert_eq!(f.konto.get("2611").map(String::as_str), Some("Utg moms försäljning/uttag 25%"));
    // Backslashes in #FNR are literal.
    let fnr = f.other.iter().find(|(l, _)| l == "#FNR").unwrap();
    assert!(fnr.1[0].starts_with(r"C:\Documents and Settings\"), "{:?}", fnr.1);

    let Some(f) = corpus_file("sie4j_BLBLOV_SIE4_Kassasystem.SI") else {
        return;
    };
    assert_eq!(f.vers.len(), 2);
    assert_eq!(f.vers[1].text, "Försäljning 12% (DF:158)");
    assert_eq!(
        f.vers[1].trans().map(|r| r.amount).collect::<Vec<_>>(),
        vec![dec!(500.00), dec!(-53.57), dec!(-446.43)]
    );

    // Larger files: counts of `#VER` lines (grep -c) agree with the reader,
    // also across bare-CR line ends.
    for (name, n) in [
        ("jsisie_Sie4_Fortnox.si", 165),
        ("jsisie_BL0001_typ4.SE", 84),
        ("sie4j_SIE_test_av_KST_projekt_Testbolaget.SE", 1),
    ] {
        let Some(f) = corpus_file(name) else { return };
        assert_eq!(f.vers.len(), n, "{name}");
    }
    // Escaped quotes.
    let Some(f) = corpus_file("sie4j_Quotes_test.si") else {
        return;
    };
    assert_eq!(f.program, vec!["Kassasystem".to_string(), "1.0 - \"Oblique Ozelot\" - alpha".to_string()]);
}

// ------------------------------------------------------ writer round trip

fn header() -> JournalHeader {
    JournalHeader {
        org_no: "5561234567".to_string(),
        company_name: "Åkeriet Öst AB".to_string(),
        program: "inkasso 0.1.0".to_string(),
        generated: NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
        currency: Currency::SEK,
    }
}

fn posting(account: &str, amount: Decimal, text: &str) -> Posting {
    Posting { account: account.into(), amount, text: text.into(), invoice_number: "".into(), claim_id: "".into() }
}

fn check_round_trip(verifications: &[Verification]) -> SieFile {
    let bytes = sie4::write(&header(), verifications);
    let f = read_sie(&bytes);
    assert_eq!(f.encoding, Some(SieEncoding::Cp437));
    assert_eq!(f.line_ends, vec!["\r\n"]);
    assert_eq!(f.flagga.as_deref(), Some("0"));
    assert_eq!(f.format.as_deref(), Some("PC8"));
    assert_eq!(f.sietyp.as_deref(), Some("4"));
    assert_eq!(f.program, vec!["inkasso".to_string(), "0.1.0".to_string()]);
    assert_eq!(f.gen, vec!["20250110".to_string()]);
    assert_eq!(f.fnamn.as_deref(), Some("Åkeriet Öst AB"));
    assert_eq!(f.orgnr.as_deref(), Some("556123-4567"));
    assert_eq!(f.valuta.as_deref(), Some("SEK"));
    assert_eq!(f.vers.len(), verifications.len());
    for (v, r) in verifications.iter().zip(&f.vers) {
        assert_eq!(r.sum(), Decimal::ZERO, "#VER at line {} does not balance", r.line);
        assert_eq!((r.series.as_str(), r.number.as_str()), ("", ""));
        assert_eq!(r.date, v.date().format("%Y%m%d").to_string());
        assert_eq!(r.text, v.text());
        assert_eq!(r.rows.len(), v.postings().len());
        for (p, t) in v.postings().iter().zip(&r.rows) {
            assert_eq!(t.kind, RowKind::Trans);
            assert_eq!(t.account, p.account);
            assert_eq!(t.amount, p.amount);
            assert!(t.objects.is_empty());
            assert_eq!(t.text, p.text);
            assert!(f.konto.contains_key(p.account.as_str()), "#KONTO {} missing", p.account);
        }
    }
    f
}

#[test]
fn round_trip_keeps_accounts_amounts_and_swedish_text() {
    let day = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
    let v1 = Verification::new(
        "CR1",
        day,
        1,
        "Inbetalning Åsa Öberg \"Kalle\" {x} #TRANS",
        Currency::SEK,
        vec![
            posting("1510", dec!(-1000.00), "Faktura 1001 räntefri"),
            posting("1510", dec!(-250.75), "Faktura 1002 ÅÄÖ åäö"),
            posting("8313", dec!(-3.25), "Ränta"),
            posting("1930", dec!(1254.00), ""),
        ],
    )
    .unwrap();
    let v2 = Verification::new(
        "CR1",
        day,
        2,
        "Överföring",
        Currency::SEK,
        vec![posting("1512", dec!(99.99), "Belånad"), posting("1510", dec!(-99.99), "")],
    )
    .unwrap();
    let f = check_round_trip(&[v1, v2]);
    assert_eq!(f.konto.get("1510").map(String::as_str), Some("Kundfordringar"));
    assert_eq!(f.konto.get("1512").map(String::as_str), Some("Belånade kundfordringar"));
    assert_eq!(f.konto.get("8313").map(String::as_str), Some("Ränteintäkter från kortfristiga fordringar"));
    assert_eq!(f.konto.get("1930").map(String::as_str), Some("Konto 1930"));
    // ø is not in CP437: written as o.
    let v = Verification::new("CR2", day, 1, "Søren", Currency::SEK, vec![posting("1510", dec!(0), "Ø")]).unwrap();
    let f = read_sie(&sie4::write(&header(), &[v]));
    assert_eq!((f.vers[0].text.as_str(), f.vers[0].rows[0].text.as_str()), ("Soren", "O"));
}

#[test]
fn csv_has_one_row_per_posting() {
    let day = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
    let v = Verification::new(
        "CR1",
        day,
        3,
        "Inbetalning",
        Currency::SEK,
        vec![posting("1510", dec!(-10), "Faktura 1"), posting("1930", dec!(10), "")],
    )
    .unwrap();
    let bytes = journal_csv::write(&[v]);
    let mut r = ::csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(r.headers().unwrap(), &journal_csv::COLUMNS[..]);
    let rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], ["2025-01-10", "3", "1510", "-10.00", "SEK", "", "", "Faktura 1"]);
    assert_eq!(rows[1][3], "10.00");
}

/// Texts that CP437 and SIE quoting carry unchanged (quotes, braces and `#`
/// included; no control characters, `\` or ø, which are substituted).
fn sie_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 åäöÅÄÖéü\"{}#,.:-]{0,30}"
}

fn credit() -> impl Strategy<Value = (String, i64, String)> {
    (
        prop::sample::select(vec!["1510", "1512", "8313", "3010"]).prop_map(String::from),
        1i64..10_000_000_000, // 0.01 .. 100 million kronor, in öre
        sie_text(),
    )
}

fn verification() -> impl Strategy<Value = Verification> {
    (prop::collection::vec(credit(), 1..8), sie_text(), 1u32..1000).prop_map(|(credits, text, number)| {
        let mut postings: Vec<Posting> = credits
            .into_iter()
            .map(|(account, cents, text)| posting(&account, -Decimal::new(cents, 2), &text))
            .collect();
        let clearing: Decimal = -postings.iter().map(|p| p.amount).sum::<Decimal>();
        postings.push(posting("1930", clearing, "Clearing"));
        let day = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
        Verification::new("CR1", day, number, &text, Currency::SEK, postings).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn written_sie_reads_back_balanced(vs in prop::collection::vec(verification(), 1..5)) {
        let f = check_round_trip(&vs);
        for (v, r) in vs.iter().zip(&f.vers) {
            prop_assert_eq!(r.sum(), Decimal::ZERO);
            let credits: Decimal = r.trans().filter(|t| t.account != "1930").map(|t| t.amount).sum();
            let clearing: Decimal = r.trans().filter(|t| t.account == "1930").map(|t| t.amount).sum();
            prop_assert_eq!(clearing, -credits);
            prop_assert_eq!(clearing, v.debits());
        }
    }
}
