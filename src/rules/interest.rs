//! Late-payment interest (dröjsmålsränta), räntelagen (1975:635) 6 and 9 §§,
//! as DOMAIN.md Part A applies it.
//!
//! For each day d after the effective due date up to and including the day
//! of evaluation, interest for d is `principal at the start of d × rate(d) /
//! 365`, rate(d) = reference rate of d's calendar half-year + margin. Simple
//! interest, never on interest or fees; 365-day year, leap years too.
//!
//! Exactness: a segment keeps its numerator `principal × rate% × days`
//! exactly; the accrued total divides the sum of numerators once by 36 500.
//! Interest over a period therefore equals the sum over its parts before
//! rounding, to the last digit. Rounding to öre happens only where interest
//! is allocated, printed or booked (`Rounding::InterestToOre`).

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;

use crate::model::{Claim, InterestLine};
use crate::rules::rates::MissingRate;

/// Days in the interest year (DOMAIN.md Part A: always 365, leap years too).
pub const DAYS_IN_YEAR: i64 = 365;

/// One run of days with constant principal and rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rate_percent: Decimal,
    pub principal: Decimal,
}

impl Segment {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
    /// `principal × rate% × days`, exact.
    pub fn numerator(&self) -> Decimal {
        self.principal * self.rate_percent * Decimal::from(self.days())
    }
    /// Exact interest of the segment (one division).
    pub fn amount(&self) -> Decimal {
        self.numerator() / Decimal::from(DAYS_IN_YEAR * 100)
    }
    pub fn to_line(&self) -> InterestLine {
        InterestLine {
            from: self.from,
            to: self.to,
            days: self.days(),
            rate_percent: self.rate_percent,
            principal: self.principal,
            amount: self.amount(),
        }
    }
}

/// Sum of segments' exact interest, divided once.
pub fn total(segments: &[Segment]) -> Decimal {
    segments.iter().map(Segment::numerator).sum::<Decimal>() / Decimal::from(DAYS_IN_YEAR * 100)
}

/// Splits the days `first..=last` into segments of constant principal and
/// constant rate. `principal_at(d)` gives the principal at the start of d;
/// `change_days` lists the days on which it may change; `rate(d)` is the
/// annual rate in percent. Zero-principal runs are left out.
///
/// # Errors
/// `MissingRate` for a day whose half-year has no reference rate.
pub fn segments(
    first: NaiveDate,
    last: NaiveDate,
    change_days: &[NaiveDate],
    principal_at: impl Fn(NaiveDate) -> Decimal,
    rate: impl Fn(NaiveDate) -> Result<Decimal, MissingRate>,
) -> Result<Vec<Segment>, MissingRate> {
    let mut out = Vec::new();
    let mut start = first;
    while start <= last {
        // The next day on which principal or rate may change.
        let next_half = if start.month() < 7 {
            NaiveDate::from_ymd_opt(start.year(), 7, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        }
        .expect("invariant: 1 Jan / 1 Jul exist");
        let next_change = change_days.iter().copied().filter(|d| *d > start).min();
        let boundary = next_change.map_or(next_half, |c| c.min(next_half));
        let end = (boundary - Duration::days(1)).min(last);
        let principal = principal_at(start);
        if !principal.is_zero() {
            out.push(Segment { from: start, to: end, rate_percent: rate(start)?, principal });
        }
        start = end + Duration::days(1);
    }
    Ok(out)
}

/// The claim's interest segments from the day after its effective due date
/// through `through` (inclusive).
///
/// # Errors
/// `MissingRate` as for `segments`.
pub fn claim_segments(
    claim: &Claim,
    through: NaiveDate,
    rate: impl Fn(NaiveDate) -> Result<Decimal, MissingRate>,
) -> Result<Vec<Segment>, MissingRate> {
    let first = claim.effective_due + Duration::days(1);
    let days: Vec<NaiveDate> = claim.principal_changes.iter().map(|c| c.from).collect();
    segments(first, through, &days, |d| claim.principal_at(d), rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rounding;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn se_rate(day: NaiveDate) -> Result<Decimal, MissingRate> {
        Ok(if day < d("2025-01-01") { dec!(12) } else { dec!(11) })
    }

    #[test]
    fn domain_worked_example_10000_sek_over_new_year() {
        // DOMAIN.md §0: 10 000 SEK, due 2024-12-20, paid 2025-01-10:
        // 11 days at 12 % = 36.16, 10 days at 11 % = 30.14, total 66.30.
        let segs = segments(d("2024-12-21"), d("2025-01-10"), &[], |_| dec!(10000), se_rate).unwrap();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].days(), 11);
        assert_eq!(segs[1].days(), 10);
        assert_eq!(Rounding::InterestToOre.apply(segs[0].amount()), dec!(36.16));
        assert_eq!(Rounding::InterestToOre.apply(segs[1].amount()), dec!(30.14));
        assert_eq!(Rounding::InterestToOre.apply(total(&segs)), dec!(66.30));
    }

    #[test]
    fn kronofogden_check_examples_before_truncation() {
        // DOMAIN.md §0: 300 000 × 7.5 % × 31/365 = 1 910.96;
        // 6 780 × 8 % × 110/365 = 163.46.
        let flat = |r: Decimal| move |_d: NaiveDate| -> Result<Decimal, MissingRate> { Ok(r) };
        let a = segments(d("2018-10-01"), d("2018-10-31"), &[], |_| dec!(300000), flat(dec!(7.5))).unwrap();
        assert_eq!(Rounding::InterestToOre.apply(total(&a)), dec!(1910.96));
        let b = segments(d("2021-01-01"), d("2021-04-20"), &[], |_| dec!(6780), flat(dec!(8))).unwrap();
        assert_eq!(b[0].days(), 110);
        assert_eq!(Rounding::InterestToOre.apply(total(&b)), dec!(163.46));
    }

    #[test]
    fn principal_change_splits_segment_and_leap_year_uses_365() {
        let change = d("2024-03-01");
        let p = |day: NaiveDate| if day >= change { dec!(500) } else { dec!(1000) };
        let flat = |_d: NaiveDate| -> Result<Decimal, MissingRate> { Ok(dec!(10)) };
        let s = segments(d("2024-02-20"), d("2024-03-05"), &[change], p, flat).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].days(), 10); // 20..29 Feb (leap year)
        assert_eq!(s[1].days(), 5);
        // 1000 × 10 % × 10 / 365 + 500 × 10 % × 5 / 365 = (100000 + 25000) / 36500
        assert_eq!(total(&s), dec!(125000) / dec!(36500));
    }

    #[test]
    fn missing_rate_is_an_error() {
        let none = |day: NaiveDate| -> Result<Decimal, MissingRate> {
            Err(MissingRate { country: "SE".into(), half_year_start: day })
        };
        assert!(segments(d("2030-01-01"), d("2030-01-02"), &[], |_| dec!(1), none).is_err());
    }

    proptest::proptest! {
        #[test]
        fn interest_is_additive_over_split_periods(
            principal_ore in 1i64..100_000_000,
            start_off in 0i64..2000,
            len in 0i64..800,
            split in 0i64..800,
        ) {
            let base = d("2022-01-01");
            let first = base + Duration::days(start_off);
            let last = first + Duration::days(len);
            let mid = first + Duration::days(split.min(len));
            let p = Decimal::new(principal_ore, 2);
            let rate = |day: NaiveDate| -> Result<Decimal, MissingRate> {
                Ok(Decimal::from(day.year() - 2015) + if day.month() > 6 { dec!(0.5) } else { dec!(0) })
            };
            let whole = total(&segments(first, last, &[], |_| p, rate).unwrap());
            let mut parts = segments(first, mid, &[], |_| p, rate).unwrap();
            if mid < last {
                parts.extend(segments(mid + Duration::days(1), last, &[], |_| p, rate).unwrap());
            }
            proptest::prop_assert_eq!(whole, total(&parts));
        }
    }
}
