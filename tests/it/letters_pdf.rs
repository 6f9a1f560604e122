//! letters_pdf: renders realistic letters and reads them back with poppler
//! (`pdftotext`, `pdfinfo`): wording, amounts, å/ä/ö, the address in the
//! envelope window, batch page counts.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use inkasso::emit::letters::{render_batch, render_letter, ADDRESS_WINDOW};
use inkasso::model::{
    Channel, Currency, Debtor, DebtorKind, FeeKind, FeeLine, InterestLine, Letter, LetterKind, Sender,
};
use rust_decimal_macros::dec;

use crate::util::have_tool;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A consumer inkassokrav: 10 000 kr principal, interest in two segments
/// (12 % then 11 % after the reference rate changed), inkassoavgift 180 and
/// påminnelseavgift 60.
fn collection_letter() -> Letter {
    Letter {
        letter_id: "2025-01-20-ELM-F2024-1187-collection".into(),
        claim_id: "ELM-F2024-1187".into(),
        creditor_id: "ELM".into(),
        invoice_number: "F2024-1187".into(),
        invoice_date: d(2024, 11, 20),
        due_date: d(2024, 12, 20),
        description: "Elförbrukning oktober–november 2024, anläggnings-ID 735999100012345678, \
                      Storgatan 1, Västerås. Fast avgift och energiskatt ingår."
            .into(),
        debtor: std::sync::Arc::new(Debtor {
            id: "K-100045".into(),
            kind: DebtorKind::Consumer,
            name: "Åsa Öberg".into(),
            address1: "Storgatan 1".into(),
            address2: "Lgh 1102".into(),
            postcode: "12345".into(),
            city: "Västerås".into(),
            country: "SE".into(),
            email: "asa.oberg@example.se".into(),
            language: "sv".into(),
        }),
        kind: LetterKind::Collection,
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
        reference: "20250000123456".into(),
        sender: std::sync::Arc::new(Sender {
            agency_name: "Nordisk Inkasso AB".into(),
            agency_org_no: "556000-0001".into(),
            agency_address: "Box 123, 111 22 Stockholm".into(),
            agency_phone: "08-123 456 00".into(),
            agency_email: "kundtjanst@nordiskinkasso.se".into(),
            bankgiro: "5050-1055".into(),
            iban: "SE45 5000 0000 0583 9825 7466".into(),
            bic: "ESSESESS".into(),
            creditor_name: "Mälarenergi Försäljning AB".into(),
            creditor_org_no: "556554-1778".into(),
        }),
        file: String::new(),
        page: 0,
    }
}

/// A reminder on the same claim, before any collection fee.
fn reminder_letter() -> Letter {
    let mut l = collection_letter();
    l.kind = LetterKind::Reminder;
    l.letter_id = "2025-01-05-ELM-F2024-1187-reminder".into();
    l.date = d(2025, 1, 5);
    l.pay_by = d(2025, 1, 15);
    l.interest_lines.truncate(1);
    l.interest = dec!(36.16);
    l.fee_lines = vec![FeeLine { kind: FeeKind::Reminder, amount: dec!(60) }];
    l.fees = dec!(60);
    l.amount_due = dec!(10096.16);
    l
}

fn run(cmd: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(cmd).args(args).arg(file).arg("-").output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 text")
}

fn pdftotext(file: &Path, extra: &[&str]) -> String {
    let mut args = vec!["-layout", "-enc", "UTF-8"];
    args.extend_from_slice(extra);
    run("pdftotext", &args, file)
}

fn pages(file: &Path) -> u32 {
    let out = Command::new("pdfinfo").arg(file).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&out.stdout);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

/// Collapses runs of whitespace (pdftotext -layout pads columns).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes a rendered PDF to `dir` (and, for looking at, to
/// `$LETTERS_PDF_DIR` when set).
fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    if let Some(keep) = std::env::var_os("LETTERS_PDF_DIR") {
        std::fs::write(Path::new(&keep).join(name), bytes).unwrap();
    }
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn collection_letter_says_what_inkassolagen_requires() {
    if !have_tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let letter = collection_letter();
    let bytes = render_letter(&letter).unwrap();
    assert_eq!(bytes, render_letter(&letter).unwrap(), "deterministic");
    let file = write(dir.path(), "collection.pdf", &bytes);
    let text = pdftotext(&file, &[]);
    let flat = squash(&text);
    for needle in [
        "Inkassokrav",
        "Åsa Öberg",
        "Storgatan 1",
        "123 45 Västerås",
        "Mälarenergi Försäljning AB",
        "556554-1778",
        "Nordisk Inkasso AB",
        "556000-0001",
        "F2024-1187",
        "2024-11-20",
        "2024-12-20",
        "Elförbrukning oktober–november 2024",
        "Kapitalbelopp",
        "10 000,00 kr",
        "Dröjsmålsränta",
        "66,30 kr",
        "12,00 % på 10 000,00 kr 2024-12-21–2024-12-31 (11 dagar)",
        "11,00 % på 10 000,00 kr 2025-01-01–2025-01-20 (20 dagar)",
        "Inkassoavgift",
        "180,00 kr",
        "Påminnelseavgift",
        "60,00 kr",
        "Att betala",
        "10 306,30 kr",
        "Betala senast",
        "2025-02-03",
        "OCR-nummer",
        "20250000123456",
        "Bankgiro",
        "5050-1055",
        "Om du har invändningar mot kravet ska du höra av dig till oss före förfallodagen",
        "08-123 456 00",
        "kundtjanst@nordiskinkasso.se",
        "Dröjsmålsränta löper enligt räntelagen till dess betalning sker",
        "Om du varken betalar eller hör av dig kan vi komma att ansöka om \
         betalningsföreläggande hos Kronofogdemyndigheten. Det kan leda till ytterligare \
         kostnader och en betalningsanmärkning.",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // The amount to pay appears in the table, the text and the payment slip.
    assert!(flat.matches("10 306,30").count() >= 3, "{text}");
    assert_eq!(pages(&file), 1, "a normal inkassokrav fits one page");

    // The recipient's address lies inside the envelope window (in points,
    // pdftotext's default 72 dpi).
    let (x, y, w, h) = ADDRESS_WINDOW;
    let fmt = |v: f32| format!("{}", v.round() as i32);
    let (xs, ys, ws, hs) = (fmt(x), fmt(y), fmt(w), fmt(h));
    let window = pdftotext(&file, &["-x", &xs, "-y", &ys, "-W", &ws, "-H", &hs]);
    for needle in ["Åsa Öberg", "Storgatan 1", "Lgh 1102", "123 45 Västerås"] {
        assert!(window.contains(needle), "{needle:?} not in window: {window:?}");
    }
    assert!(
        !window.contains("Kapitalbelopp") && !window.contains("Inkassokrav"),
        "window shows only addresses: {window:?}"
    );
    // And the window area is where the envelope is: 20 mm from the left,
    // 45 mm from the top (SS 3630).
    assert!((x - 56.7).abs() < 1.0 && (y - 127.6).abs() < 1.0);
}

/// Characters outside the shared base subset (Latin Extended, Greek, a
/// character DejaVu Sans lacks) still print and extract; the fonts stay
/// embedded subsets; an e-mailed letter stays small.
#[test]
fn characters_beyond_latin1_extract_and_fonts_are_embedded() {
    if !have_tool("pdftotext") || !have_tool("pdffonts") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = render_letter(&collection_letter()).unwrap();
    assert!(plain.len() < 60_000, "an e-mailed letter is {} bytes", plain.len());
    let mut letter = collection_letter();
    std::sync::Arc::make_mut(&mut letter.debtor).name = "Łukasz Żółć-Šimková".into();
    std::sync::Arc::make_mut(&mut letter.debtor).address2 = "Ωmega Hus 中".into();
    letter.description = "Avgift för ŋ-tjänst, ärende ﬁ 7".into();
    let bytes = render_letter(&letter).unwrap();
    assert_eq!(bytes, render_letter(&letter).unwrap(), "deterministic");
    let file = write(dir.path(), "extras.pdf", &bytes);
    let flat = squash(&pdftotext(&file, &[]));
    for needle in ["Łukasz Żółć-Šimková", "Ωmega Hus 中", "ŋ-tjänst", "10 306,30 kr"] {
        assert!(flat.contains(needle), "missing {needle:?} in:\n{flat}");
    }
    let fonts = Command::new("pdffonts").arg(&file).output().expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let rows: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVuSans")).collect();
    assert_eq!(rows.len(), 2, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name, type (2 words), encoding, emb, sub, uni, object id
        assert_eq!(&cols[4..7], ["yes", "yes", "yes"], "embedded subset with ToUnicode: {row}");
    }
}

#[test]
fn reminder_letter_mentions_reminder_fee_and_inkasso() {
    if !have_tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "reminder.pdf", &render_letter(&reminder_letter()).unwrap());
    let flat = squash(&pdftotext(&file, &[]));
    for needle in [
        "Betalningspåminnelse",
        "Detta är en betalningspåminnelse",
        "Åsa Öberg",
        "Påminnelseavgift",
        "60,00 kr",
        "36,16 kr",
        "10 096,16 kr",
        "2025-01-15",
        "inkasso",
        "20250000123456",
        "5050-1055",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in:\n{flat}");
    }
    assert!(!flat.contains("Inkassoavgift"), "no collection fee yet");
    assert!(!flat.contains("Kronofogdemyndigheten"));
}

#[test]
fn batch_of_three_with_a_long_description() {
    if !have_tool("pdftotext") || !have_tool("pdfinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut long = collection_letter();
    long.description =
        format!("{}SLUTET AV BESKRIVNINGEN", "Abonnemang och förbrukning enligt avtal, se bilaga. ".repeat(18));
    assert!(long.description.chars().count() <= 1000);
    std::sync::Arc::make_mut(&mut long.sender).creditor_name = "Långbeskrivning Energi AB".into();
    let letters = vec![reminder_letter(), long, collection_letter()];
    let (bytes, firsts) = render_batch(&letters).unwrap();
    let file = write(dir.path(), "batch.pdf", &bytes);
    let n = pages(&file);
    assert!(n >= 3, "{n} pages");
    assert_eq!(firsts.len(), 3);
    assert_eq!(firsts[0], 1);
    assert!(firsts[1] > firsts[0] && firsts[2] > firsts[1]);
    assert!(firsts[2] <= n);
    // Each letter starts on its page: the title is on the first page of each.
    let page_text = |p: u32| {
        let p = p.to_string();
        squash(&pdftotext(&file, &["-f", &p, "-l", &p]))
    };
    assert!(page_text(firsts[0]).contains("Betalningspåminnelse"));
    assert!(page_text(firsts[1]).contains("Långbeskrivning Energi AB"));
    assert!(page_text(firsts[2]).contains("Inkassokrav"));
    assert!(page_text(firsts[2]).contains("Mälarenergi"));
    // Nothing of the long description is lost.
    let all = squash(&pdftotext(&file, &[]));
    assert!(all.contains("SLUTET AV BESKRIVNINGEN"), "{all}");
}

/// `render_pdf = false` writes the manifest only; `inkasso letters` renders
/// the day later with exactly the bytes the run would have written.
#[test]
fn deferred_letters_render_to_the_same_bytes_as_in_the_run() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let export = root.join("fixtures/days/2024-12-16/export_5561234567_2024-12-16.csv");
    let mut dirs = Vec::new();
    for render in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = std::fs::read_to_string(root.join("fixtures/inkasso.toml")).unwrap();
        let cfg = if render { cfg } else { cfg.replace("render_pdf = true", "render_pdf = false") };
        std::fs::write(tmp.path().join("inkasso.toml"), cfg).unwrap();
        std::fs::create_dir(tmp.path().join("inbox")).unwrap();
        std::fs::copy(&export, tmp.path().join("inbox/export.csv")).unwrap();
        inkasso::cli::run::run_day(tmp.path(), chrono::NaiveDate::from_ymd_opt(2024, 12, 16).unwrap(), false, false)
            .unwrap();
        dirs.push(tmp);
    }
    let letters =
        |d: &tempfile::TempDir| crate::scenario_golden::files_with_bytes(&d.path().join("out/2024-12-16/letters"));
    let rendered = letters(&dirs[0]);
    assert!(rendered.contains_key("batch-0001.pdf"));
    let deferred = letters(&dirs[1]);
    assert!(!deferred.contains_key("batch-0001.pdf"), "render_pdf = false writes no PDF");
    assert_eq!(deferred["manifest.csv"], rendered["manifest.csv"], "the manifest already names file and page");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inkasso"))
        .args(["letters", "--data", dirs[1].path().to_str().unwrap(), "--date", "2024-12-16"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(letters(&dirs[1]), rendered, "inkasso letters gives the run's bytes");
}
