//! The Swedish rule pack (DOMAIN.md Part A).

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::calendar::{is_banking_day_se, next_banking_day_se};
use super::rates::{MissingRate, RateTable};
use super::reference::se_ocr_with_length;
use super::{FeeRule, Part, RulePack};
use crate::model::{Currency, DebtorKind, FeeKind, LetterKind, Policy, RatePeriod};

/// Riksbank reference rates (percent) per half-year (DOMAIN.md Part A and
/// §1.2; sources [S1]-[S6]). Extend with `[[rates.SE]]` in inkasso.toml.
pub const SE_REFERENCE_RATES: &[(&str, &str)] = &[
    ("2022-01-01", "0.00"),
    ("2022-07-01", "0.50"),
    ("2023-01-01", "2.50"),
    ("2023-07-01", "3.50"),
    ("2024-01-01", "4.00"),
    ("2024-07-01", "4.00"),
    ("2025-01-01", "3.00"),
    ("2025-07-01", "2.00"),
    ("2026-01-01", "2.00"),
];

/// Räntelagen 6 §: reference rate + 8 percentage points, consumers and
/// businesses alike.
pub const SE_INTEREST_MARGIN: Decimal = dec!(8);

/// Påminnelseavgift, lag (1981:739) 2 §, as amended by SFS 2013:56: 60 SEK.
pub const SE_REMINDER_FEE: Decimal = dec!(60);
/// Inkassoavgift, lag (1981:739) 3 §: 180 SEK.
pub const SE_COLLECTION_FEE: Decimal = dec!(180);
/// Förseningsersättning, lag (1981:739) 4 a §: 450 SEK, business debtors.
pub const SE_LATE_COMPENSATION: Decimal = dec!(450);

/// Days from the letter date to its pay-by date before moving to a banking
/// day. 10 days satisfies god inkassosed's "at least 8 days and 4 banking
/// days" for an inkassokrav (IMY; DOMAIN.md §3) in every calendar week.
pub const SE_PAY_BY_DAYS: i64 = 10;

/// The rules behind the Swedish fees, as recorded with each fee charged:
/// påminnelseavgift, inkassoavgift, förseningsersättning.
pub const FEE_RULES: [&str; 3] = [
    "se::paminnelseavgift (lag 1981:739 2 §)",
    "se::inkassoavgift (lag 1981:739 3 §)",
    "se::forseningsersattning (lag 1981:739 4 a §)",
];

/// Sweden.
pub struct Sweden {
    rates: RateTable,
}

impl Sweden {
    pub fn new(extra_rates: &[RatePeriod]) -> Sweden {
        Sweden { rates: RateTable::new(SE_REFERENCE_RATES, extra_rates) }
    }
}

impl RulePack for Sweden {
    fn country(&self) -> &'static str {
        "SE"
    }

    fn currency(&self) -> Currency {
        Currency::SEK
    }

    fn is_banking_day(&self, d: NaiveDate) -> bool {
        is_banking_day_se(d)
    }

    fn next_banking_day(&self, d: NaiveDate) -> NaiveDate {
        next_banking_day_se(d)
    }

    /// Räntelagen 6 § with 9 §: the reference rate of d's half-year + 8 pp.
    fn interest_rate(&self, d: NaiveDate, _debtor: DebtorKind) -> Result<Decimal, MissingRate> {
        Ok(self.rates.reference_rate("SE", d)? + SE_INTEREST_MARGIN)
    }

    /// Consumer: 60 SEK påminnelseavgift with the first reminder only and
    /// only where `charge_reminder_fee` says it was agreed (2 §); 180 SEK
    /// inkassoavgift with the inkassokrav, once per claim (3 §).
    /// Business: no reminder or collection fee; 450 SEK förseningsersättning
    /// once per claim with the inkassokrav (4 a §, which replaces the others).
    fn fees_for_letter(
        &self,
        kind: LetterKind,
        debtor: DebtorKind,
        policy: &Policy,
        charged: &[FeeKind],
    ) -> Vec<FeeRule> {
        let rule = match (kind, debtor) {
            (LetterKind::Reminder, DebtorKind::Consumer) if policy.charge_reminder_fee => {
                FeeRule { kind: FeeKind::Reminder, amount: SE_REMINDER_FEE, rule: FEE_RULES[0] }
            }
            (LetterKind::Reminder, _) => return Vec::new(),
            (LetterKind::Collection, DebtorKind::Consumer) => {
                FeeRule { kind: FeeKind::Collection, amount: SE_COLLECTION_FEE, rule: FEE_RULES[1] }
            }
            (LetterKind::Collection, DebtorKind::Business) => {
                FeeRule { kind: FeeKind::LateCompensation, amount: SE_LATE_COMPENSATION, rule: FEE_RULES[2] }
            }
        };
        if charged.contains(&rule.kind) {
            Vec::new()
        } else {
            vec![rule]
        }
    }

    fn fee_cap(&self, kind: FeeKind, debtor: DebtorKind) -> Decimal {
        match (kind, debtor) {
            (FeeKind::Reminder, DebtorKind::Consumer) => SE_REMINDER_FEE,
            (FeeKind::Collection, DebtorKind::Consumer) => SE_COLLECTION_FEE,
            (FeeKind::LateCompensation, DebtorKind::Business) => SE_LATE_COMPENSATION,
            // FER replaces the other fees for businesses; no FER for consumers.
            _ => Decimal::ZERO,
        }
    }

    /// Letter date + 10 days, moved to the next banking day.
    fn pay_by(&self, _kind: LetterKind, letter_date: NaiveDate) -> NaiveDate {
        next_banking_day_se(letter_date + Duration::days(SE_PAY_BY_DAYS))
    }

    /// Agency practice: costs, then interest, then principal (DOMAIN.md §5).
    fn allocation_order(&self, _debtor: DebtorKind) -> [Part; 3] {
        [Part::Fees, Part::Interest, Part::Principal]
    }

    /// OCR number with length digit and Luhn check digit (Bankgirot), over
    /// the claim's sequence number: stable across reruns because claims are
    /// numbered in a deterministic admission order.
    fn agency_reference(&self, claim_no: u64) -> String {
        se_ocr_with_length(&claim_no.to_string()).expect("invariant: a u64 prints as digits")
    }

    /// Preskriptionslagen 2 §: 3 years for consumer claims; applied to all
    /// claims at admission (the conservative choice, DOMAIN.md Part A rule 5).
    fn admission_max_age_years(&self) -> u32 {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rate_is_reference_plus_eight_per_half_year() {
        let se = Sweden::new(&[]);
        assert_eq!(se.interest_rate(d("2024-12-31"), DebtorKind::Consumer).unwrap(), dec!(12.00));
        assert_eq!(se.interest_rate(d("2025-01-01"), DebtorKind::Business).unwrap(), dec!(11.00));
        assert_eq!(se.interest_rate(d("2025-07-01"), DebtorKind::Consumer).unwrap(), dec!(10.00));
        let err = se.interest_rate(d("2026-07-01"), DebtorKind::Consumer).unwrap_err();
        assert!(err.to_string().contains("[[rates.SE]] valid_from = \"2026-07-01\""), "{err}");
    }

    #[test]
    fn config_extends_the_rate_table() {
        let extra = [RatePeriod { valid_from: d("2026-07-01"), reference_rate: dec!(1.75) }];
        let se = Sweden::new(&extra);
        assert_eq!(se.interest_rate(d("2026-08-01"), DebtorKind::Consumer).unwrap(), dec!(9.75));
    }

    #[test]
    fn consumer_and_business_fees() {
        let se = Sweden::new(&[]);
        let mut policy = Policy::default();
        let r = se.fees_for_letter(LetterKind::Reminder, DebtorKind::Consumer, &policy, &[]);
        assert_eq!(r[0].amount, dec!(60));
        // Only with the first reminder.
        assert!(se
            .fees_for_letter(LetterKind::Reminder, DebtorKind::Consumer, &policy, &[FeeKind::Reminder])
            .is_empty());
        policy.charge_reminder_fee = false;
        assert!(se.fees_for_letter(LetterKind::Reminder, DebtorKind::Consumer, &policy, &[]).is_empty());
        assert!(se.fees_for_letter(LetterKind::Reminder, DebtorKind::Business, &policy, &[]).is_empty());
        let c = se.fees_for_letter(LetterKind::Collection, DebtorKind::Consumer, &policy, &[]);
        assert_eq!((c[0].kind, c[0].amount), (FeeKind::Collection, dec!(180)));
        let b = se.fees_for_letter(LetterKind::Collection, DebtorKind::Business, &policy, &[]);
        assert_eq!((b[0].kind, b[0].amount), (FeeKind::LateCompensation, dec!(450)));
        assert!(se
            .fees_for_letter(LetterKind::Collection, DebtorKind::Business, &policy, &[FeeKind::LateCompensation])
            .is_empty());
        assert_eq!(se.fee_cap(FeeKind::Collection, DebtorKind::Business), dec!(0));
    }

    #[test]
    fn pay_by_moves_to_banking_day() {
        let se = Sweden::new(&[]);
        // 2024-12-16 + 10 = Thursday 26 Dec (annandag jul) -> Friday 27 Dec.
        assert_eq!(se.pay_by(LetterKind::Reminder, d("2024-12-16")), d("2024-12-27"));
        // 2025-01-03 + 10 = Monday 13 Jan (banking day).
        assert_eq!(se.pay_by(LetterKind::Collection, d("2025-01-03")), d("2025-01-13"));
    }

    #[test]
    fn agency_reference_is_a_valid_ocr_with_length_digit() {
        let se = Sweden::new(&[]);
        let r = se.agency_reference(1001);
        assert_eq!(r, "100164");
        assert!(crate::rules::reference::se_ocr_valid_with_length(&r));
    }
}
