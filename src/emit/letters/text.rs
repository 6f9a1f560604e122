//! The wording of letters, per language, and the text helpers the layout
//! needs: Swedish amount and date formatting and greedy line wrapping.
//!
//! Every sentence printed on a letter comes from a [`Wording`]. Only Swedish
//! exists today; [`wording_for`] falls back to it for any other language
//! code. Adding Danish, Norwegian, Finnish or English means adding one more
//! `impl Wording` and one match arm in [`wording_for`].
//!
//! Amounts inside running text are glued together with no-break spaces
//! (U+00A0) so that the wrapper never splits "10 000,00 kr"; the PDF layer
//! draws them as ordinary spaces.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{FeeKind, Letter, LetterKind};

/// The no-break space: the wrapper never breaks a line at it.
pub const NBSP: char = '\u{a0}';

/// Formats an amount Swedish style: space as thousands separator, comma as
/// decimal separator, two decimals, rounded half away from zero
/// (`1234567.5` → `"1 234 567,50"`, `-0.5` → `"-0,50"`).
pub fn fmt_amount_sv(d: Decimal) -> String {
    let mut out = String::with_capacity(24);
    push_amount_sv(&mut out, d, ' ');
    out
}

/// Appends `d` as [`fmt_amount_sv`] does, with `sep` between thousands.
/// Works on the amount in öre (an integer), not on its decimal text:
/// letters format a dozen amounts each.
fn push_amount_sv(out: &mut String, d: Decimal, sep: char) {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    let ore = r.mantissa();
    if ore < 0 {
        out.push('-');
    }
    let ore = ore.unsigned_abs();
    let int = (ore / 100).to_string();
    let n = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out.push(',');
    let frac = ore % 100;
    out.push(char::from(b'0' + (frac / 10) as u8));
    out.push(char::from(b'0' + (frac % 10) as u8));
}

/// An amount with the currency unit, spaces made non-breaking, for running
/// text and table cells (`"10 066,30 kr"`).
pub fn money(d: Decimal, unit: &str) -> String {
    let mut out = String::with_capacity(24 + unit.len());
    push_amount_sv(&mut out, d, NBSP);
    out.push(NBSP);
    out.extend(unit.chars().map(|c| if c == ' ' { NBSP } else { c }));
    out
}

/// A percentage Swedish style with two decimals: `12` → `"12,00 %"`.
pub fn fmt_percent(p: Decimal) -> String {
    money(p, "%")
}

/// A date as printed on letters (ISO 8601, the Swedish standard form).
pub fn fmt_date(d: NaiveDate) -> String {
    let mut out = Vec::with_capacity(10);
    crate::emit::push_iso_date(&mut out, d); // `%Y-%m-%d` without chrono's formatter
    String::from_utf8(out).expect("invariant: a date is ASCII")
}

/// Replaces ordinary spaces by no-break spaces so the text stays on one line.
pub fn keep(s: &str) -> String {
    s.replace(' ', "\u{a0}")
}

/// Greedy line wrapping. Paragraphs are separated by `'\n'` (an empty
/// paragraph gives an empty line); words by runs of ordinary whitespace
/// (never [`NBSP`]). A word wider than `max_width` is broken between
/// characters. `measure` gives the printed width of a string.
pub fn wrap(text: &str, max_width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    let text: Cow<'_, str> =
        if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n").into() } else { text.into() };
    let mut lines = Vec::new();
    // Widths add up (no kerning), so a line's width is kept as a running sum
    // instead of measuring the whole line again for every word.
    let space = measure(" ");
    for para in text.split('\n') {
        // Lines are rarely longer than this; growing them was a tenth of
        // the layout's time.
        let cap = para.len().min(160);
        let mut line = String::with_capacity(cap);
        let mut line_w = 0.0;
        for word in para.split(|c: char| c.is_whitespace() && c != NBSP) {
            if word.is_empty() {
                continue;
            }
            let word_w = measure(word);
            let candidate_w = if line.is_empty() { word_w } else { line_w + space + word_w };
            if candidate_w <= max_width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_w = candidate_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::replace(&mut line, String::with_capacity(cap)));
            }
            if word_w <= max_width {
                line.push_str(word);
                line_w = word_w;
            } else {
                // Break an over-long word between characters.
                for ch in word.chars() {
                    let mut next = line.clone();
                    next.push(ch);
                    if !line.is_empty() && measure(&next) > max_width {
                        lines.push(std::mem::take(&mut line));
                        line.push(ch);
                    } else {
                        line = next;
                    }
                }
                line_w = measure(&line);
            }
        }
        lines.push(line);
    }
    lines
}

/// Country name for the last address line, or `None` for Sweden.
pub fn country_line(code: &str) -> Option<String> {
    let c = code.trim().to_uppercase();
    let name = match c.as_str() {
        "" | "SE" | "SWE" | "SVERIGE" | "SWEDEN" => return None,
        "NO" => "NORGE",
        "DK" => "DANMARK",
        "FI" => "FINLAND",
        "IS" => "ISLAND",
        "DE" => "TYSKLAND",
        "GB" | "UK" => "STORBRITANNIEN",
        _ => return Some(c),
    };
    Some(name.to_string())
}

/// Postcode and city as the address's last Swedish line: a five-digit
/// Swedish postcode is written `123 45`.
pub fn postal_line(postcode: &str, city: &str, country: &str) -> String {
    let pc = postcode.trim();
    let swedish = country_line(country).is_none();
    let digits: String = pc.chars().filter(|c| !c.is_whitespace()).collect();
    let pc = if swedish && digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {}", &digits[..3], &digits[3..])
    } else {
        pc.to_string()
    };
    format!("{pc} {}", city.trim()).trim().to_string()
}

/// One row of the specification table: text on the left, amount (possibly
/// empty) on the right. `detail` rows are indented and printed smaller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Left-hand text (wrapped if long).
    pub label: String,
    /// Right-aligned amount, or empty.
    pub amount: String,
    /// An indented, smaller detail line (an interest segment, a note).
    pub detail: bool,
    /// The "Att betala" line: ruled above and printed bold.
    pub total: bool,
}

/// All wording of a letter in one language. Methods return finished text;
/// amounts and dates inside are already formatted.
pub trait Wording: Sync {
    /// Language code of this wording (`"sv"`).
    fn code(&self) -> &'static str;
    /// Currency unit printed after amounts (`"kr"`).
    fn unit(&self, currency: &str) -> String;
    /// The letter's title (`Betalningspåminnelse`, `Inkassokrav`).
    fn title(&self, kind: LetterKind) -> &'static str;
    /// Label of a fee line.
    fn fee_label(&self, kind: FeeKind) -> &'static str;
    /// Labels of the header block, in order, paired with values.
    fn header_fields(&self, l: &Letter) -> Vec<(String, String)>;
    /// The parties and the claim (creditor, agency, invoice, description).
    fn parties(&self, l: &Letter) -> Vec<(String, String)>;
    /// Opening paragraph(s).
    fn intro(&self, l: &Letter) -> Vec<String>;
    /// Heading above the specification table.
    fn spec_heading(&self) -> &'static str;
    /// The specification table.
    fn spec_rows(&self, l: &Letter) -> Vec<Row>;
    /// How to pay.
    fn payment(&self, l: &Letter) -> Vec<String>;
    /// Objections, interest, consequences (5 § inkassolagen for collection).
    fn legal(&self, l: &Letter) -> Vec<String>;
    /// Sign-off lines.
    fn closing(&self, l: &Letter) -> Vec<String>;
    /// Payment-slip heading and field labels: heading, bankgiro, OCR,
    /// amount, pay-by, payee, payer.
    fn slip_labels(&self) -> [&'static str; 7];
    /// Page number in the footer.
    fn page_of(&self, page: usize, pages: usize) -> String;
    /// Header of continuation pages.
    fn continued(&self, l: &Letter) -> String;
    /// Foot of a page the letter continues after.
    fn continues(&self) -> &'static str;
    /// Label of the return address line.
    fn return_address(&self, l: &Letter) -> String;
}

/// The wording for a language code; unknown codes fall back to Swedish.
pub fn wording_for(language: &str) -> &'static dyn Wording {
    // Add Danish, Norwegian, Finnish and English wordings here.
    static ALL: [&dyn Wording; 1] = [&Swedish];
    ALL.iter().find(|w| w.code().eq_ignore_ascii_case(language.trim())).copied().unwrap_or(&Swedish)
}

/// Swedish wording.
pub struct Swedish;

impl Swedish {
    fn u(&self, l: &Letter) -> String {
        self.unit(l.currency.code())
    }
}

impl Wording for Swedish {
    fn code(&self) -> &'static str {
        "sv"
    }

    fn unit(&self, currency: &str) -> String {
        match currency {
            "SEK" => "kr".to_string(),
            other => other.to_string(),
        }
    }

    fn title(&self, kind: LetterKind) -> &'static str {
        match kind {
            LetterKind::Reminder => "Betalningspåminnelse",
            LetterKind::Collection => "Inkassokrav",
        }
    }

    fn fee_label(&self, kind: FeeKind) -> &'static str {
        kind.label_sv()
    }

    fn header_fields(&self, l: &Letter) -> Vec<(String, String)> {
        vec![
            ("Datum".into(), fmt_date(l.date)),
            ("Kundnummer".into(), l.debtor.id.to_string()),
            ("Fakturanummer".into(), l.invoice_number.clone()),
            ("Vår referens".into(), l.claim_id.clone()),
            ("OCR-nummer".into(), l.reference.clone()),
            ("Betala senast".into(), fmt_date(l.pay_by)),
        ]
    }

    fn parties(&self, l: &Letter) -> Vec<(String, String)> {
        let s = &l.sender;
        let mut v = vec![
            ("Borgenär".into(), format!("{}, org.nr {}", s.creditor_name, keep(&s.creditor_org_no))),
            (
                match l.kind {
                    LetterKind::Reminder => "Avsändare".into(),
                    LetterKind::Collection => "Inkassoföretag".into(),
                },
                format!("{}, org.nr {}", s.agency_name, keep(&s.agency_org_no)),
            ),
            (
                "Faktura".into(),
                format!(
                    "nr {}, fakturadatum {}, förfallodag {}",
                    l.invoice_number,
                    fmt_date(l.invoice_date),
                    fmt_date(l.due_date)
                ),
            ),
        ];
        let desc = l.description.trim();
        if !desc.is_empty() {
            v.push(("Avser".into(), desc.to_string()));
        }
        v
    }

    fn intro(&self, l: &Letter) -> Vec<String> {
        let s = &l.sender;
        let due = money(l.amount_due, &self.u(l));
        match l.kind {
            LetterKind::Reminder => vec![
                format!(
                    "Detta är en betalningspåminnelse. Enligt våra uppgifter har fakturan nedan \
                     från {} inte betalats, trots att förfallodagen {} har passerat. Vi ber dig \
                     betala {} senast {}.",
                    s.creditor_name,
                    fmt_date(l.due_date),
                    due,
                    fmt_date(l.pay_by)
                ),
                "Om du redan har betalat kan du bortse från denna påminnelse.".into(),
            ],
            LetterKind::Collection => vec![format!(
                "{} har lämnat över fordran nedan till {} för indrivning. Fakturan har inte \
                 betalats trots att förfallodagen {} har passerat. Vi kräver dig därför på \
                 {}, som ska vara betalt senast {}.",
                s.creditor_name,
                s.agency_name,
                fmt_date(l.due_date),
                due,
                fmt_date(l.pay_by)
            )],
        }
    }

    fn spec_heading(&self) -> &'static str {
        "Specifikation"
    }

    fn spec_rows(&self, l: &Letter) -> Vec<Row> {
        let u = self.u(l);
        let row = |label: String, amount: String, detail: bool| Row { label, amount, detail, total: false };
        let mut rows = vec![row("Kapitalbelopp".into(), money(l.principal, &u), false)];
        if l.original_principal != l.principal {
            rows.push(row(
                format!("ursprungligt kapitalbelopp {}", money(l.original_principal, &u)),
                String::new(),
                true,
            ));
        }
        if !l.interest.is_zero() || !l.interest_lines.is_empty() {
            rows.push(row("Dröjsmålsränta".into(), money(l.interest, &u), false));
            let mut accrued = Decimal::ZERO;
            for seg in &l.interest_lines {
                accrued += seg.amount;
                let days = if seg.days == 1 { "dag" } else { "dagar" };
                rows.push(row(
                    format!(
                        "{} på {} {}\u{2013}{} ({}{NBSP}{days}): {}",
                        fmt_percent(seg.rate_percent),
                        money(seg.principal, &u),
                        fmt_date(seg.from),
                        fmt_date(seg.to),
                        seg.days,
                        money(seg.amount, &u)
                    ),
                    String::new(),
                    true,
                ));
            }
            let accrued = accrued.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            let paid = accrued - l.interest;
            if !l.interest_lines.is_empty() && paid > Decimal::ZERO {
                rows.push(row(format!("avgår redan betald ränta {}", money(-paid, &u)), String::new(), true));
            }
        }
        let mut fee_sum = Decimal::ZERO;
        for f in &l.fee_lines {
            fee_sum += f.amount;
            rows.push(row(self.fee_label(f.kind).to_string(), money(f.amount, &u), false));
        }
        let fees_paid = fee_sum - l.fees;
        if fees_paid > Decimal::ZERO {
            rows.push(row("Avgår redan betalda avgifter".into(), money(-fees_paid, &u), false));
        }
        rows.push(Row { label: "Att betala".into(), amount: money(l.amount_due, &u), detail: false, total: true });
        if !l.paid_so_far.is_zero() {
            rows.push(row(
                format!("Du har hittills betalat {}, som har räknats av ovan.", money(l.paid_so_far, &u)),
                String::new(),
                true,
            ));
        }
        rows
    }

    fn payment(&self, l: &Letter) -> Vec<String> {
        let s = &l.sender;
        let mut v = vec![format!(
            "Betala {} senast {} till bankgiro {}. Ange OCR-nummer {} som referens vid \
             betalningen, annars kan betalningen inte kopplas till ditt ärende.",
            money(l.amount_due, &self.u(l)),
            fmt_date(l.pay_by),
            keep(&s.bankgiro),
            keep(&l.reference)
        )];
        if !s.iban.is_empty() {
            v.push(format!(
                "Betalning från utlandet: IBAN {}, BIC {}, med OCR-nummer {} som referens.",
                keep(&s.iban),
                s.bic,
                keep(&l.reference)
            ));
        }
        v
    }

    fn legal(&self, l: &Letter) -> Vec<String> {
        let s = &l.sender;
        let contact = format!("telefon {} eller e-post {}", keep(&s.agency_phone), s.agency_email);
        match l.kind {
            LetterKind::Collection => {
                let rate = l
                    .interest_lines
                    .last()
                    .map(|seg| format!(", för närvarande {} per år", fmt_percent(seg.rate_percent)))
                    .unwrap_or_default();
                vec![
                    format!(
                        "Om du har invändningar mot kravet ska du höra av dig till oss före \
                         förfallodagen {}, på {}. Ange vår referens {}.",
                        fmt_date(l.pay_by),
                        contact,
                        l.claim_id
                    ),
                    format!("Dröjsmålsränta löper enligt räntelagen till dess betalning sker{rate}."),
                    "Om du varken betalar eller hör av dig kan vi komma att ansöka om \
                     betalningsföreläggande hos Kronofogdemyndigheten. Det kan leda till \
                     ytterligare kostnader och en betalningsanmärkning."
                        .into(),
                    format!("Betala till oss och inte direkt till {}.", s.creditor_name),
                ]
            }
            LetterKind::Reminder => vec![
                "Om fakturan inte betalas kan fordran komma att lämnas över till inkasso. \
                 Det medför ytterligare kostnader för dig, bland annat inkassoavgift."
                    .into(),
                "Dröjsmålsränta löper enligt räntelagen till dess betalning sker.".into(),
                format!(
                    "Har du frågor eller invändningar mot fakturan, kontakta oss på {}. \
                     Ange vår referens {}.",
                    contact, l.claim_id
                ),
            ],
        }
    }

    fn closing(&self, l: &Letter) -> Vec<String> {
        vec!["Med vänlig hälsning".into(), l.sender.agency_name.clone()]
    }

    fn slip_labels(&self) -> [&'static str; 7] {
        ["INBETALNING", "Bankgiro", "OCR-nummer", "Belopp", "Betala senast", "Betalningsmottagare", "Betalare"]
    }

    fn page_of(&self, page: usize, pages: usize) -> String {
        format!("Sida {page} av {pages}")
    }

    fn continued(&self, l: &Letter) -> String {
        format!("{}, fakturanummer {}, {} (forts.)", self.title(l.kind), l.invoice_number, fmt_date(l.date))
    }

    fn continues(&self) -> &'static str {
        "Fortsättning på nästa sida"
    }

    fn return_address(&self, l: &Letter) -> String {
        format!("Avsändare: {}, {}", l.sender.agency_name, l.sender.agency_address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn swedish_amounts() {
        assert_eq!(fmt_amount_sv(dec!(0)), "0,00");
        assert_eq!(fmt_amount_sv(dec!(1234567.5)), "1 234 567,50");
        assert_eq!(fmt_amount_sv(dec!(-1234.5)), "-1 234,50");
        assert_eq!(fmt_amount_sv(dec!(-0.001)), "0,00");
        assert_eq!(fmt_amount_sv(dec!(999)), "999,00");
        assert_eq!(fmt_amount_sv(dec!(1000)), "1 000,00");
        assert_eq!(fmt_amount_sv(dec!(100000)), "100 000,00");
        assert_eq!(fmt_amount_sv(dec!(10066.295)), "10 066,30");
        assert_eq!(fmt_amount_sv(dec!(0.125)), "0,13");
        assert_eq!(money(dec!(10066.3), "kr"), "10\u{a0}066,30\u{a0}kr");
        assert_eq!(fmt_percent(dec!(12)), "12,00\u{a0}%");
    }

    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn wraps_greedily_and_keeps_nbsp_together() {
        let lines = wrap("aaa bbb ccc ddd", 7.0, &chars);
        assert_eq!(lines, vec!["aaa bbb", "ccc ddd"]);
        let lines = wrap("pay 10\u{a0}000,00\u{a0}kr now", 12.0, &chars);
        assert_eq!(lines, vec!["pay", "10\u{a0}000,00\u{a0}kr", "now"]);
        // Paragraphs, empty paragraphs and runs of spaces.
        let lines = wrap("a  b\n\nc\r\nd", 10.0, &chars);
        assert_eq!(lines, vec!["a b", "", "c", "d"]);
        // Over-long word is broken between characters, nothing lost.
        let lines = wrap("abcdefghij x", 4.0, &chars);
        assert_eq!(lines, vec!["abcd", "efgh", "ij x"]);
        let long = "ord ".repeat(300);
        let lines = wrap(&long, 20.0, &chars);
        assert!(lines.iter().all(|l| chars(l) <= 20.0));
        assert_eq!(lines.join(" ").split(' ').count(), 300);
    }

    #[test]
    fn unknown_languages_fall_back_to_swedish() {
        for lang in ["sv", "SV", "fi", "en", "da", "nb", ""] {
            assert_eq!(wording_for(lang).code(), "sv");
        }
        assert_eq!(wording_for("sv").title(LetterKind::Collection), "Inkassokrav");
        assert_eq!(wording_for("en").title(LetterKind::Reminder), "Betalningspåminnelse");
    }

    #[test]
    fn addresses() {
        assert_eq!(postal_line("12345", "Västerås", "SE"), "123 45 Västerås");
        assert_eq!(postal_line("123 45", "Västerås", ""), "123 45 Västerås");
        assert_eq!(postal_line("0150", "Oslo", "NO"), "0150 Oslo");
        assert_eq!(country_line("SE"), None);
        assert_eq!(country_line("no").as_deref(), Some("NORGE"));
    }
}
