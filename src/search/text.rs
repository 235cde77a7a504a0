//! Vietnamese text for search: folding, the old and new `i`/`y` spellings, codes, and
//! highlights. Both engines index what this module produces, so
//! they agree on what matches.

use crate::text::{fold, nfc};

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// Unifies the `i`/`y` spellings of a folded syllable: a final `y` after a consonant (or after
/// `qu`) is written `i` (`ky`→`ki`, `ly`→`li`, `quy`→`qui`, `my`→`mi`), while `y` after a
/// vowel (`huy`, `tuy`, `thuy`) and `y` alone stay.
pub fn unify_iy(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let n = chars.len();
    if n >= 2 && chars[n - 1] == 'y' {
        let prev = chars[n - 2];
        let after_qu = n >= 3 && chars[n - 3] == 'q' && prev == 'u';
        if !is_vowel(prev) || after_qu {
            let mut s: String = chars[..n - 1].iter().collect();
            s.push('i');
            return s;
        }
    }
    token.to_string()
}

/// Splits text into lower-case words (letters and digits), keeping their marks.
pub fn words(text: &str) -> Vec<String> {
    nfc(text)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The folded search form of one word.
pub fn fold_word(w: &str) -> String {
    unify_iy(&fold(w))
}

/// Folded words of a text joined by spaces: what the engines index in their folded field.
/// Abbreviations and everyday names are the dictionary's, applied to queries
/// (`search::dictionary`), so that it changes without a reindex.
pub fn folded_for_index(text: &str) -> String {
    words(text)
        .iter()
        .map(|w| fold_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The folded text a database search falls back on while the engine is down: the words of
/// the text and of its codes, folded as the engines fold them.
pub fn fallback_text(title: &str, body: &str, codes: &[&str]) -> String {
    folded_for_index(&format!("{title}\n{body}\n{}", codes.join(" ")))
}

/// Whether a query word is a code (tracking, procedure, dossier or tax code): codes match
/// exactly and are never fuzzed.
pub fn is_code(word: &str) -> bool {
    let w = word.trim();
    let has_digit = w.chars().any(|c| c.is_ascii_digit());
    let has_sep = w.contains('.') || w.contains('-');
    (has_digit && has_sep && w.len() >= 5)
        || (w.len() >= 10 && w.chars().all(|c| c.is_ascii_digit()))
        || w.to_ascii_uppercase().starts_with("GY-")
}

/// The normalised form a code is indexed and searched under.
pub fn code_key(word: &str) -> String {
    let up = word.trim().to_uppercase();
    if (up.starts_with("GY-") || up.starts_with("GY") && up.len() == 10)
        && let Ok(c) = crate::complaints::code::parse(&up)
    {
        return c;
    }
    up
}

/// A parsed query: code words, and plain words with their folded forms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    pub codes: Vec<String>,
    /// (word as typed, lower case with marks; folded form)
    pub words: Vec<(String, String)>,
}

impl ParsedQuery {
    pub fn parse(q: &str) -> ParsedQuery {
        let mut out = ParsedQuery::default();
        for raw in nfc(q).split_whitespace() {
            if is_code(raw) {
                out.codes.push(code_key(raw));
            } else {
                for w in words(raw) {
                    let f = fold_word(&w);
                    out.words.push((w, f));
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.words.is_empty()
    }

    /// Whether the query word carries Vietnamese marks (then exact-mark matches rank first).
    pub fn has_marks(word: &(String, String)) -> bool {
        fold(&word.0) != word.0
    }
}

/// The edit distance a word of this many letters tolerates. Vietnamese syllables are short:
/// one typo from three letters on (`tre` ~ `tra` is fine since every word must match), none
/// below, and never in codes.
pub fn typo_distance(folded_len: usize) -> u8 {
    if folded_len >= 3 { 1 } else { 0 }
}

fn within_one(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return osa_one(a.as_bytes(), b.as_bytes());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    osa_one(&a, &b)
}

/// Optimal string alignment distance ≤ 1 (one substitution, insertion, deletion or swap of
/// neighbours), in one pass and nothing allocated: a highlight checks every word of a title.
fn osa_one<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let Some(i) = long.iter().zip(short).position(|(x, y)| x != y) else {
        return true;
    };
    if long.len() != short.len() {
        return long[i + 1..] == short[i..];
    }
    long[i + 1..] == short[i + 1..]
        || (i + 1 < long.len()
            && long[i] == short[i + 1]
            && long[i + 1] == short[i]
            && long[i + 2..] == short[i + 2..])
}

/// Appends `c`, escaped for HTML text and attribute values. Words are letters and digits only,
/// so only the characters between words need this.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Marks the words of `text` that match the query with `<em>…</em>`, keeping the original
/// text (marks included). Both engines' hits are highlighted here, so they look the same.
///
/// The result is HTML-escaped text with `<em>` markers and nothing else: portals render
/// highlights as HTML, so a title typed as `<img src=x onerror=…>` must arrive as text.
pub fn highlight(text: &str, q: &ParsedQuery) -> Option<String> {
    if q.words.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut any = false;
    let mut word = String::new();
    let lens: Vec<usize> = q.words.iter().map(|(_, f)| f.chars().count()).collect();
    let flush = |word: &mut String, out: &mut String, any: &mut bool| {
        if word.is_empty() {
            return;
        }
        // Folding keeps one letter per letter, so a word more than one letter longer or
        // shorter than every query word cannot match one: skip its folding.
        let n = word
            .chars()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .count();
        let hit = lens.iter().any(|m| n + 1 >= *m && *m + 1 >= n) && {
            let f = fold_word(&word.to_lowercase());
            q.words.iter().any(|(_, qf)| {
                f == *qf || (typo_distance(qf.chars().count()) > 0 && within_one(&f, qf))
            })
        };
        if hit {
            *any = true;
            out.push_str("<em>");
            out.push_str(word);
            out.push_str("</em>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut any);
            push_escaped(&mut out, c);
        }
    }
    flush(&mut word, &mut out, &mut any);
    any.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// The full optimal-string-alignment table, as the reference for `within_one`.
    fn osa(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[n][m]
    }

    #[test]
    fn one_typo_is_a_substitution_insertion_deletion_or_swap() {
        for (a, b, want) in [
            ("han", "hna", true),
            ("tre", "tra", true),
            ("tre", "tree", true),
            ("ab", "ba", true),
            ("", "a", true),
            ("abcd", "badc", false),
            ("tre", "et", false),
            ("dang", "dagn", true),
            ("dang", "dnag", true),
            ("dang", "ndga", false),
            ("đăng", "đănh", true),
        ] {
            assert_eq!(within_one(a, b), want, "{a} / {b}");
            assert_eq!(within_one(b, a), want, "{b} / {a}");
        }
        // Every pair of short words over a small alphabet agrees with the full table.
        let words: Vec<String> = (0..4)
            .flat_map(|len| {
                (0..3usize.pow(len)).map(move |mut k| {
                    (0..len)
                        .map(|_| {
                            let c = ['a', 'b', 'ư'][k % 3];
                            k /= 3;
                            c
                        })
                        .collect::<String>()
                })
            })
            .collect();
        for a in &words {
            for b in &words {
                assert_eq!(within_one(a, b), osa(a, b) <= 1, "{a} / {b}");
            }
        }
    }

    #[test]
    fn i_and_y_spellings_meet() {
        assert_eq!(fold_word("ký"), "ki");
        assert_eq!(fold_word("kí"), "ki");
        assert_eq!(fold_word("lý"), "li");
        assert_eq!(fold_word("quý"), "qui");
        assert_eq!(fold_word("quí"), "qui");
        assert_eq!(fold_word("Mỹ"), "mi");
        assert_eq!(fold_word("huy"), "huy");
        assert_eq!(fold_word("thủy"), "thuy");
        assert_eq!(fold_word("ý"), "y");
        assert_eq!(fold_word("đăng"), "dang");
    }

    #[test]
    fn folding_handles_nfd_and_d() {
        let nfd: String = "Đăng ký giấy phép".nfd().collect();
        assert_eq!(folded_for_index(&nfd), "dang ki giay phep");
        assert_eq!(folded_for_index("ĐƯỜNG"), "duong");
    }

    #[test]
    fn codes_are_recognised() {
        assert!(is_code("1.000494"));
        assert!(is_code("1.000494.000.00.00.H29"));
        assert!(is_code("GY-7K3M-9Q2D"));
        assert!(is_code("0100109106"));
        assert!(is_code("DEMO-Q5-0001"));
        assert!(!is_code("quận"));
        assert!(!is_code("5"));
        assert_eq!(code_key("gy-7k3m-9q2d"), "GY-7K3M-9Q2D");
        let q = ParsedQuery::parse("trễ hạn 1.000494");
        assert_eq!(q.codes, vec!["1.000494"]);
        assert_eq!(q.words.len(), 2);
        assert!(ParsedQuery::has_marks(&q.words[0]));
    }

    #[test]
    fn highlights_keep_the_original_text() {
        let q = ParsedQuery::parse("dang ky giay phep");
        assert_eq!(
            highlight("Đăng ký giấy phép kinh doanh", &q).unwrap(),
            "<em>Đăng</em> <em>ký</em> <em>giấy</em> <em>phép</em> kinh doanh"
        );
        let typo = ParsedQuery::parse("giay phpe");
        assert_eq!(
            highlight("giấy phép", &typo).unwrap(),
            "<em>giấy</em> <em>phép</em>"
        );
        assert!(highlight("không liên quan", &q).is_none());
        let img = ParsedQuery::parse("img onerror");
        assert_eq!(
            highlight("<img src=x onerror=alert(1)> & 'giấy'", &img).unwrap(),
            "&lt;<em>img</em> src=x <em>onerror</em>=alert(1)&gt; &amp; &#39;giấy&#39;"
        );
    }
}
