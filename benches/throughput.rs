//! Throughput benchmarks (`cargo bench --bench throughput`): parse throughput
//! per bank format on one core, then the engine's night (admission,
//! matching, allocation, interest, ladder, settlement), journal writing and
//! PDF rendering on synthetic claims (`BENCH_CLAIMS`, `BENCH_PAYMENTS`,
//! default 100 000 each). Results: BENCHMARKS.md.
//!
//! Each format gets a synthetic file of realistic records (about 20-50 MB),
//! parsed several times (`BENCH_RUNS`, default 5); the best run is reported
//! in MB/s. Targets (issue
//! 3, BENCHMARKS.md): camt.053 >= 200 MB/s, BgMax and Nets OCR >= 400 MB/s.

use std::time::Instant;

/// The same allocator as the `inkasso` binary (src/main.rs), so the figures
/// are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use inkasso::ingest::bank;

fn camt(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>B</MsgId><CreDtTm>2025-01-10T22:00:00+01:00</CreDtTm></GrpHdr><Stmt><Id>S</Id><CreDtTm>2025-01-10T22:00:00+01:00</CreDtTm><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id><Ccy>SEK</Ccy></Acct>
"#,
    );
    for i in 0..n {
        s.push_str(&format!(
            r#"<Ntry><Amt Ccy="SEK">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-01-10</Dt></BookgDt><ValDt><Dt>2025-01-10</Dt></ValDt><AcctSvcrRef>SEB250110{i:09}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="SEK">{}.{:02}</Amt></TxAmt></AmtDtls><RltdPties><Dbtr><Nm>Åsa Öberg {i}</Nm></Dbtr></RltdPties><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
"#,
            100 + i % 9000,
            i % 100,
            100 + i % 9000,
            i % 100,
            1_000_000 + i
        ));
    }
    s.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    s.into_bytes()
}

fn rec(tk: &str, fields: &[(usize, String)]) -> String {
    let mut r = vec![b' '; 80];
    r[..2].copy_from_slice(tk.as_bytes());
    for (pos, text) in fields {
        r[pos - 1..pos - 1 + text.len()].copy_from_slice(text.as_bytes());
    }
    String::from_utf8(r).unwrap_or_default()
}

fn bgmax(n: usize) -> Vec<u8> {
    let mut lines = vec![
        rec("01", &[(3, "BGMAX".into()), (23, "01".into()), (25, "20250110060000123456".into()), (45, "P".into())]),
        rec("05", &[(3, "0050501055".into()), (23, "SEK".into())]),
    ];
    let mut total = 0u64;
    for i in 0..n {
        let ore = 10_000 + (i as u64 % 900_000);
        total += ore;
        lines.push(rec(
            "20",
            &[
                (3, "0000000000".into()),
                (13, format!("{:>25}", 1_000_000 + i)),
                (38, format!("{ore:018}")),
                (56, "2".into()),
                (57, "1".into()),
                (58, format!("{:012}", i + 1)),
                (70, "0".into()),
            ],
        ));
        lines.push(rec("26", &[(3, format!("Betalare {i}"))]));
    }
    lines.push(rec(
        "15",
        &[
            (3, format!("{:035}", 50501055)),
            (38, "20250110".into()),
            (46, "00001".into()),
            (51, format!("{total:018}")),
            (69, "SEK".into()),
            (72, format!("{n:08}")),
        ],
    ));
    lines.push(rec("70", &[(3, format!("{n:08}{:08}{:08}{:08}", 0, 0, 1))]));
    lines.join("\r\n").into_bytes()
}

fn nets(n: usize) -> Vec<u8> {
    // Record layouts as in src/ingest/bank/nets_ocr.rs (Nets OCR giro).
    let zeros = |k: usize| "0".repeat(k);
    let mut lines = vec![
        format!("NY000010{}{}{}{}", "00008080", "0000001", "00123456", zeros(49)),
        format!("NY090020{}{}{}{}", "001008566", "0000002", "12345678903", zeros(45)),
    ];
    let mut total: u64 = 0;
    for i in 0..n {
        let t = (i % 9_999_999) as u32 + 1;
        let ore = 100 + (i as u64 % 100_000);
        total += ore;
        let kid = format!("{}", 1_000_000 + i);
        lines.push(format!("NY091030{t:07}{}13201{:05}0{ore:017}{kid:>25}000000", "100125", t % 100_000));
        lines.push(format!("NY091031{t:07}96368271940990385620000000160192{}{}", "99990512341", zeros(22)));
    }
    let records = 2 * n + 4;
    lines.push(format!("NY090088{n:08}{:08}{total:017}{d}{d}{d}{}", records - 2, zeros(21), d = "100125"));
    lines.push(format!("NY000089{n:08}{records:08}{total:017}{}{}", "100125", zeros(33)));
    lines.join("\n").into_bytes()
}

/// Parses `bytes` `BENCH_RUNS` times (default 5) and prints the best run.
/// More runs give a steadier best on a shared machine, and let a profiler
/// see the parser rather than the making of the file.
fn bench(name: &str, bytes: &[u8], parse: impl Fn(&[u8]) -> usize) {
    let runs = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        count = parse(bytes);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = bytes.len() as f64 / 1e6;
    println!("{name:<10} {mb:8.1} MB  {count:>9} transactions  best {best:7.3} s  {:8.1} MB/s", mb / best);
}

fn count(r: Result<bank::BankFile, Vec<inkasso::ingest::Error>>) -> usize {
    match r {
        Ok(f) => f.transactions.len(),
        Err(e) => panic!("benchmark input rejected: {}", e[0]),
    }
}

fn main() {
    // BENCH_ONLY=camt|bgmax|nets|pipeline runs one part.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let want = |part: &str| only.is_empty() || only == part;
    if want("camt") {
        bench("camt.053", &camt(40_000), |b| count(bank::camt::parse(b)));
    }
    if want("bgmax") {
        bench("bgmax", &bgmax(150_000), |b| count(bank::bgmax::parse(b)));
    }
    if want("nets") {
        bench("nets_ocr", &nets(150_000), |b| count(bank::nets_ocr::parse(b)));
    }
    if !want("pipeline") {
        return;
    }
    let claims = std::env::var("BENCH_CLAIMS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let payments = std::env::var("BENCH_PAYMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    pipeline::run(claims, payments);
}

mod pipeline {
    //! The engine's steps, journal writing and PDF rendering.

    use std::time::Instant;

    use chrono::NaiveDate;
    use inkasso::engine::{self, Inputs, State};
    use inkasso::model::*;
    use rust_decimal::Decimal;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn config() -> Config {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/inkasso.toml")).unwrap_or_default();
        inkasso::store::config::parse(std::path::Path::new("inkasso.toml"), &text).expect("fixture config")
    }

    fn row(i: usize) -> ReceivableRow {
        ReceivableRow {
            source: Source { file: "bench.csv".into(), line: i as u32 + 2 },
            creditor_id: "5561234567".into(),
            invoice_number: format!("{}", 100_000 + i),
            invoice_date: d("2024-10-01"),
            due_date: d("2024-11-01"),
            currency: Currency::SEK,
            amount: Decimal::new(100_000 + (i as i64 % 900_000), 2),
            open_amount: Decimal::new(100_000 + (i as i64 % 900_000), 2),
            status: InvoiceStatus::Sent,
            reference: format!("{}", 7_000_000 + i),
            debtor: Debtor {
                id: format!("D{i}"),
                kind: if i.is_multiple_of(5) { DebtorKind::Business } else { DebtorKind::Consumer },
                name: format!("Gäldenär {i}"),
                address1: "Storgatan 1".into(),
                address2: String::new(),
                postcode: "111 22".into(),
                city: "Stockholm".into(),
                country: "SE".into(),
                email: String::new(),
                language: "sv".into(),
            },
            debtor_group: String::new(),
            channel: Channel::Paper,
            reminded_by_creditor: false,
            other_agency: false,
            credited_invoice: String::new(),
            description: String::new(),
        }
    }

    pub fn run(claims: usize, payments: usize) {
        let cfg = config();
        let rows: Vec<ReceivableRow> = (0..claims).map(row).collect();
        let t = Instant::now();
        let day1 =
            engine::day(&State::default(), &Inputs { receivables: rows, ..Inputs::default() }, &cfg, d("2024-12-02"))
                .expect("day 1");
        let admit = t.elapsed().as_secs_f64();
        println!("engine day 1 ({claims} claims admitted, {} letters): {admit:.3} s", day1.letters.len());
        let claims_by_no: Vec<&Claim> = day1.state.claims.values().map(|c| &**c).collect();
        let txs: Vec<BankTransaction> = (0..payments)
            .map(|i| {
                let c = claims_by_no[i % claims_by_no.len()];
                BankTransaction {
                    payment_id: format!("P{i}").into(),
                    key: format!("K{i}"),
                    source: Source { file: "camt.xml".into(), line: i as u32 },
                    account: "SE45".into(),
                    bank_ref: format!("B{i}").into(),
                    booking_date: d("2024-12-03"),
                    amount: Money::new(Decimal::new(50_000, 2), Currency::SEK),
                    direction: Direction::Credit,
                    reversal: false,
                    structured_ref: c.agency_reference.as_str().into(),
                    unstructured: "".into(),
                    payer: "".into(),
                }
            })
            .collect();
        let t = Instant::now();
        let day2 = engine::day(&day1.state, &Inputs { transactions: txs, ..Inputs::default() }, &cfg, d("2024-12-04"))
            .expect("day 2");
        let pay = t.elapsed().as_secs_f64();
        println!(
            "engine day 2 ({payments} payments matched and allocated over {claims} claims, ladder, settlement): {pay:.3} s = {:.0} payments/s",
            payments as f64 / pay
        );
        let t = Instant::now();
        let mut total = Decimal::ZERO;
        let pack = inkasso::rules::se::Sweden::new(&[]);
        for c in day2.state.claims.values() {
            let segs = inkasso::rules::interest::claim_segments(c, d("2025-03-31"), |x| {
                inkasso::rules::RulePack::interest_rate(&pack, x, c.debtor.kind)
            })
            .expect("rates known");
            total += inkasso::rules::interest::total(&segs);
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "interest over a rate change for {claims} claims: {s:.3} s = {:.0} claims/s (sum {})",
            claims as f64 / s,
            total.round_dp(2)
        );
        let header = inkasso::emit::journals::JournalHeader {
            org_no: "5561234567".into(),
            company_name: "Kund AB".into(),
            program: "inkasso".into(),
            generated: d("2024-12-04"),
            currency: Currency::SEK,
        };
        let t = Instant::now();
        let sie = inkasso::emit::journals::sie4::write(&header, &day2.verifications);
        let csv = inkasso::emit::journals::csv::write(&day2.verifications);
        let postings: usize = day2.verifications.iter().map(|v| v.postings().len()).sum();
        let s = t.elapsed().as_secs_f64();
        println!("journals: {postings} postings as SIE4 + CSV ({} bytes): {s:.3} s", sie.len() + csv.len());
        let letters: Vec<Letter> = day1.letters.iter().take(2_000).cloned().collect();
        let t = Instant::now();
        let plan = inkasso::emit::letters::plan(&letters).expect("plan");
        let files = inkasso::emit::letters::render_planned(&plan).expect("render");
        let s = t.elapsed().as_secs_f64();
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        println!(
            "letters: {} one-page letters in {} batch PDFs ({bytes} bytes): {s:.3} s = {:.0} letters/s",
            letters.len(),
            files.len(),
            letters.len() as f64 / s
        );
    }
}
