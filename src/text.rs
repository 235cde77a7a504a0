//! Text on the way in: Unicode NFC, trimming, length limits, and the Vietnamese folding used
//! for accent-insensitive matching.
//!
//! Vietnamese arrives both precomposed (NFC) and decomposed (NFD, from some mobile keyboards and
//! macOS), so everything stored is NFC. Folding removes the tone and vowel marks and maps `đ` to
//! `d`, which Unicode decomposition alone does not do (`đ` is its own letter, not `d` + a mark).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::AppError;

/// Normalises to NFC.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Folds Vietnamese text for accent-insensitive matching: lower case, no marks, `đ` → `d`,
/// runs of white space collapsed to one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The words of a text for spotting phrases whatever the typing: compatibility forms folded
/// (full-width letters), invisible format characters dropped (zero-width spaces inside a word),
/// marks removed, and every run of what is not a letter or digit (punctuation, markup, hyphens)
/// made one space; padded with a space on each side, so that `" to cao "` matches whole words.
pub fn phrase_words(s: &str) -> String {
    let compat: String = s
        .nfkc()
        .filter(|c| !matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}'))
        .collect();
    let folded = fold(&compat);
    let mut out = String::from(" ");
    for c in folded.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// A text input checked and normalised: trimmed, NFC, without control characters, within
/// `max_chars` characters. `field` names the GraphQL input field in the error.
pub fn clean(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let v = nfc(value.trim());
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(AppError::bad_input(
            field,
            format!("Trường {field} chứa ký tự điều khiển không hợp lệ."),
            format!("{field} contains control characters."),
        ));
    }
    let n = v.chars().count();
    if n > max_chars {
        return Err(AppError::bad_input(
            field,
            format!("Trường {field} dài {n} ký tự, tối đa {max_chars}."),
            format!("{field} is {n} characters long; the limit is {max_chars}."),
        ));
    }
    Ok(v)
}

/// Characters that show nothing on their own: white space, format characters (general
/// category Cf: zero-width spaces and joiners, direction marks, soft hyphen, tags, interlinear
/// annotation marks…), marks with nothing to sit on, variation selectors, and the fillers and
/// blanks that look like nothing. Text made only of these looks empty to a reader.
pub fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.is_whitespace()
        || is_combining_mark(c)
        || matches!(
            c.general_category(),
            GeneralCategory::Format | GeneralCategory::Control | GeneralCategory::Unassigned
        )
        || matches!(c,
            '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0100}'..='\u{E01EF}')
}

/// Like [`clean`], and the result must have something a reader can see.
pub fn required(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let v = clean(field, value, max_chars)?;
    if v.chars().all(is_invisible) {
        return Err(AppError::bad_input(
            field,
            format!("Trường {field} không được để trống."),
            format!("{field} must not be empty."),
        ));
    }
    Ok(v)
}

/// Whether a character breaks a line (line and paragraph breaks, tabs) or changes the direction
/// of text (bidirectional marks, overrides, isolates): what a title or name must not hold.
pub fn breaks_a_line(c: char) -> bool {
    matches!(c,
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Like [`required`], on one line: no line or paragraph breaks or tabs, and no bidirectional
/// marks, overrides or isolates (which reorder what a reader sees). For titles and names.
pub fn one_line(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let v = required(field, value, max_chars)?;
    if v.chars().any(breaks_a_line) {
        return Err(AppError::bad_input(
            field,
            format!("Trường {field} phải nằm trên một dòng, không có ký tự đảo chiều văn bản."),
            format!("{field} must be one line, without text-direction controls."),
        ));
    }
    Ok(v)
}

/// Whether a character changes the direction of text (marks, overrides, isolates).
pub fn turns_direction(c: char) -> bool {
    matches!(c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Like [`required`], over several lines if need be, without bidirectional marks, overrides or
/// isolates: for the reasons that evaluators read and the audit quotes (an override would
/// reverse the figures printed after it).
pub fn reason(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let v = required(field, value, max_chars)?;
    if v.chars().any(turns_direction) {
        return Err(AppError::bad_input(
            field,
            format!("Trường {field} không được chứa ký tự đảo chiều văn bản."),
            format!("{field} must not hold text-direction controls."),
        ));
    }
    Ok(v)
}

/// Codes (procedure, unit, dossier codes) are opaque: trimmed, upper-cased, no inner spaces.
pub fn code(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let v = required(field, value, max_chars)?.to_uppercase();
    if v.chars().any(char::is_whitespace) {
        return Err(AppError::bad_input(
            field,
            format!("Mã {field} không được chứa khoảng trắng."),
            format!("{field} must not contain spaces."),
        ));
    }
    Ok(v)
}

/// The in-memory twin of `db::words_match`: every word of the folded query appears in the
/// folded text as a whole word, the last one possibly as the start of a word.
pub fn words_match(folded_text: &str, folded_query: &str) -> bool {
    let words: Vec<&str> = folded_text.split(' ').filter(|w| !w.is_empty()).collect();
    let query: Vec<&str> = folded_query.split(' ').filter(|w| !w.is_empty()).collect();
    query.iter().enumerate().all(|(i, q)| {
        if i + 1 == query.len() {
            words.iter().any(|w| w.starts_with(q))
        } else {
            words.contains(q)
        }
    })
}

/// Escapes `%`, `_` and `\` for a SQL `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_marks_and_d() {
        assert_eq!(fold("Đăng ký giấy phép"), "dang ky giay phep");
        assert_eq!(fold("Sở Tư pháp"), "so tu phap");
        assert_eq!(fold("  Quận   5 "), "quan 5");
        assert_eq!(fold("ĐƯỜNG"), "duong");
    }

    #[test]
    fn folds_nfd_input_like_nfc() {
        let nfd: String = "Thủ Đức".nfd().collect();
        assert_ne!(nfd, "Thủ Đức");
        assert_eq!(fold(&nfd), "thu duc");
        assert_eq!(nfc(&nfd), "Thủ Đức");
    }

    #[test]
    fn clean_limits_and_normalises() {
        let nfd: String = "Quận 5".nfd().collect();
        assert_eq!(clean("name", &format!("  {nfd} "), 10).unwrap(), "Quận 5");
        assert!(clean("name", "abcdef", 5).is_err());
        assert!(clean("name", "a\u{0007}b", 5).is_err());
        assert!(required("name", "   ", 5).is_err());
        assert!(required("name", "\u{200B}\u{200C}\u{FEFF}\u{2060}", 10).is_err());
        assert!(required("name", "\u{0301}\u{200D}", 10).is_err());
        for invisible in [
            "\u{FFF9}\u{FFFB}",
            "\u{13430}\u{13431}",
            "\u{110BD}",
            "\u{0600}",
            "\u{3164}\u{2800}",
        ] {
            assert!(required("name", invisible, 10).is_err(), "{invisible:?}");
        }
        assert_eq!(required("name", "Quận 5", 10).unwrap(), "Quận 5");
        assert_eq!(required("name", "\u{200B}An", 10).unwrap(), "\u{200B}An");
    }

    #[test]
    fn codes_are_upper_and_trimmed() {
        assert_eq!(
            code("code", " 1.000494.000.00.00.h29 ", 64).unwrap(),
            "1.000494.000.00.00.H29"
        );
        assert!(code("code", "1.00 0494", 64).is_err());
    }

    #[test]
    fn words_match_like_the_sql_twin() {
        assert!(words_match(&fold("Quận 5"), &fold("quan 5")));
        assert!(words_match(&fold("Phường Chợ Lớn"), &fold("cho lo")));
        assert!(!words_match(&fold("Phường Chợ Lớn"), &fold("ch lon")));
        assert!(!words_match(&fold("Quận 5"), &fold("quan 6")));
    }

    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
