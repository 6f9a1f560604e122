//! Payment-reference schemes of the Nordic countries (DOMAIN.md Part B §6):
//! Swedish OCR (Bankgirot, Luhn with optional length digit), Norwegian KID
//! (MOD10 or MOD11), Danish FIK / indbetalingskort (+71 with Luhn, +73
//! free, +75), the Finnish reference number (weights 7-3-1) and the RF
//! creditor reference (ISO 11649, MOD 97-10). Pure functions; every scheme
//! is tested with the published worked examples.

/// Luhn (MOD10, "10-modul") check digit over a digit string: weights 2,1,2,...
/// from the rightmost payload digit; digits of products are summed.
/// Returns `None` if `payload` has a non-digit.
pub fn luhn_check_digit(payload: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in payload.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += p / 10 + p % 10;
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Swedish OCR reference with length digit (Bankgirot "variabel längd"):
/// payload, then the total length (payload + 2) mod 10, then the Luhn check
/// digit over payload and length digit. `123` -> `12351`.
pub fn se_ocr_with_length(payload: &str) -> Option<String> {
    let len_digit = (payload.len() + 2) % 10;
    let with_len = format!("{payload}{len_digit}");
    let check = luhn_check_digit(&with_len)?;
    Some(format!("{with_len}{check}"))
}

/// True if `reference` is a Swedish OCR number (2-25 digits) whose last digit
/// is a valid Luhn check digit.
pub fn se_ocr_valid(reference: &str) -> bool {
    let n = reference.len();
    if !(2..=25).contains(&n) || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (payload, check) = reference.split_at(n - 1);
    luhn_check_digit(payload).map(|c| c.to_string()) == Some(check.to_string())
}

/// True if `reference` is valid with Luhn *and* its length digit matches.
pub fn se_ocr_valid_with_length(reference: &str) -> bool {
    let n = reference.len();
    se_ocr_valid(reference) && n >= 3 && reference.as_bytes()[n - 2] == b'0' + (n % 10) as u8
}

/// Norwegian KID with MOD10 (Luhn) check digit: 3-24 digit payload.
pub fn no_kid_mod10(payload: &str) -> Option<String> {
    if !(3..=24).contains(&payload.len()) {
        return None;
    }
    Some(format!("{payload}{}", luhn_check_digit(payload)?))
}

/// MOD11 check character of a KID payload: weights 2,3,4,5,6,7 repeating
/// from the right; remainder 0 -> `0`, remainder 1 -> `-` (the payload then
/// cannot carry a valid MOD11 KID), else `11 - r`.
pub fn mod11_check(payload: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in payload.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * (2 + (i as u32 % 6));
    }
    Some(match sum % 11 {
        0 => '0',
        1 => '-',
        r => char::from(b'0' + (11 - r) as u8),
    })
}

/// Norwegian KID with MOD11 check character.
pub fn no_kid_mod11(payload: &str) -> Option<String> {
    if !(3..=24).contains(&payload.len()) {
        return None;
    }
    Some(format!("{payload}{}", mod11_check(payload)?))
}

/// True if `kid` (4-25 characters) carries a valid MOD10 or MOD11 check.
pub fn no_kid_valid(kid: &str) -> bool {
    let n = kid.len();
    if !(4..=25).contains(&n) {
        return false;
    }
    let (payload, check) = kid.split_at(n - 1);
    if !payload.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mod10 = luhn_check_digit(payload).map(|c| char::from(b'0' + c));
    let mod11 = mod11_check(payload);
    let check = check.chars().next();
    check == mod10 || check == mod11
}

/// Danish FI-kort (indbetalingskort) card types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FikType {
    /// +71: 15-digit payment id with a Luhn check digit.
    T71,
    /// +73: no payment id (free text).
    T73,
    /// +75: 16-digit payment id with a Luhn check digit.
    T75,
}

/// Parses the payment id of a Danish FI code line or reference such as
/// `+71<026840149965328+12345678<`, `71/026840149965328` or
/// `026840149965328` (taken as +71 by its length). Returns the card type and
/// the payment id (empty for +73) when the check digit is valid.
pub fn dk_fik(reference: &str) -> Option<(FikType, String)> {
    let s: String = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.trim_start_matches('+');
    let (kind, rest) = if let Some(r) = s.strip_prefix("71").filter(|r| r.starts_with(['<', '/'])) {
        (Some(FikType::T71), r)
    } else if let Some(r) = s.strip_prefix("73").filter(|r| r.starts_with(['<', '/'])) {
        (Some(FikType::T73), r)
    } else if let Some(r) = s.strip_prefix("75").filter(|r| r.starts_with(['<', '/'])) {
        (Some(FikType::T75), r)
    } else {
        (None, s)
    };
    let id: String = rest.trim_start_matches(['<', '/']).chars().take_while(char::is_ascii_digit).collect();
    let kind = match kind {
        Some(k) => k,
        None if id.len() == 15 => FikType::T71,
        None if id.len() == 16 => FikType::T75,
        None => return None,
    };
    let ok = match kind {
        FikType::T73 => true,
        FikType::T71 => id.len() == 15 && luhn_tail_valid(&id),
        FikType::T75 => id.len() == 16 && luhn_tail_valid(&id),
    };
    ok.then(|| (kind, if kind == FikType::T73 { String::new() } else { id }))
}

/// A +71 payment id for `payload` (up to 14 digits): zero-padded to 14 and
/// followed by its Luhn check digit.
pub fn dk_fik71(payload: &str) -> Option<String> {
    if payload.len() > 14 {
        return None;
    }
    let padded = format!("{payload:0>14}");
    Some(format!("{padded}{}", luhn_check_digit(&padded)?))
}

fn luhn_tail_valid(s: &str) -> bool {
    let n = s.len();
    n >= 2 && luhn_check_digit(&s[..n - 1]).map(|c| c.to_string()) == Some(s[n - 1..].to_string())
}

/// Finnish reference number check digit: weights 7, 3, 1 repeating from
/// the right, check = (10 - sum mod 10) mod 10.
pub fn fi_check_digit(base: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in base.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * [7, 3, 1][i % 3];
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Finnish reference number (viitenumero) for a 3-19 digit base.
pub fn fi_reference(base: &str) -> Option<String> {
    if !(3..=19).contains(&base.len()) {
        return None;
    }
    Some(format!("{base}{}", fi_check_digit(base)?))
}

/// True for a valid Finnish reference number: 4-20 digits (spaces and
/// leading zeros of the machine format allowed), valid 7-3-1 check digit.
pub fn fi_reference_valid(reference: &str) -> bool {
    let s: String = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.trim_start_matches('0');
    let n = s.len();
    (4..=20).contains(&n)
        && s.bytes().all(|b| b.is_ascii_digit())
        && fi_check_digit(&s[..n - 1]).map(|c| c.to_string()) == Some(s[n - 1..].to_string())
}

/// ISO 11649 digits: letters A=10 .. Z=35, then `mod 97` of the number,
/// computed piecewise so that any length fits.
fn mod97(s: &str) -> Option<u32> {
    let mut r = 0u32;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    Some(r)
}

/// RF creditor reference (ISO 11649) for 1-21 alphanumerics.
pub fn rf_reference(reference: &str) -> Option<String> {
    let r = reference.to_ascii_uppercase();
    if !(1..=21).contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let check = 98 - mod97(&format!("{r}RF00"))?;
    Some(format!("RF{check:02}{r}"))
}

/// True for a valid RF creditor reference (spaces allowed, case-insensitive).
pub fn rf_valid(reference: &str) -> bool {
    // Most references are not RF ones: told apart before any copy.
    let mut start = reference.chars().filter(|c| !c.is_whitespace());
    if !matches!((start.next(), start.next()), (Some('R' | 'r'), Some('F' | 'f'))) {
        return false;
    }
    let s: String = reference.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if !(5..=25).contains(&s.len()) || !s.starts_with("RF") || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    mod97(&format!("{}{}", &s[4..], &s[..4])) == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bankgirot_worked_examples() {
        // DOMAIN.md §6.2: 123 -> 1230; with length digit -> 12351;
        // 1234567 -> 12345674 / 123456790.
        assert_eq!(luhn_check_digit("123"), Some(0));
        assert_eq!(se_ocr_with_length("123").unwrap(), "12351");
        assert_eq!(luhn_check_digit("1234567"), Some(4));
        assert_eq!(se_ocr_with_length("1234567").unwrap(), "123456790");
        assert!(se_ocr_valid("1230"));
        assert!(se_ocr_valid("12345674"));
        assert!(se_ocr_valid_with_length("12351"));
        assert!(se_ocr_valid_with_length("123456790"));
    }

    #[test]
    fn invalid_check_digits_and_lengths_are_refused() {
        assert!(!se_ocr_valid("1231"));
        assert!(!se_ocr_valid("12345675"));
        assert!(!se_ocr_valid("1"));
        assert!(!se_ocr_valid("12a4"));
        assert!(!se_ocr_valid_with_length("1230")); // Luhn ok, length digit 3 != 4
        assert_eq!(luhn_check_digit("12x"), None);
    }

    #[test]
    fn norwegian_kid_worked_examples() {
        // DOMAIN.md §6.2 (MPS Systemspesifikasjon OCR giro v4.0).
        assert_eq!(no_kid_mod10("12345678").unwrap(), "123456782");
        assert_eq!(no_kid_mod10("1234").unwrap(), "12344");
        assert_eq!(no_kid_mod10("2345678").unwrap(), "23456783");
        assert_eq!(no_kid_mod11("12345678").unwrap(), "123456785");
        assert_eq!(no_kid_mod11("1234").unwrap(), "12343");
        assert_eq!(no_kid_mod11("2345678").unwrap(), "23456788");
        assert_eq!(no_kid_mod11("104").unwrap(), "104-");
        for ok in ["123456782", "12344", "123456785", "12343", "23456788", "104-"] {
            assert!(no_kid_valid(ok), "{ok}");
        }
        for bad in ["123456781", "12345", "123", "12a44"] {
            assert!(!no_kid_valid(bad), "{bad}");
        }
    }

    #[test]
    fn danish_fik_worked_examples() {
        // DOMAIN.md §6.2 (Business::DK::FI).
        assert_eq!(dk_fik("026840149965328"), Some((FikType::T71, "026840149965328".into())));
        assert_eq!(dk_fik("+71<026840149965328+12345678<"), Some((FikType::T71, "026840149965328".into())));
        assert_eq!(dk_fik("71/026840149965328"), Some((FikType::T71, "026840149965328".into())));
        assert_eq!(dk_fik71("1").unwrap(), "000000000000018");
        assert_eq!(dk_fik("026840149965329"), None, "bad check digit");
        assert_eq!(dk_fik("+73<+12345678<"), Some((FikType::T73, String::new())));
        let t75 = format!("{0}{1}", "123456789012345", luhn_check_digit("123456789012345").unwrap());
        assert_eq!(dk_fik(&format!("+75<{t75}+12345678<")), Some((FikType::T75, t75.clone())));
    }

    #[test]
    fn finnish_reference_worked_examples() {
        // DOMAIN.md §6.2 (Finanssiala).
        assert_eq!(fi_reference("123").unwrap(), "1232");
        assert_eq!(fi_reference("1234567").unwrap(), "12345672");
        assert_eq!(fi_reference("123456").unwrap(), "1234561");
        assert_eq!(fi_reference("123456712345678").unwrap(), "1234567123456784");
        assert!(fi_reference_valid("12 34561"));
        assert!(fi_reference_valid("00000000000012345672"));
        assert!(!fi_reference_valid("12345673"));
        assert!(!fi_reference_valid("123"));
    }

    #[test]
    fn rf_creditor_reference_worked_examples() {
        // DOMAIN.md §6.2 (ISO 11649).
        assert_eq!(rf_reference("539007547034").unwrap(), "RF18539007547034");
        assert_eq!(rf_reference("1234512345").unwrap(), "RF451234512345");
        assert_eq!(rf_reference("AB2G5").unwrap(), "RF68AB2G5");
        assert_eq!(rf_reference("2348231").unwrap(), "RF712348231");
        assert_eq!(rf_reference("12345672").unwrap(), "RF8512345672", "Finnish reference in RF form");
        assert!(rf_valid("RF720HYA6"));
        assert!(rf_valid("rf18 5390 0754 7034") && rf_valid(" R F18 5390 0754 7034"));
        assert!(!rf_valid("SF18 5390 0754 7034") && !rf_valid("1234") && !rf_valid(""));
        assert!(!rf_valid("RF19GAX8WS5JYOOUJ87"));
        assert!(!rf_valid("RF18539007547035"));
    }
}
