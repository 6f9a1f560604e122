//! Reference-rate tables as dated data (DOMAIN.md Part B §1.2).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::model::RatePeriod;

/// A dated table of reference rates in percent: each period applies from its
/// `valid_from` to the day before the next one. Periods are half-years.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateTable {
    periods: Vec<RatePeriod>,
}

/// No reference rate is known for the half-year containing a day.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no {country} reference rate for the half-year starting {half_year_start}: add it to inkasso.toml as [[rates.{country}]] valid_from = \"{half_year_start}\", reference_rate = \"...\" (the rate the central bank published for that half-year)")]
pub struct MissingRate {
    pub country: String,
    pub half_year_start: NaiveDate,
}

/// First day of the calendar half-year containing `d` (1 Jan or 1 Jul).
pub fn half_year_start(d: NaiveDate) -> NaiveDate {
    let month = if d.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(d.year(), month, 1).expect("invariant: 1 Jan / 1 Jul exist")
}

impl RateTable {
    /// Built-in rows plus rows from config; a config row for the same
    /// `valid_from` replaces the built-in one.
    pub fn new(builtin: &[(&str, &str)], extra: &[RatePeriod]) -> RateTable {
        let mut periods: Vec<RatePeriod> = builtin
            .iter()
            .filter_map(|(d, r)| {
                Some(RatePeriod {
                    valid_from: NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
                    reference_rate: r.parse().ok()?,
                })
            })
            .collect();
        for e in extra {
            periods.retain(|p| p.valid_from != e.valid_from);
            periods.push(e.clone());
        }
        periods.sort_by_key(|p| p.valid_from);
        RateTable { periods }
    }

    /// The reference rate (percent) for the half-year containing `d`.
    ///
    /// # Errors
    /// `MissingRate` when the table has no row for that half-year: never a
    /// guess or a carry-forward (DOMAIN.md Part A).
    pub fn reference_rate(&self, country: &str, d: NaiveDate) -> Result<Decimal, MissingRate> {
        let start = half_year_start(d);
        self.periods
            .iter()
            .find(|p| p.valid_from == start)
            .map(|p| p.reference_rate)
            .ok_or_else(|| MissingRate { country: country.to_string(), half_year_start: start })
    }
}
