//! Plain domain types: money, claims, bank transactions, letters, journal
//! entries, events and configuration. No I/O here.

#![deny(clippy::float_arithmetic)]

mod claim;
mod config;
mod journal;
mod letter;
mod money;
mod payment;
mod receivable;

use std::borrow::Cow;

pub use claim::*;
pub use config::*;
pub use journal::*;
pub use letter::*;
pub use money::*;
pub use payment::*;
pub use receivable::*;

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The first 16 bytes of `s` (zero-padded) as a number that orders like
/// the text: a sort compares it first and the whole texts only on equal
/// prefixes. Sorting a million rows by their ids then rarely touches the
/// ids themselves (scattered in memory: their cache misses were most of
/// such a sort).
pub fn sort_prefix(s: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

/// Where a value came from: the input file's name and the 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One entry of the append-only audit log: what happened to a claim or a
/// payment, when, by which rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub date: NaiveDate,
    /// Claim id, or empty for payment-only events.
    pub claim_id: CompactString,
    /// Payment id, or empty.
    pub payment_id: CompactString,
    /// e.g. `admitted`, `refused`, `letter`, `fee`, `allocation`, `direct_payment`.
    /// (`Cow`: the engine's kinds and rules are constants, not allocated per event.)
    pub kind: Cow<'static, str>,
    pub amount: Decimal,
    /// The rule that decided it, e.g. `se::late_interest`.
    pub rule: Cow<'static, str>,
    pub detail: String,
}

/// Serde for a shared (`Arc`) field without serde's `rc` feature (which
/// would rebuild every crate that uses serde): written and read as the
/// value itself.
pub(crate) mod shared {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(value: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
        T::serialize(value, s)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Arc<T>, D::Error> {
        T::deserialize(d).map(Arc::new)
    }
}

#[cfg(test)]
mod sort_prefix_tests {
    use super::sort_prefix;

    proptest::proptest! {
        /// Prefix first, then the text: the order of the texts themselves.
        #[test]
        fn sort_prefix_orders_like_the_text(a in "[\\x00-\\x7f]{0,20}|P0{0,17}[0-9a-f]{0,3}", b in "[\\x00-\\x7f]{0,20}|P0{0,17}[0-9a-f]{0,3}") {
            let by_prefix = sort_prefix(&a).cmp(&sort_prefix(&b)).then_with(|| a.cmp(&b));
            proptest::prop_assert_eq!(by_prefix, a.cmp(&b));
        }
    }
}
