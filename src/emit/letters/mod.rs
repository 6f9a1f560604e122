//! Letters as PDF: the betalningspåminnelse and the inkassokrav.
//!
//! [`render_letter`] draws one [`Letter`](crate::model::Letter) on A4 pages;
//! [`render_batch`] puts many letters in one file, each from a new page, and
//! tells on which page each letter starts.
//!
//! - `text`: the wording (per language, Swedish today with fallback for
//!   others), Swedish amount formatting ("10 066,30 kr") and line wrapping.
//! - `pdf`: the page layout (address in the window of a C5/DL window
//!   envelope per SS 3630, header block, specification table, legal text,
//!   payment slip, footer) and the PDF, written with `pdf-writer`.
//! - `font`: the embedded DejaVu Sans fonts: widths for the layout, and
//!   font subsets made once per process and copied into every file.
//!
//! An inkassokrav carries what inkassolagen (1974:182) 5 § requires: the
//! creditor, the legal relation (invoice number, date, description),
//! principal, interest (amount, rate, period and principal per segment) and
//! costs separately, a deadline to pay or object with contact details, and
//! what happens if the debtor neither pays nor objects.
//!
//! Rendering is deterministic: no creation date is written and the PDF's
//! document id is derived from the letter ids, so the same letters give
//! byte-identical files.

mod batch;
mod font;
mod pdf;
mod text;

pub use batch::{plan, render_planned, render_planned_each, render_planned_file, replan, Plan, BATCH_SIZE};
pub use pdf::{page_counts, render_batch, render_letter, RenderError, ADDRESS_WINDOW, PAGE_H, PAGE_W};
pub use text::{fmt_amount_sv, wording_for, wrap, Swedish, Wording};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Channel, Currency, Debtor, DebtorKind, FeeKind, FeeLine, InterestLine, Letter, LetterKind, Sender,
    };
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(crate) fn sample(kind: LetterKind, description: &str) -> Letter {
        Letter {
            letter_id: format!("2025-01-20-ACME-F1001-{}", kind.as_str()),
            claim_id: "ACME-F1001".into(),
            creditor_id: "ACME".into(),
            invoice_number: "F1001".into(),
            invoice_date: d(2024, 11, 20),
            due_date: d(2024, 12, 20),
            description: description.into(),
            debtor: std::sync::Arc::new(Debtor {
                id: "K-77".into(),
                kind: DebtorKind::Consumer,
                name: "Åsa Öberg".into(),
                address1: "Storgatan 1".into(),
                address2: Default::default(),
                postcode: "12345".into(),
                city: "Västerås".into(),
                country: "SE".into(),
                email: Default::default(),
                language: "sv".into(),
            }),
            kind,
            language: "sv".into(),
            channel: Channel::Paper,
            currency: Currency::SEK,
            date: d(2025, 1, 20),
            pay_by: d(2025, 2, 3),
            principal: dec!(10000),
            original_principal: dec!(10000),
            paid_so_far: dec!(0),
            interest: dec!(66.30),
            interest_lines: vec![
                InterestLine {
                    from: d(2024, 12, 21),
                    to: d(2024, 12, 31),
                    days: 11,
                    rate_percent: dec!(12),
                    principal: dec!(10000),
                    amount: dec!(36.1643835616),
                },
                InterestLine {
                    from: d(2025, 1, 1),
                    to: d(2025, 1, 20),
                    days: 20,
                    rate_percent: dec!(11),
                    principal: dec!(10000),
                    amount: dec!(30.1369863014),
                },
            ],
            fees: dec!(240),
            fee_lines: vec![
                FeeLine { kind: FeeKind::Reminder, amount: dec!(60) },
                FeeLine { kind: FeeKind::Collection, amount: dec!(180) },
            ],
            amount_due: dec!(10306.30),
            reference: "1234567897".into(),
            sender: std::sync::Arc::new(Sender {
                agency_name: "Nordisk Inkasso AB".into(),
                agency_org_no: "556000-0001".into(),
                agency_address: "Box 123, 111 22 Stockholm".into(),
                agency_phone: "08-123 456 00".into(),
                agency_email: "kundtjanst@nordiskinkasso.se".into(),
                bankgiro: "5050-1055".into(),
                iban: "SE45 5000 0000 0583 9825 7466".into(),
                bic: "ESSESESS".into(),
                creditor_name: "Elhandel i Mälardalen AB".into(),
                creditor_org_no: "556677-8899".into(),
            }),
            file: String::new(),
            page: 0,
        }
    }

    fn page_count(pdf: &[u8]) -> usize {
        // Every page object carries "/Type /Page" (written compactly).
        let hay = String::from_utf8_lossy(pdf);
        hay.matches("/Type /Page\n").count()
            + hay.matches("/Type/Page/").count()
            + hay.matches("/Type /Page/").count()
            + hay.matches("/Type /Page ").count()
    }

    #[test]
    fn same_letter_same_bytes() {
        let l = sample(LetterKind::Collection, "Elförbrukning november 2024");
        let a = render_letter(&l).unwrap();
        let b = render_letter(&l).unwrap();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, b, "two renders of the same letter differ");
        // No clock in the file: no creation or modification date.
        let text = String::from_utf8_lossy(&a);
        assert!(!text.contains("CreationDate") && !text.contains("ModDate"));
        assert!(!text.contains("CreateDate") && !text.contains("ModifyDate"));
        let mut other = l.clone();
        other.reference = "9999999999".into();
        assert_ne!(a, render_letter(&other).unwrap());
    }

    #[test]
    fn batch_first_pages() {
        let short = sample(LetterKind::Reminder, "Kort");
        let long = sample(LetterKind::Collection, &"Lång beskrivning av fordran. ".repeat(200));
        let (one, _) = render_batch(std::slice::from_ref(&long)).unwrap();
        let long_pages = page_count(&one);
        assert!(long_pages >= 2, "a long description continues on a new page");
        let (pdf, firsts) = render_batch(&[short.clone(), long, short]).unwrap();
        assert_eq!(firsts, vec![1, 2, 2 + long_pages as u32]);
        assert_eq!(page_count(&pdf), 2 + long_pages);
        assert!(matches!(render_batch(&[]), Err(RenderError::Empty)));
    }
}
