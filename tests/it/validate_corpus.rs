//! `inkasso validate --json` over every bank file of the corpus: each one
//! is valid, or is rejected with a precise reason for a documented defect.

use std::process::Command;

/// Corpus files that are genuinely malformed, with the reason they fail.
const REJECTED: &[(&str, &str)] = &[
    // Control totals that do not add up (see camt_corpus.rs for the figures).
    ("camt053/bizcamt_danske_camt053_dk_example.xml", "Bal CLBD"),
    ("camt053/genkgo_camt053.v2.five.decimals.xml", "Bal CLBD"),
    ("camt053/viafintech_053_valid_example_v8.xml", "Bal CLBD"),
    ("camt053/viafintech_053_valid_example_with_batch.xml", "TxsSummry/TtlNtries/NbOfNtries"),
    // Balances that do not add up (see mt940_corpus.rs for the figures).
    ("mt940/wolph_betterplace_sepa_snippet.sta", ":62F:"),
    ("mt940/wolph_jejik_abnamro.sta", ":62"),
    ("mt940/wolph_jejik_rabobank.sta", ":62F:"),
    // AvtaleGiro files are not incoming-payment files.
    ("nets_ocr/netsgiro_avtalegiro_agreements.txt", "service code"),
    ("nets_ocr/netsgiro_avtalegiro_payment_request.txt", "service code"),
];

#[test]
fn every_corpus_bank_file_validates_or_is_rejected_precisely() {
    let Some(corpus) = crate::util::corpus_dir() else { return };
    let mut files = Vec::new();
    for dir in ["camt052", "camt053", "camt054", "bgmax", "mt940", "nets_ocr"] {
        for e in std::fs::read_dir(corpus.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "md") {
                continue;
            }
            files.push(p);
        }
    }
    files.sort();
    assert!(files.len() >= 35, "{} files", files.len());
    let out = Command::new(env!("CARGO_BIN_EXE_inkasso")).arg("validate").arg("--json").args(&files).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "some corpus files are malformed on purpose");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reports: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(reports.len(), files.len(), "one JSON object per file");
    for (path, r) in files.iter().zip(&reports) {
        let rel = path.strip_prefix(&corpus).unwrap().display().to_string();
        assert_eq!(r["file"].as_str().unwrap(), path.display().to_string());
        match REJECTED.iter().find(|(f, _)| *f == rel) {
            Some((_, field)) => {
                assert_eq!(r["ok"], false, "{rel} should be rejected");
                let errors = r["errors"].as_array().unwrap();
                assert!(!errors.is_empty());
                assert!(errors.iter().all(|e| e["line"].as_u64().unwrap() > 0), "{rel}: errors name their line");
                assert!(errors.iter().any(|e| e["field"].as_str().unwrap().contains(field)), "{rel}: {errors:?}");
            }
            None => {
                assert_eq!(r["ok"], true, "{rel}: {r}");
                let expected_format = rel.split('/').next().unwrap();
                let format = r["format"].as_str().unwrap();
                assert!(
                    format.starts_with(&expected_format.replace("camt05", "camt.05")) || format == expected_format,
                    "{rel}: {format}"
                );
                assert!(r["totals"].is_object());
            }
        }
    }
    // Spot checks of entries and totals against the files' own control figures.
    let by_name = |n: &str| reports.iter().find(|r| r["file"].as_str().unwrap().ends_with(n)).unwrap();
    assert_eq!(
        by_name("fabhed_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt")["entries"],
        7
    );
    assert_eq!(
        by_name("fabhed_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt")["totals"]
            ["SEK"],
        "9900.00"
    );
    assert_eq!(
        by_name("rlindgren_bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_checksiffra_langd_sv.txt")["totals"]
            ["EUR"],
        "4000.00"
    );
    assert_eq!(by_name("netsgiro_ocr_giro_transactions.txt")["entries"], 20);
    assert_eq!(by_name("netsgiro_ocr_giro_transactions.txt")["totals"]["NOK"], "51449.00");
    assert_eq!(by_name("mt940rs_danskebank_MT940_SE_Example.sta")["entries"], 103);
    assert_eq!(by_name("mt940rs_danskebank_MT940_SE_Example.sta")["totals"]["SEK"], "10528395.60");
}
