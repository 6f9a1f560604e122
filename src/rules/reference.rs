//! Payment-reference schemes (DOMAIN.md Part B §6).

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
}
