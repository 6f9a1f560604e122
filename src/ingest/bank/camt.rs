//! camt reader (placeholder until the camt branch lands).
use super::BankFile;
use crate::ingest::Error;
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    String::from_utf8_lossy(head).contains("camt.05")
}
pub fn parse(_bytes: &[u8]) -> Result<BankFile, Vec<Error>> {
    Err(vec![Error::new(0, "(camt)", "", "camt support")])
}
