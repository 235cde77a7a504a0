//! Mã số thuế: 10 digits whose 10th is a check digit, or 13 as `NNNNNNNNNN-NNN` for a dependent
//! unit (branch). Parse, don't validate: a `TaxCode` that exists is valid.

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxCode(String);

const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

impl TaxCode {
    /// Accepts `0100109106`, `0100109106-001`, and the 13 digits without the dash.
    pub fn parse(input: &str) -> Result<TaxCode, AppError> {
        let s: String = input.trim().chars().filter(|c| *c != ' ').collect();
        let (main, branch) = match s.len() {
            10 => (&s[..], None),
            13 if s.is_ascii() => (&s[..10], Some(&s[10..])),
            14 if s.is_ascii() && s.as_bytes()[10] == b'-' => (&s[..10], Some(&s[11..])),
            _ => {
                return Err(invalid(
                    "phải có 10 chữ số, hoặc 13 dạng NNNNNNNNNN-NNN",
                    "must be 10 digits, or 13 as NNNNNNNNNN-NNN",
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
