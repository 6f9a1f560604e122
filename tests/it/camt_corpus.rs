//! camt corpus tests.

use std::path::Path;

use inkasso::ingest::bank::camt;

use crate::util::corpus_dir;

#[test]
fn camt_dump() {
    let Some(dir) = corpus_dir() else { return };
    for sub in ["camt053", "camt054", "camt052"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            dump(&f);
        }
    }
}

fn dump(f: &Path) {
    let bytes = std::fs::read(f).unwrap();
    println!("=== {}", f.display());
    match camt::parse(&bytes) {
        Ok(b) => {
            println!("format {} skipped {}", b.format, b.skipped_not_booked);
            for s in &b.statements {
                println!("  stmt {:?}", s);
            }
            for t in &b.transactions {
                println!("  tx l{} {} {:?} {} {} rev={} ref={:?} sref={:?} u={:?} payer={:?} key={:?} {}", t.source.line, t.booking_date, t.direction, t.amount.amount(), t.amount.currency(), t.reversal, t.bank_ref, t.structured_ref, t.unstructured, t.payer, t.key, t.payment_id);
            }
        }
        Err(e) => println!("ERR {:?}", e),
    }
}
