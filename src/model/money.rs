//! Money: an exact amount in one currency, and the named rounding rules.
//!
//! Never constructed from a float. Arithmetic across currencies is an error,
//! not a panic. Inside one claim (always one currency) the engine works on
//! plain `Decimal`s and wraps them in `Money` at the boundaries.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// ISO 4217 currency. The Nordic ones have names; any other well-formed code
/// (bank files carry CHF, USD, ...) is `Other` with its three letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    SEK,
    DKK,
    NOK,
    EUR,
    Other([u8; 3]),
}

impl Currency {
    /// Digits after the decimal point in the smallest unit (öre, øre, cent).
    pub fn minor_units(self) -> u32 {
        match &self {
            Currency::Other([b'J', b'P', b'Y'] | [b'I', b'S', b'K'] | [b'K', b'R', b'W']) => 0,
            _ => 2,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Currency::SEK => "SEK",
            Currency::DKK => "DKK",
            Currency::NOK => "NOK",
            Currency::EUR => "EUR",
            // Only ASCII uppercase letters are ever stored (see `from_str`).
            Currency::Other(c) => std::str::from_utf8(c).unwrap_or("XXX"),
        }
    }
}

impl Currency {
    /// Parses a code exactly as `code()` writes it.
    pub fn from_str_exact(s: &str) -> Option<Currency> {
        s.parse().ok()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "SEK" => Ok(Currency::SEK),
            "DKK" => Ok(Currency::DKK),
            "NOK" => Ok(Currency::NOK),
            "EUR" => Ok(Currency::EUR),
            other if other.len() == 3 && other.bytes().all(|b| b.is_ascii_uppercase()) => {
                let b = other.as_bytes();
                Ok(Currency::Other([b[0], b[1], b[2]]))
            }
            other => Err(MoneyError::UnknownCurrency(other.to_string())),
        }
    }
}

/// Errors from money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// A currency code we do not handle.
    #[error("bad currency {0:?}: expected an ISO 4217 code like SEK")]
    UnknownCurrency(String),
    /// An amount that is not a plain decimal with `.` and at most two decimals.
    #[error(
        "bad amount {0:?}: expected a plain decimal like 1234.50 (`.` as decimal separator, no thousands separator)"
    )]
    BadAmount(String),
}

/// An exact amount in one currency.
///
/// ```
/// use inkasso::model::{Money, Currency};
/// use rust_decimal_macros::dec;
/// let a = Money::new(dec!(10.50), Currency::SEK);
/// let b = Money::new(dec!(0.25), Currency::SEK);
/// assert_eq!(a.checked_add(b).unwrap().amount(), dec!(10.75));
/// assert!(a.checked_add(Money::new(dec!(1), Currency::EUR)).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }
    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }
    pub fn amount(self) -> Decimal {
        self.amount
    }
    pub fn currency(self) -> Currency {
        self.currency
    }
    /// # Errors
    /// `MoneyError::CurrencyMismatch` if `other` is in another currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        Ok(Money::new(self.amount + other.amount, self.currency))
    }
    /// # Errors
    /// `MoneyError::CurrencyMismatch` if `other` is in another currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        Ok(Money::new(self.amount - other.amount, self.currency))
    }
    fn same(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", fmt_amount(self.amount), self.currency)
    }
}

/// Parses an amount as the contract writes it: plain decimal, `.` separator,
/// optional leading `-`, at most two decimals (`1312.47`, `-500`, `0.5`).
///
/// # Errors
/// `MoneyError::BadAmount` for anything else (comma decimals, thousands
/// separators, exponents, more than two decimals).
pub fn parse_amount(s: &str) -> Result<Decimal, MoneyError> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && frac.is_empty())
        && int.len() <= 15;
    if !ok {
        return Err(MoneyError::BadAmount(s.to_string()));
    }
    Decimal::from_str(t).map_err(|_| MoneyError::BadAmount(s.to_string()))
}

/// Formats an amount the way every CSV we write does: two decimals, `.`.
/// Rounded half away from zero to öre first (`-0.001` is `0.00`); written
/// from the integer number of öre (faster than `Decimal`'s `Display`).
pub fn fmt_amount(d: Decimal) -> String {
    let mut out = Vec::with_capacity(16);
    push_amount(&mut out, d);
    String::from_utf8(out).expect("invariant: an amount is ASCII")
}

/// Appends `fmt_amount(d)` to `out` without a string of its own (the
/// journals write millions of amounts).
pub fn push_amount(out: &mut Vec<u8>, d: Decimal) {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    if r.scale() != 2 {
        out.extend_from_slice(r.to_string().as_bytes()); // beyond 7.9e26: no room for two decimals
        return;
    }
    let ore = r.mantissa();
    if ore < 0 {
        out.push(b'-');
    }
    let ore = ore.unsigned_abs();
    let mut digits = itoa::Buffer::new();
    let cents = match u64::try_from(ore) {
        // 64-bit division: a 128-bit one is a library call.
        Ok(ore) => {
            out.extend_from_slice(digits.format(ore / 100).as_bytes());
            ore % 100
        }
        Err(_) => {
            out.extend_from_slice(digits.format(ore / 100).as_bytes());
            (ore % 100) as u64
        }
    };
    out.extend_from_slice(&[b'.', b'0' + (cents / 10) as u8, b'0' + (cents % 10) as u8]);
}

/// Every place an amount is rounded, with the rule that decides how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Accrued late-payment interest to whole öre, half away from zero.
    /// Applied only where interest is allocated, printed or booked; the
    /// exact accrual is kept (DOMAIN.md Part A, "Late-payment interest").
    InterestToOre,
}

impl Rounding {
    pub fn apply(self, d: Decimal) -> Decimal {
        match self {
            Rounding::InterestToOre => d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        }
    }
}

/// Appends `d` as `Decimal`'s own text (`Display`: every digit of its
/// scale, a `-` when its sign is negative), without the formatting
/// machinery (the night writes a million allocation details).
pub fn push_decimal(out: &mut String, d: Decimal) {
    if d.is_sign_negative() {
        out.push('-');
    }
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(d.mantissa().unsigned_abs());
    let scale = d.scale() as usize;
    match digits.len().checked_sub(scale).filter(|whole| *whole > 0) {
        Some(whole) => {
            out.push_str(&digits[..whole]);
            if scale > 0 {
                out.push('.');
                out.push_str(&digits[whole..]);
            }
        }
        None => {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(digits);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_contract_amounts_and_rejects_localised_ones() {
        assert_eq!(parse_amount("1312.47").unwrap(), dec!(1312.47));
        assert_eq!(parse_amount("-500").unwrap(), dec!(-500));
        assert_eq!(parse_amount(" 0.5 ").unwrap(), dec!(0.5));
        for bad in ["1 312,47", "1,312.47", "12,5", "1e3", "", "-", "1.", ".5", "1.234", "abc"] {
            assert!(parse_amount(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn interest_rounds_half_away_from_zero() {
        assert_eq!(Rounding::InterestToOre.apply(dec!(0.125)), dec!(0.13));
        assert_eq!(Rounding::InterestToOre.apply(dec!(0.124999)), dec!(0.12));
        assert_eq!(fmt_amount(dec!(5)), "5.00");
        assert_eq!(fmt_amount(dec!(-0.001)), "0.00");
        assert_eq!(fmt_amount(dec!(-0.005)), "-0.01");
        assert_eq!(fmt_amount(dec!(-12.5)), "-12.50");
        assert_eq!(fmt_amount(dec!(79228162514264337593543950.335)), "79228162514264337593543950.34");
    }

    proptest::proptest! {
        /// The same text as `Decimal`'s own formatting of the rounded amount.
        #[test]
        fn fmt_amount_is_decimals_own_text(mantissa in proptest::num::i64::ANY, scale in 0u32..8) {
            let d = Decimal::new(mantissa, scale);
            let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if r.is_zero() {
                r = Decimal::ZERO;
            }
            r.rescale(2);
            proptest::prop_assert_eq!(fmt_amount(d), r.to_string());
        }

        /// Any mantissa (zero half the time, to reach every zero's text),
        /// scale and sign.
        #[test]
        fn push_decimal_is_decimals_own_text(
            lo: u32, mid: u32, hi: u32, zero: bool, negative: bool, scale in 0u32..=28,
        ) {
            let d = if zero { Decimal::from_parts(0, 0, 0, negative, scale) } else { Decimal::from_parts(lo, mid, hi, negative, scale) };
            let mut text = String::from("x");
            push_decimal(&mut text, d);
            proptest::prop_assert_eq!(text, format!("x{d}"));
        }
    }
}
