//! Mã số thuế: 10 digits whose 10th is a check digit, or 13 as `NNNNNNNNNN-NNN` for a dependent
//! unit (branch), or, since 1 July 2025, the 12-digit personal identification number (số định
//! danh cá nhân) that household businesses and individual traders use as their tax code. Parse,
//! don't validate: a `TaxCode` that exists is valid.

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxCode(String);

const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

impl TaxCode {
    /// Accepts `0100109106`, `0100109106-001`, the 13 digits without the dash, and a 12-digit
    /// personal identification number.
    pub fn parse(input: &str) -> Result<TaxCode, AppError> {
        let s: String = input.trim().chars().filter(|c| *c != ' ').collect();
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            return personal(&s);
        }
        let (main, branch) = match s.len() {
            10 => (&s[..], None),
            13 if s.is_ascii() => (&s[..10], Some(&s[10..])),
            14 if s.is_ascii() && s.as_bytes()[10] == b'-' => (&s[..10], Some(&s[11..])),
            _ => {
                return Err(invalid(
                    "phải có 10 chữ số, 13 dạng NNNNNNNNNN-NNN, hoặc 12 chữ số định danh cá nhân của hộ kinh doanh",
                    "must be 10 digits, 13 as NNNNNNNNNN-NNN, or a household business's 12-digit personal identification number",
                ));
            }
        };
        if !main.bytes().all(|b| b.is_ascii_digit())
            || !branch.is_none_or(|b| b.bytes().all(|c| c.is_ascii_digit()))
        {
            return Err(invalid("chỉ gồm chữ số", "must contain digits only"));
        }
        let d: Vec<u32> = main.bytes().map(|b| (b - b'0') as u32).collect();
        let sum: u32 = d[..9].iter().zip(WEIGHTS).map(|(a, w)| a * w).sum();
        let check = 10 - (sum % 11);
        if check == 10 || check != d[9] {
            return Err(invalid("sai chữ số kiểm tra", "has a wrong check digit"));
        }
        if branch == Some("000") {
            return Err(invalid(
                "mã đơn vị phụ thuộc không được là 000",
                "branch suffix must not be 000",
            ));
        }
        Ok(TaxCode(match branch {
            Some(b) => format!("{main}-{b}"),
            None => main.to_string(),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a dependent unit (13-digit code).
    pub fn is_branch(&self) -> bool {
        self.0.len() == 14
    }

    /// True for a household business or individual trader (12-digit personal number).
    pub fn is_personal(&self) -> bool {
        self.0.len() == 12
    }
}

/// Province codes that open a personal identification number: the 63 provincial codes of
/// Circular 07/2016/TT-BCA (kept after the 2025 provincial mergers for numbers already issued).
const PROVINCE_CODES: &[u16] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A 12-digit personal identification number: 3 digits of the province of birth registration,
/// 1 of century and sex, 2 of the year of birth, 6 more. It has no check digit, so only its
/// shape is checked.
fn personal(s: &str) -> Result<TaxCode, AppError> {
    let province: u16 = s[..3].parse().expect("digits");
    if !PROVINCE_CODES.contains(&province) {
        return Err(invalid(
            "số định danh cá nhân có mã tỉnh (3 chữ số đầu) không tồn tại",
            "is a personal identification number whose province code (first 3 digits) does not exist",
        ));
    }
    Ok(TaxCode(s.to_string()))
}

fn invalid(vi: &str, en: &str) -> AppError {
    AppError::bad_input(
        "taxCode",
        format!("Mã số thuế không hợp lệ: {vi}."),
        format!("Invalid tax code: it {en}."),
    )
}

impl std::fmt::Display for TaxCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_design_example() {
        assert_eq!(TaxCode::parse("0100109106").unwrap().as_str(), "0100109106");
        assert_eq!(
            TaxCode::parse(" 0100109106 ").unwrap().as_str(),
            "0100109106"
        );
    }

    #[test]
    fn accepts_branches() {
        let t = TaxCode::parse("0100109106-001").unwrap();
        assert_eq!(t.as_str(), "0100109106-001");
        assert!(t.is_branch());
        assert_eq!(TaxCode::parse("0100109106001").unwrap(), t);
    }

    #[test]
    fn accepts_personal_numbers_of_household_businesses() {
        let t = TaxCode::parse("079203001234").unwrap();
        assert_eq!(t.as_str(), "079203001234");
        assert!(t.is_personal() && !t.is_branch());
        assert!(TaxCode::parse(" 001 085 012345 ").unwrap().is_personal());
        // 000 and 003 are no province's code.
        assert!(TaxCode::parse("000203001234").is_err());
        assert!(TaxCode::parse("003203001234").is_err());
    }

    #[test]
    fn refuses_bad_codes() {
        for bad in [
            "0100109107",     // wrong check digit
            "010010910",      // too short
            "01001091066",    // 11 digits
            "01001O9106",     // a letter O
            "0100109106-00A", // letters in the branch
            "0100109106-000", // no such branch
            "0100109107-001", // branch of an invalid code
            "",
        ] {
            assert!(TaxCode::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn remainder_ten_is_invalid() {
        // Find a 9-digit prefix whose weighted sum is ≡ 0 (mod 11): check = 10, never valid.
        let prefix = (100_000_000u32..)
            .map(|n| format!("{n:09}"))
            .find(|p| {
                let s: u32 = p
                    .bytes()
                    .zip(WEIGHTS)
                    .map(|(b, w)| (b - b'0') as u32 * w)
                    .sum();
                s.is_multiple_of(11)
            })
            .unwrap();
        for last in 0..10 {
            assert!(TaxCode::parse(&format!("{prefix}{last}")).is_err());
        }
    }
}
