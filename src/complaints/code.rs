//! Tracking codes: `GY-` and eight Crockford base-32 characters in two groups (`GY-7K3M-9Q2D`),
//! easy to read aloud and type on a phone. About 10¹² codes, drawn at random, so a code is not
//! guessable from another.

use crate::error::AppError;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A complaint's public tracking code, normalised (`GY-7K3M-9Q2D`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingCode(String);

impl TrackingCode {
    /// A fresh random code.
    pub fn generate() -> TrackingCode {
        TrackingCode(generate())
    }

    /// What a person typed, normalised (see [`parse`]).
    pub fn parse(input: &str) -> Result<TrackingCode, AppError> {
        parse(input).map(TrackingCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A fresh random tracking code.
pub fn generate() -> String {
    let bytes: [u8; 8] = rand::random();
    let s: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b & 31) as usize] as char)
        .collect();
    format!("GY-{}-{}", &s[..4], &s[4..])
}

/// Normalises what a person typed: case, spaces and dashes do not matter, and the letters
/// Crockford base 32 leaves out are read as the digits they look like (O→0, I/L→1).
pub fn parse(input: &str) -> Result<String, AppError> {
    let bad = || {
        AppError::bad_input(
            "code",
            format!(
                "Mã theo dõi {:?} không đúng dạng GY-XXXX-XXXX.",
                input.trim()
            ),
            format!(
                "Tracking code {:?} is not of the form GY-XXXX-XXXX.",
                input.trim()
            ),
        )
    };
    let mut s: String = input
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    if let Some(rest) = s.strip_prefix("GY") {
        s = rest.to_string();
    }
    if s.len() != 8 {
        return Err(bad());
    }
    let mapped: String = s
        .chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    if !mapped.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(bad());
    }
    Ok(format!("GY-{}-{}", &mapped[..4], &mapped[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_to_themselves() {
        for _ in 0..100 {
            let c = generate();
            assert_eq!(parse(&c).unwrap(), c);
            assert_eq!(c.len(), 12);
        }
    }

    #[test]
    fn typing_is_forgiving_but_not_loose() {
        assert_eq!(parse(" gy-7k3m 9q2d ").unwrap(), "GY-7K3M-9Q2D");
        assert_eq!(parse("7K3M9Q2D").unwrap(), "GY-7K3M-9Q2D");
        assert_eq!(parse("GY-7K3M-9QOI").unwrap(), "GY-7K3M-9Q01");
        assert!(parse("GY-7K3M-9Q2").is_err());
        assert!(parse("GY-7K3M-9Q2U").is_err());
    }
}
