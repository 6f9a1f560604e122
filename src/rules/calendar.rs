//! Swedish banking days (DOMAIN.md Part A, "Days and calendars").
//!
//! A banking day is a weekday that is not a Swedish public holiday (lag
//! (1989:253) om allmänna helgdagar) nor midsommarafton, julafton or
//! nyårsafton, on which Swedish banks are closed.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The algorithm always yields a March or April date.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("invariant: Easter falls in March or April")
}

/// True for Swedish public holidays and the bank-closed eves, weekdays or not.
pub fn is_swedish_holiday(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    let fixed = matches!((m, day), (1, 1) | (1, 6) | (5, 1) | (6, 6) | (12, 24) | (12, 25) | (12, 26) | (12, 31));
    if fixed {
        return true;
    }
    let easter = easter_sunday(d.year());
    let movable = [
        easter - Duration::days(2),  // långfredagen
        easter,                      // påskdagen
        easter + Duration::days(1),  // annandag påsk
        easter + Duration::days(39), // Kristi himmelsfärdsdag
    ];
    if movable.contains(&d) {
        return true;
    }
    // Midsommardagen: the Saturday 20-26 June; midsommarafton the Friday before.
    if m == 6 && (19..=26).contains(&day) {
        let wd = d.weekday();
        if (wd == Weekday::Sat && day >= 20) || (wd == Weekday::Fri && day <= 25) {
            return true;
        }
    }
    // Alla helgons dag: the Saturday 31 Oct - 6 Nov (a Saturday, so never a
    // banking day anyway; listed for completeness).
    if d.weekday() == Weekday::Sat && ((m == 10 && day == 31) || (m == 11 && day <= 6)) {
        return true;
    }
    false
}

/// A weekday that is not a Swedish holiday or bank-closed eve.
pub fn is_banking_day_se(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_swedish_holiday(d)
}

/// `d` itself when it is a banking day, else the next banking day.
pub fn next_banking_day_se(d: NaiveDate) -> NaiveDate {
    let mut x = d;
    while !is_banking_day_se(x) {
        x += Duration::days(1);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), d("2024-03-31"));
        assert_eq!(easter_sunday(2025), d("2025-04-20"));
        assert_eq!(easter_sunday(2026), d("2026-04-05"));
    }

    #[test]
    fn holidays_and_eves_are_not_banking_days() {
        for s in [
            "2024-12-24",
            "2024-12-25",
            "2024-12-26",
            "2024-12-31",
            "2025-01-01",
            "2025-01-06",
            "2025-04-18",
            "2025-04-21",
            "2025-05-01",
            "2025-05-29",
            "2025-06-06",
            "2025-06-20",
        ] {
            assert!(!is_banking_day_se(d(s)), "{s}");
        }
        for s in ["2024-12-23", "2024-12-27", "2025-01-02", "2025-01-07", "2025-06-19", "2025-06-23"] {
            assert!(is_banking_day_se(d(s)), "{s}");
        }
    }

    #[test]
    fn weekend_and_holiday_due_dates_move_forward() {
        // Saturday 2024-12-21 -> Friday? no: forward to Monday 23 Dec.
        assert_eq!(next_banking_day_se(d("2024-12-21")), d("2024-12-23"));
        // Julafton Tue 24 Dec -> 25, 26 holidays -> Friday 27 Dec.
        assert_eq!(next_banking_day_se(d("2024-12-24")), d("2024-12-27"));
        // Nyårsafton -> nyårsdagen -> Thursday 2 Jan.
        assert_eq!(next_banking_day_se(d("2024-12-31")), d("2025-01-02"));
        assert_eq!(next_banking_day_se(d("2025-01-02")), d("2025-01-02"));
    }
}
