//! The one place where amounts and dates cross into and out of the Parquet
//! snapshot.
//!
//! An amount is stored exactly as rust_decimal holds it: an integer
//! mantissa and a decimal scale (value = mantissa × 10^-scale; `1312.47` is
//! 131247 and 2, `100.50` is 10050 and 2), never as a float and not as a
//! polars Decimal column (polars rescales Decimal columns with
//! round-half-even, and bank amounts may carry more decimals than the
//! currency's minor unit: camt allows five, exact accrued interest more).
//! The scale is kept, not normalised, so a value read back prints as it
//! did before it was written. A mantissa beyond a signed 64-bit integer
//! (more than 18 digits; rust_decimal allows 28) is stored as exact decimal
//! text instead. Integers cost no formatting or parsing; the property tests
//! below prove the round trip is exact, scale included. The one thing not
//! kept is the sign of a zero (an artefact of arithmetic, equal to zero and
//! printed as `0.00`; the text form lost it too). Dates are polars `Date`
//! (days since 1970-01-01).

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// Days from 0001-01-01 (day 1) to 1970-01-01.
const DAYS_TO_1970: i32 = 719_163;

/// Days from 1970-01-01, as polars stores a `Date`.
pub fn date_to_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - DAYS_TO_1970
}

/// Inverse of `date_to_days`; `None` outside chrono's range.
pub fn days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(DAYS_TO_1970)?)
}

/// An amount as the snapshot stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredAmount {
    /// value = `mantissa` × 10^-`scale`.
    Scaled { mantissa: i64, scale: u32 },
    /// Exact decimal text (`amount_to_text`), for a mantissa beyond `i64`.
    Text(String),
}

/// How `d` is stored: its mantissa and scale, or its exact text when the
/// mantissa does not fit an `i64`.
pub fn store_amount(d: Decimal) -> StoredAmount {
    match i64::try_from(d.mantissa()) {
        Ok(mantissa) => StoredAmount::Scaled { mantissa, scale: d.scale() },
        Err(_) => StoredAmount::Text(amount_to_text(d)),
    }
}

/// The amount `mantissa` × 10^-`scale`; `None` when the scale is beyond
/// rust_decimal's 28.
pub fn scaled_amount(mantissa: i64, scale: u32) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(i128::from(mantissa), scale).ok()
}

/// Exact text of an amount, scale included (`100.50`).
pub fn amount_to_text(d: Decimal) -> String {
    d.to_string()
}

/// Parses what `amount_to_text` wrote.
pub fn text_to_amount(s: &str) -> Option<Decimal> {
    Decimal::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `d` read back, as its text (the text shows scale and sign).
    fn round_trip(d: Decimal) -> Option<String> {
        match store_amount(d) {
            StoredAmount::Scaled { mantissa, scale } => scaled_amount(mantissa, scale),
            StoredAmount::Text(t) => text_to_amount(&t),
        }
        .map(|d| d.to_string())
    }

    proptest::proptest! {
        #[test]
        fn amounts_round_trip_exactly(mantissa in proptest::num::i64::ANY, scale in 0u32..8) {
            let d = Decimal::new(mantissa, scale);
            proptest::prop_assert_eq!(text_to_amount(&amount_to_text(d)).map(|d| d.to_string()), Some(d.to_string()));
            proptest::prop_assert_eq!(round_trip(d), Some(d.to_string()));
        }

        #[test]
        fn wide_amounts_round_trip_exactly(lo in proptest::num::u32::ANY, mid in proptest::num::u32::ANY,
                                           hi in proptest::num::u32::ANY, negative in proptest::bool::ANY,
                                           scale in 0u32..=28) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            // A zero's sign is not kept (see the module doc).
            let d = if d.is_zero() { d.abs() } else { d };
            proptest::prop_assert_eq!(round_trip(d), Some(d.to_string()));
        }

        #[test]
        fn dates_round_trip(days in -100_000i32..100_000) {
            let d = days_to_date(days).unwrap();
            proptest::prop_assert_eq!(date_to_days(d), days);
            proptest::prop_assert_eq!((d - NaiveDate::default()).num_days(), i64::from(days));
        }
    }

    #[test]
    fn amounts_keep_their_scale_and_wide_ones_are_text() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(store_amount(d("100.50")), StoredAmount::Scaled { mantissa: 10050, scale: 2 });
        assert_eq!(store_amount(d("0.00")), StoredAmount::Scaled { mantissa: 0, scale: 2 });
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 2);
        assert_eq!(round_trip(negative_zero).as_deref(), Some("0.00"));
        assert_eq!(store_amount(d("-0.00001")), StoredAmount::Scaled { mantissa: -1, scale: 5 });
        let third = Decimal::ONE / Decimal::from(3);
        assert_eq!(store_amount(third), StoredAmount::Text("0.3333333333333333333333333333".into()));
        assert_eq!(store_amount(Decimal::MAX), StoredAmount::Text(Decimal::MAX.to_string()));
        assert_eq!(scaled_amount(1, 29), None);
    }
}
