//! The one place where amounts and dates cross into and out of the Parquet
//! snapshot.
//!
//! Amounts are stored as exact decimal text (`"1312.47"`), not as floats and
//! not as polars Decimal columns: polars rescales Decimal columns with
//! round-half-even, and bank amounts may carry more decimals than the
//! currency's minor unit (camt allows five). Text keeps every digit; the
//! round-trip test below proves nothing is lost. Dates are polars `Date`.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Days from 1970-01-01, as polars stores a `Date`.
pub fn date_to_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// Inverse of `date_to_days`.
pub fn days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(days)))
}

/// Exact text of an amount.
pub fn amount_to_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Parses what `amount_to_text` wrote.
pub fn text_to_amount(s: &str) -> Option<Decimal> {
    Decimal::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn amounts_round_trip_exactly(mantissa in proptest::num::i64::ANY, scale in 0u32..8) {
            let d = Decimal::new(mantissa, scale);
            proptest::prop_assert_eq!(text_to_amount(&amount_to_text(d)), Some(d));
        }

        #[test]
        fn dates_round_trip(days in -100_000i32..100_000) {
            let d = days_to_date(days).unwrap();
            proptest::prop_assert_eq!(date_to_days(d), days);
        }
    }
}
