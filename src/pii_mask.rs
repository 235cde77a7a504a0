//! Detection and masking of personal data in Vietnamese free text.
//!
//! Used before citizen feedback is published: phone numbers, e-mail
//! addresses, identity-card numbers (CMND/CCCD), tax codes and house-number
//! addresses are found and replaced by a Vietnamese label.
//!
//! All matching is done on a *folded* view of the text (lower case, no
//! Vietnamese marks, `đ` → `d`, full-width forms → ASCII, invisible format
//! characters dropped); every folded char keeps the byte range of the
//! original char it came from, so findings are reported as byte offsets into
//! the original text, on char boundaries.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, decompose_compatible, is_combining_mark};

/// The kind of personal data found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Phone,
    Email,
    IdNumber,
    TaxCode,
    Address,
    Other,
}

impl Kind {
    /// A stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Phone => "PHONE",
            Kind::Email => "EMAIL",
            Kind::IdNumber => "ID_NUMBER",
            Kind::TaxCode => "TAX_CODE",
            Kind::Address => "ADDRESS",
            Kind::Other => "OTHER",
        }
    }

    /// The Vietnamese label that replaces a finding of this kind.
    pub fn label_vi(self) -> &'static str {
        match self {
            Kind::Phone => "[số điện thoại đã ẩn]",
            Kind::Email => "[e-mail đã ẩn]",
            Kind::IdNumber => "[số định danh đã ẩn]",
            Kind::TaxCode => "[mã số thuế đã ẩn]",
            Kind::Address => "[địa chỉ đã ẩn]",
            Kind::Other => "[thông tin cá nhân đã ẩn]",
        }
    }
}

/// One piece of personal data: byte offsets into the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

// ---------------------------------------------------------------------------
// Folded view
// ---------------------------------------------------------------------------

/// The folded text: one entry per folded char, with the byte range of the
/// original char(s) it stands for.
struct Folded {
    chars: Vec<char>,
    spans: Vec<(usize, usize)>,
}

impl Folded {
    /// Original byte range of the folded chars `fs..fe` (`fs < fe`).
    fn orig(&self, fs: usize, fe: usize) -> (usize, usize) {
        (self.spans[fs].0, self.spans[fe - 1].1)
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }
}

/// Format characters that are dropped (zero-width, bidi controls, soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Code points of the digit zero of the Unicode decimal-digit (Nd) runs of
/// ten consecutive digits, 0..9.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16A60, 0x16AC0,
    0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950,
    0x1FBF0,
];

/// The ASCII digit a non-ASCII digit stands for: any Unicode decimal digit
/// of a known run, or a char whose compatibility form is one ASCII digit
/// (superscripts, subscripts, circled digits...).
fn digit_value(c: char) -> Option<char> {
    let u = c as u32;
    if u < 0x80 {
        return None;
    }
    let i = DIGIT_ZEROS.partition_point(|&z| z <= u);
    if i > 0 && u - DIGIT_ZEROS[i - 1] < 10 {
        return char::from_digit(u - DIGIT_ZEROS[i - 1], 10);
    }
    let mut out = None;
    let mut n = 0;
    decompose_compatible(c, |d| {
        n += 1;
        out = Some(d);
    });
    out.filter(|d| n == 1 && d.is_ascii_digit())
}

/// Width and punctuation normalisation applied before decomposition.
fn widen_map(c: char) -> char {
    if let Some(d) = digit_value(c) {
        return d;
    }
    match c {
        '\u{FE6B}' => '@',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    }
}

fn fold(text: &str) -> Folded {
    let mut chars = Vec::with_capacity(text.len());
    let mut spans = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let before = chars.len();
        if !is_invisible(c) {
            decompose_canonical(widen_map(c), |d| {
                if is_combining_mark(d) {
                    return;
                }
                for l in d.to_lowercase() {
                    if is_combining_mark(l) {
                        continue;
                    }
                    let m = if l == 'đ' { 'd' } else { l };
                    chars.push(m);
                    spans.push((i, end));
                }
            });
        }
        if chars.len() == before {
            // A mark or invisible char: it belongs to the previous folded char.
            if let Some(last) = spans.last_mut()
                && last.1 == i
            {
                last.1 = end;
            }
        }
    }
    Folded { chars, spans }
}

/// A maximal run of alphanumeric folded chars.
#[derive(Clone, Copy)]
struct Tok {
    fs: usize,
    fe: usize,
}

/// Splits a token at a run of 9 or more ASCII digits glued to letters
/// ("sdt0912345678" → "sdt", "0912345678").
fn push_split(chars: &[char], fs: usize, fe: usize, toks: &mut Vec<Tok>) {
    let mut start = fs;
    let mut i = fs;
    while i < fe {
        if chars[i].is_ascii_digit() {
            let ds = i;
            while i < fe && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i - ds >= 9 && (ds > fs || i < fe) {
                if ds > start {
                    toks.push(Tok { fs: start, fe: ds });
                }
                toks.push(Tok { fs: ds, fe: i });
                start = i;
            }
        } else {
            i += 1;
        }
    }
    if start < fe {
        toks.push(Tok { fs: start, fe });
    }
}

fn tokenize(chars: &[char]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let fs = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            push_split(chars, fs, i, &mut toks);
        } else {
            i += 1;
        }
    }
    toks
}

/// A plain letter O/o written for a zero inside a number ("O915666777",
/// "09o5...") becomes '0': it is followed by a digit and preceded by a digit
/// or by no letter.
fn o_as_zero(text: &str, f: &mut Folded) {
    for i in 0..f.chars.len() {
        if f.chars[i] != 'o' || !f.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let (s, e) = f.spans[i];
        if !matches!(text.get(s..e), Some("o" | "O" | "ｏ" | "Ｏ")) {
            continue;
        }
        let prev = if i > 0 { f.chars[i - 1] } else { ' ' };
        if prev.is_ascii_digit() || !prev.is_alphanumeric() {
            f.chars[i] = '0';
        }
    }
}

fn folded_str(chars: &[char]) -> String {
    chars.iter().collect()
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Finds personal data in `text`; findings are in order and do not overlap.
pub fn detect(text: &str) -> Vec<Finding> {
    let mut f = fold(text);
    o_as_zero(text, &mut f);
    let toks = tokenize(&f.chars);
    let words: Vec<String> = toks
        .iter()
        .map(|t| folded_str(&f.chars[t.fs..t.fe]))
        .collect();
    let mut raw: Vec<(Kind, usize, usize)> = Vec::new();
    detect_numbers(text, &f, &toks, &words, &mut raw);
    detect_emails(text, &f, &mut raw);
    detect_addresses(text, &f, &toks, &words, &mut raw);
    merge_keep_longer(text, raw)
}

/// Replaces every finding by its label; overlapping findings are united.
pub fn mask(text: &str, findings: &[Finding]) -> String {
    let mut spans: Vec<(usize, usize, Kind)> = findings
        .iter()
        .filter_map(|fd| {
            let s = floor_boundary(text, fd.start.min(text.len()));
            let e = ceil_boundary(text, fd.end.min(text.len()));
            (s < e).then_some((s, e, fd.kind))
        })
        .collect();
    spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut merged: Vec<(usize, usize, Kind)> = Vec::with_capacity(spans.len());
    for (s, e, k) in spans {
        if let Some(last) = merged.last_mut()
            && s < last.1
        {
            if e - s > last.1 - last.0 {
                last.2 = k;
            }
            last.1 = last.1.max(e);
            continue;
        }
        merged.push((s, e, k));
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e, k) in merged {
        out.push_str(&text[pos..s]);
        out.push_str(k.label_vi());
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

/// Every occurrence of `needle` (taken in NFC; its NFD form is searched too,
/// so decomposed text is covered), as findings of kind `Other`.
pub fn find_all(text: &str, needle: &str) -> Vec<Finding> {
    let nfc: String = needle.nfc().collect();
    if nfc.is_empty() {
        return Vec::new();
    }
    let nfd: String = nfc.nfd().collect();
    let mut raw = Vec::new();
    for n in [&nfc, &nfd] {
        for (s, m) in text.match_indices(n.as_str()) {
            let e = s + m.len();
            // A match that stops before a combining mark is a different letter.
            if text[e..].chars().next().is_some_and(is_combining_mark) {
                continue;
            }
            raw.push((Kind::Other, s, e));
        }
        if nfd == nfc {
            break;
        }
    }
    merge_keep_longer(text, raw)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn kind_rank(k: Kind) -> u8 {
    match k {
        Kind::Email => 0,
        Kind::TaxCode => 1,
        Kind::Phone => 2,
        Kind::IdNumber => 3,
        Kind::Address => 4,
        Kind::Other => 5,
    }
}

/// Sorts, drops the shorter of overlapping findings, builds `Finding`s.
fn merge_keep_longer(text: &str, mut raw: Vec<(Kind, usize, usize)>) -> Vec<Finding> {
    raw.retain(|&(_, s, e)| s < e && e <= text.len());
    raw.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then(b.2.cmp(&a.2))
            .then(kind_rank(a.0).cmp(&kind_rank(b.0)))
    });
    let mut kept: Vec<(Kind, usize, usize)> = Vec::with_capacity(raw.len());
    for r in raw {
        if let Some(last) = kept.last_mut()
            && r.1 < last.2
        {
            if r.2 - r.1 > last.2 - last.1 {
                *last = r;
            }
            continue;
        }
        kept.push(r);
    }
    kept.into_iter()
        .filter(|&(_, s, e)| text.is_char_boundary(s) && text.is_char_boundary(e))
        .map(|(kind, start, end)| Finding {
            kind,
            start,
            end,
            text: text[start..end].to_string(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Numbers: phones, ID numbers, tax codes
// ---------------------------------------------------------------------------

/// A digit spelled as a Vietnamese word, with its proper marks or none.
fn digit_word(orig: &str) -> Option<u8> {
    if orig.len() > 24 {
        return None;
    }
    const MARKED: &[(&str, u8)] = &[
        ("không", 0),
        ("linh", 0),
        ("lẻ", 0),
        ("một", 1),
        ("mốt", 1),
        ("hai", 2),
        ("ba", 3),
        ("bốn", 4),
        ("tư", 4),
        ("năm", 5),
        ("lăm", 5),
        ("sáu", 6),
        ("bảy", 7),
        ("bẩy", 7),
        ("tám", 8),
        ("chín", 9),
    ];
    const PLAIN: &[(&str, u8)] = &[
        ("khong", 0),
        ("le", 0),
        ("mot", 1),
        ("bon", 4),
        ("tu", 4),
        ("nam", 5),
        ("lam", 5),
        ("sau", 6),
        ("bay", 7),
        ("tam", 8),
        ("chin", 9),
    ];
    let s: String = orig
        .chars()
        .filter(|c| !is_invisible(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect();
    MARKED
        .iter()
        .chain(PLAIN.iter())
        .find(|(w, _)| *w == s)
        .map(|&(_, d)| d)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    No,
    Digits,
    Word(u8),
}

const CURRENCY: &[&str] = &[
    "dong", "vnd", "trieu", "ty", "ti", "nghin", "ngan", "usd", "euro", "eur", "vn", "vnđ",
];
/// Short money abbreviations: they do not make a phone-shaped number money
/// ("gọi 0912345678 k được" is "không được").
const WEAK_CURRENCY: &[&str] = &["d", "tr", "k"];
/// Money words before a number, compared on the original word (lower case,
/// NFC), so that the pronoun "chị" is not the fee word "chi".
const MONEY_BEFORE: &[&str] = &[
    "giá", "gia", "tiền", "tien", "phí", "phi", "thu", "nộp", "nop", "trả", "tra", "mức", "muc",
    "khoản", "khoan", "chi",
];

fn is_money_word(orig: &str) -> bool {
    if orig.len() > 24 {
        return false;
    }
    let s: String = orig
        .chars()
        .filter(|c| !is_invisible(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect();
    MONEY_BEFORE.contains(&s.as_str())
}

/// Separators that may join the digit groups of one number.
fn num_sep(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '(' | ')' | '_' | '/' | ',')
}

/// Separators that a whole number must use alone ("0914/555/666").
fn odd_sep(c: char) -> bool {
    matches!(c, '_' | '/' | ',')
}

const TAX_WORDS: &[&[&str]] = &[
    &["mst"],
    &["msdn"],
    &["ma", "so", "thue"],
    &["ma", "so", "doanh", "nghiep"],
];
const ID_WORDS: &[&[&str]] = &[
    &["cccd"],
    &["cmnd"],
    &["cmt"],
    &["can", "cuoc"],
    &["chung", "minh"],
    &["dinh", "danh"],
];

/// Is one of `phrases` among the 8 tokens before token `t`?
fn has_context(words: &[String], t: usize, phrases: &[&[&str]]) -> bool {
    let w = &words[t.saturating_sub(8)..t];
    (0..w.len()).any(|i| {
        phrases
            .iter()
            .any(|p| w.len() - i >= p.len() && p.iter().zip(&w[i..]).all(|(x, y)| *x == y.as_str()))
    })
}

/// Check digit of a 10-digit Vietnamese tax code.
fn tax_ok(d: &[u8]) -> bool {
    if d.len() < 10 || !d[..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = d[..9]
        .iter()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let check = 10 - sum % 11;
    check != 10 && u32::from(d[9] - b'0') == check
}

fn is_mobile_digit(c: u8) -> bool {
    matches!(c, b'3' | b'5' | b'7' | b'8' | b'9')
}

/// Classifies a candidate digit string.
/// `loose`: a 12-digit number that does not begin with 0 is still an ID
/// (one bare run, even groups, or an ID keyword before it).
fn classify(d: &[u8], plus: bool, mst: bool, loose: bool) -> Option<Kind> {
    if d.len() >= 13 && d.starts_with(b"0084") {
        return classify(&d[2..], true, false, false).filter(|&k| k == Kind::Phone);
    }
    let n = d.len();
    if mst && (n == 10 || n == 13) && tax_ok(d) {
        return Some(Kind::TaxCode);
    }
    let p84 = n >= 3 && d[0] == b'8' && d[1] == b'4';
    match n {
        9 => Some(Kind::IdNumber),
        10 if d[0] == b'0' && is_mobile_digit(d[1]) => Some(Kind::Phone),
        11 if d[0] == b'0' && d[1] == b'2' => Some(Kind::Phone),
        11 if p84 && (plus || is_mobile_digit(d[2])) => Some(Kind::Phone),
        12 if p84 && (plus || d[2] == b'2' || (d[2] == b'0' && is_mobile_digit(d[3]))) => {
            Some(Kind::Phone)
        }
        // CCCD numbers begin with a province code 0xx; a bare 12-digit run counts too.
        12 if loose || d[0] == b'0' => Some(Kind::IdNumber),
        _ => None,
    }
}

fn detect_numbers(
    text: &str,
    f: &Folded,
    toks: &[Tok],
    words: &[String],
    out: &mut Vec<(Kind, usize, usize)>,
) {
    let num: Vec<Num> = toks
        .iter()
        .zip(words)
        .map(|(t, w)| {
            if w.bytes().all(|b| b.is_ascii_digit()) {
                Num::Digits
            } else if w.len() <= 6 {
                let (s, e) = f.orig(t.fs, t.fe);
                digit_word(&text[s..e]).map_or(Num::No, Num::Word)
            } else {
                Num::No
            }
        })
        .collect();
    let gap_ok = |a: usize, b: usize| -> bool {
        let g = &f.chars[toks[a].fe..toks[b].fs];
        let wordy = matches!(num[a], Num::Word(_)) || matches!(num[b], Num::Word(_));
        if g.is_empty() || g.len() > 4 {
            return false;
        }
        if wordy {
            return g
                .iter()
                .all(|&c| matches!(c, ' ' | '.' | '-' | '(' | ')' | ','));
        }
        // "_", "/", "," join digits only when glued: "0913_444_555".
        g.iter().all(|&c| num_sep(c)) && (g.len() == 1 || !g.iter().any(|&c| odd_sep(c)))
    };
    let mut t = 0;
    while t < toks.len() {
        if num[t] == Num::No {
            t += 1;
            continue;
        }
        let a = t;
        while t + 1 < toks.len() && num[t + 1] != Num::No && gap_ok(t, t + 1) {
            t += 1;
        }
        process_run(text, f, toks, words, &num, a, t + 1, out);
        t += 1;
    }
}

/// Looks for numbers in the run of number tokens `a..b`.
#[allow(clippy::too_many_arguments)]
fn process_run(
    text: &str,
    f: &Folded,
    toks: &[Tok],
    words: &[String],
    num: &[Num],
    a: usize,
    b: usize,
    out: &mut Vec<(Kind, usize, usize)>,
) {
    let has_digit = |t: usize| words[t].bytes().any(|c| c.is_ascii_digit());
    // "0912345678/0987654321": two numbers, not a document code.
    let long_number = |t: usize| num[t] == Num::Digits && words[t].len() >= 9;
    // Glued to a code ("H29-250101-0001", "123/QĐ", "x_123") → not personal data.
    let first = toks[a];
    if first.fs >= 1 {
        let c = f.chars[first.fs - 1];
        let glued = first.fs >= 2 && f.chars[first.fs - 2].is_alphanumeric();
        let slash_pair = c == '/' && a > 0 && long_number(a - 1) && long_number(a);
        // Glued to letters only ("Zalo/0912…", "SĐT#0912…"): still a number.
        if glued
            && !slash_pair
            && (matches!(c, '@' | '\\')
                || (matches!(c, '/' | '_' | '#' | '-' | '.') && a > 0 && has_digit(a - 1)))
        {
            return;
        }
    }
    let last = toks[b - 1];
    if let Some(c) = f.at(last.fe) {
        let glued = f.at(last.fe + 1).is_some_and(char::is_alphanumeric);
        let slash_pair = c == '/' && b < toks.len() && long_number(b - 1) && long_number(b);
        if c == '%'
            || (glued
                && !slash_pair
                && (matches!(c, '/' | '_' | '\\')
                    || (matches!(c, '-' | '.') && b < toks.len() && has_digit(b))))
        {
            return;
        }
    }
    // Money: "500.000 đồng", "giá 150.000.000".
    let run_digits: usize = (a..b)
        .map(|t| match num[t] {
            Num::Digits => words[t].len(),
            _ => 1,
        })
        .sum();
    let phone_shaped = {
        let first = &words[a];
        (num[a] == Num::Digits && words[b - 1].len() >= 9)
            || (run_digits == 10 && first.starts_with('0'))
            || (run_digits >= 11 && (first.starts_with("84") || first.starts_with('0')))
    };
    let next_sym = {
        let mut i = toks[b - 1].fe;
        while f.at(i) == Some(' ') && i < toks[b - 1].fe + 2 {
            i += 1;
        }
        f.at(i)
    };
    let prev_sym = {
        let mut i = toks[a].fs;
        while i > 0 && f.chars[i - 1] == ' ' && i + 2 > toks[a].fs {
            i -= 1;
        }
        if i > 0 { Some(f.chars[i - 1]) } else { None }
    };
    let currency_after = matches!(next_sym, Some('$' | '€' | '₫' | '£' | '¥'))
        || (b < toks.len()
            && f.chars[toks[b - 1].fe..toks[b].fs]
                .iter()
                .all(|&c| c == ' ')
            && toks[b].fs - toks[b - 1].fe <= 2
            && (CURRENCY.contains(&words[b].as_str())
                || (!phone_shaped && WEAK_CURRENCY.contains(&words[b].as_str()))));
    let grouped = b - a >= 2
        && (a..b).all(|t| num[t] == Num::Digits)
        && (1..=3).contains(&words[a].len())
        && (a + 1..b).all(|t| words[t].len() == 3)
        && {
            let g0 = &f.chars[toks[a].fe..toks[a + 1].fs];
            g0.len() == 1
                && matches!(g0[0], '.' | ' ' | ',')
                && (a + 1..b).all(|t| f.chars[toks[t - 1].fe..toks[t].fs] == *g0)
        };
    let id_context = has_context(words, a, ID_WORDS) || has_context(words, a, TAX_WORDS);
    let money_before = matches!(prev_sym, Some('$' | '€' | '£' | '¥'))
        || (a > 0
            && !id_context
            && f.chars[toks[a - 1].fe..toks[a].fs]
                .iter()
                .all(|&c| c == ' ' || c == ':')
            && {
                let (s, e) = f.orig(toks[a - 1].fs, toks[a - 1].fe);
                is_money_word(&text[s..e])
            });
    if grouped && (currency_after || money_before) {
        return;
    }

    let n = b - a;
    // A run may be split only at gaps with a space or comma, or next to words.
    let split_ok: Vec<bool> = (a..b - 1)
        .map(|t| {
            matches!(num[t], Num::Word(_))
                || matches!(num[t + 1], Num::Word(_))
                || f.chars[toks[t].fe..toks[t + 1].fs]
                    .iter()
                    .any(|&c| c == ' ' || c == ',')
                // "0912345678/0987654321", "0912345678_0987654321"
                || (long_number(t) && long_number(t + 1))
        })
        .collect();
    let len_of = |t: usize| match num[t] {
        Num::Word(_) => 1,
        _ => words[t].len(),
    };
    let mut i = 0;
    while i < n {
        let mut digits = 0;
        let mut jmax = i;
        while jmax < n && digits + len_of(a + jmax) <= 13 {
            digits += len_of(a + jmax);
            jmax += 1;
        }
        let mut found = None;
        let mut j = jmax;
        while j > i {
            if (j == n || split_ok[j - 1])
                && !(j == n && currency_after)
                && let Some(k) = candidate(f, toks, words, num, a + i, a + j)
            {
                found = Some((j, k));
                break;
            }
            j -= 1;
        }
        match found {
            Some((j, k)) => {
                out.push((
                    k,
                    span_start(f, toks[a + i]),
                    span_end(f, toks, a + i, a + j),
                ));
                i = j;
            }
            None => {
                i += 1;
                while i < n && !split_ok[i - 1] {
                    i += 1;
                }
            }
        }
    }
}

/// Classifies the tokens `i..j` (global indices) as one number.
fn candidate(
    f: &Folded,
    toks: &[Tok],
    words: &[String],
    num: &[Num],
    i: usize,
    j: usize,
) -> Option<Kind> {
    let mut d = Vec::with_capacity(16);
    let mut n_words = 0;
    let mut n_digit_toks = 0;
    for t in i..j {
        match num[t] {
            Num::Word(w) => {
                n_words += 1;
                d.push(b'0' + w);
            }
            Num::Digits => {
                n_digit_toks += 1;
                d.extend_from_slice(words[t].as_bytes());
            }
            Num::No => return None,
        }
    }
    if n_words > 0 && n_digit_toks > 0 && n_words < 2 {
        return None;
    }
    if n_words > 0 && n_digit_toks == 0 && n_words < 9 {
        return None;
    }
    // "_", "/" or a glued "," must be the only separator of the number
    // ("0914/555/666"), so that "12/3/2025 15" is not one number.
    let gap = |t: usize| &f.chars[toks[t].fe..toks[t + 1].fs];
    if n_words == 0
        && (i..j - 1).any(|t| gap(t).iter().any(|&c| odd_sep(c)))
        && !(i..j - 1).all(|t| gap(t) == gap(i) && gap(t).len() == 1)
    {
        return None;
    }
    let plus = toks[i].fs >= 1 && f.chars[toks[i].fs - 1] == '+';
    let mst = has_context(words, i, TAX_WORDS);
    let even_groups = n_words == 0 && (i..j).all(|t| words[t].len() == words[i].len());
    let loose = even_groups || has_context(words, i, ID_WORDS);
    classify(&d, plus, mst, loose)
}

/// Start of a number, taking in a leading "+", "(" or "(+".
fn span_start(f: &Folded, t: Tok) -> usize {
    let mut s = t.fs;
    for _ in 0..2 {
        if s >= 1 && matches!(f.chars[s - 1], '+' | '(') {
            s -= 1;
        }
    }
    f.spans[s].0
}

/// End of a number, taking in a closing ")" left open inside.
fn span_end(f: &Folded, toks: &[Tok], i: usize, j: usize) -> usize {
    let fe = toks[j - 1].fe;
    let inner = &f.chars[toks[i].fs..fe];
    let open = inner.iter().filter(|&&c| c == '(').count();
    let close = inner.iter().filter(|&&c| c == ')').count();
    let before_open = toks[i].fs >= 1 && f.chars[toks[i].fs - 1] == '('
        || toks[i].fs >= 2 && f.chars[toks[i].fs - 2] == '(';
    if (open > close || before_open && open == close) && f.at(fe) == Some(')') {
        return f.spans[fe].1;
    }
    f.spans[fe - 1].1
}

// ---------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------

/// An "at" sign at folded index `p`: "@", "(at)", "[at]", "{at}", "(a)".
/// Returns the end of the sign and whether it is spelled out.
fn at_sign(c: &[char], p: usize) -> Option<(usize, bool)> {
    if c[p] == '@' {
        return Some((p + 1, false));
    }
    let close = match c[p] {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        _ => return None,
    };
    let rest = c.get(p + 1..).unwrap_or(&[]);
    let mut k = 0;
    while rest.get(k) == Some(&' ') && k < 1 {
        k += 1;
    }
    let word_len = if rest.get(k..k + 2) == Some(&['a', 't'][..]) {
        2
    } else if rest.get(k) == Some(&'a') {
        1
    } else {
        return None;
    };
    k += word_len;
    while rest.get(k) == Some(&' ') && k < word_len + 2 {
        k += 1;
    }
    (rest.get(k) == Some(&close)).then_some((p + 1 + k + 1, true))
}

fn detect_emails(text: &str, f: &Folded, out: &mut Vec<(Kind, usize, usize)>) {
    let c = &f.chars;
    let local = |x: char| x.is_alphanumeric() || matches!(x, '.' | '_' | '%' | '+' | '-');
    let dom = |x: char| x.is_alphanumeric() || matches!(x, '.' | '-');
    for p in 0..c.len() {
        let Some((q, spelled)) = at_sign(c, p) else {
            continue;
        };
        // Up to two spaces on each side: "nguyenvanb @ gmail.com".
        let mut le = p;
        while le > 0 && c[le - 1] == ' ' && p - le < 2 {
            le -= 1;
        }
        let mut ds = q;
        while ds < c.len() && c[ds] == ' ' && ds - q < 2 {
            ds += 1;
        }
        let spaced_l = le < p;
        let spaced_r = ds > q;
        // "hoặc @abc.com" is not an address: a bare "@" is spaced on both
        // sides or on neither.
        if !spelled && spaced_l != spaced_r {
            // Unless the local part looks like one: "a.b @gmail.com".
            let mut t = le;
            let mut marked = false;
            while t > 0 && local(c[t - 1]) {
                t -= 1;
                marked |= c[t].is_ascii_digit() || matches!(c[t], '.' | '_');
            }
            if !(spaced_l && marked) {
                continue;
            }
        }
        let loose = spelled || spaced_l;
        let mut s = le;
        while s > 0 && local(c[s - 1]) {
            s -= 1;
        }
        while s < le && matches!(c[s], '.' | '-' | '+') {
            s += 1;
        }
        let mut e = ds;
        while e < c.len() && dom(c[e]) {
            e += 1;
        }
        while e > ds && matches!(c[e - 1], '.' | '-') {
            e -= 1;
        }
        if s == le || e <= ds {
            continue;
        }
        if loose {
            // A loose spelling needs a plain ASCII local part (not a
            // Vietnamese word) glued to nothing before it.
            let (os, oe) = f.orig(s, le);
            if !text[os..oe].is_ascii()
                || (s > 0
                    && !matches!(
                        c[s - 1],
                        ' ' | '\n' | ':' | ',' | '(' | '<' | '"' | '\'' | ';'
                    ))
            {
                continue;
            }
        }
        let domain: String = c[ds..e].iter().collect();
        let labels: Vec<&str> = domain.split('.').collect();
        let tld = labels.last().copied().unwrap_or("");
        if labels.len() < 2
            || labels.iter().any(|l| l.is_empty())
            || tld.chars().count() < 2
            || !tld.chars().all(char::is_alphabetic)
            || (loose && !tld.is_ascii())
        {
            continue;
        }
        out.push((Kind::Email, f.spans[s].0, f.spans[e - 1].1));
    }
}

// ---------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------

/// Tokens glued by single slashes ("45/6/7b").
struct Atom {
    fs: usize,
    fe: usize,
    text: String,
    /// Title case word: "Nguyễn", "Huế", "A" (not "UBND", not "12").
    title: bool,
    /// All letters upper case: "NGUYỄN", "SỐ".
    upper: bool,
}

/// Words after which a number is not a house number.
const NOT_BEFORE_HN: &[&str] = &[
    "ngay", "thang", "nam", "quan", "phuong", "dieu", "khoan", "muc", "chuong", "dinh", "luat",
    "lan", "lop", "phong", "tang", "lau", "xa", "huyen", "tinh", "khu", "to", "ap", "thon", "gio",
    "phut", "luc", "top", "hang", "diem", "trang", "q", "p", "tuan", "ky", "dot", "so", "khoang",
    "con", "nguoi", "tuoi", "ban", "cau", "bai", "phan", "thi",
];
/// Words after which "số N" is a document number, not an address.
const NOT_BEFORE_SO: &[&str] = &[
    "dinh", "van", "bao", "thi", "lenh", "ban", "phieu", "don", "so", "ky", "hieu", "luat", "dieu",
    "khoan", "muc", "trang", "hop", "dong", "bien", "trinh", "phong", "tang", "thoai", "lan",
    "quyet", "cong", "ma", "hang",
];
/// Capitalised words that do not begin a street name.
const NOT_STREET_START: &[&str] = &[
    "quan", "phuong", "xa", "huyen", "tinh", "thanh", "tp", "ubnd", "so", "ban", "phong", "cuc",
    "chi", "bo", "vien", "truong", "benh", "cong", "toa", "uy", "hoi", "nguoi", "ngay", "thang",
    "nam", "gio", "dieu", "khoan", "luat", "nghi", "thong", "quyet",
];
/// Capitalised words that end a street name (ward, district...).
const ADMIN: &[&str] = &[
    "phuong", "quan", "huyen", "xa", "tinh", "tp", "tx", "tt", "q", "p",
];

/// Lower-case words that end a lower-case street name.
const NOT_LC_NAME: &[&str] = &[
    "la", "cua", "va", "voi", "o", "tai", "nhe", "nha", "a", "da", "dang", "se", "bi", "duoc",
    "khong", "co", "ma", "de", "cho", "tu", "den", "tren", "duoi", "trong", "ngoai", "gan", "canh",
    "sau", "truoc", "toi", "em", "anh", "hoac", "nhung", "roi", "nay", "do", "kia", "day", "ay",
    "moi", "cac", "nhieu", "it", "hon", "nua", "cung", "lai", "ra", "vao", "len", "xuong", "ve",
    "di", "goi", "lien", "he", "sdt", "dt", "email", "mail", "zalo", "so", "cccd", "cmnd", "mst",
];
/// Lower-case words that do not begin a lower-case street name.
const NOT_LC_START: &[&str] = &[
    "nguoi", "ngay", "thang", "nam", "tuoi", "con", "cai", "chiec", "lan", "gio", "phut", "trieu",
    "nghin", "ngan", "dong", "tang", "phong", "can", "m", "km", "met", "buoc", "muc", "dieu",
    "khoan", "trang", "dot", "ky", "loai", "ban", "bo", "ho", "khu", "to", "ap", "thon", "tinh",
    "thanh", "xa", "ty", "cong", "lop", "hop", "tap", "quyen", "ti", "usd", "vnd", "k", "tr", "d",
    "ba", "hai", "mot", "bon", "sau", "bay", "tam", "chin", "muoi",
];

fn is_house_number(s: &str) -> bool {
    let mut first = true;
    for seg in s.split('/') {
        let b = seg.as_bytes();
        let nd = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let rest = &b[nd..];
        let maxd = if first { 4 } else { 3 };
        if nd == 0 || nd > maxd || rest.len() > 1 || rest.iter().any(|c| !c.is_ascii_lowercase()) {
            return false;
        }
        first = false;
    }
    true
}

fn build_atoms(text: &str, f: &Folded, toks: &[Tok], words: &[String]) -> Vec<Atom> {
    let mut atoms: Vec<Atom> = Vec::with_capacity(toks.len());
    let mut glue = false;
    for (k, t) in toks.iter().enumerate() {
        if glue && let Some(last) = atoms.last_mut() {
            last.fe = t.fe;
            last.text.push('/');
            last.text.push_str(&words[k]);
            last.title = false;
            last.upper = false;
        } else {
            let (s, e) = f.orig(t.fs, t.fe);
            let o = &text[s..e];
            let mut it = o.chars();
            let title = it.next().is_some_and(char::is_uppercase)
                && it.all(|c| !c.is_uppercase())
                && words[k].chars().all(char::is_alphabetic);
            let upper =
                words[k].chars().all(char::is_alphabetic) && o.chars().all(|c| !c.is_lowercase());
            atoms.push(Atom {
                fs: t.fs,
                fe: t.fe,
                text: words[k].clone(),
                title,
                upper,
            });
        }
        glue = toks
            .get(k + 1)
            .is_some_and(|n| n.fs == t.fe + 1 && f.chars[t.fe] == '/');
    }
    atoms
}

fn detect_addresses(
    text: &str,
    f: &Folded,
    toks: &[Tok],
    words: &[String],
    out: &mut Vec<(Kind, usize, usize)>,
) {
    let atoms = build_atoms(text, f, toks, words);
    let n = atoms.len();
    // Atom k follows atom k-1 on the same line, separated by spaces only.
    let ws = |k: usize| -> bool {
        k > 0
            && k < n
            && f.chars[atoms[k - 1].fe..atoms[k].fs]
                .iter()
                .all(|&c| c == ' ')
    };
    let txt = |k: usize| atoms.get(k).map_or("", |a| a.text.as_str());
    let hn = |k: usize| k < n && is_house_number(&atoms[k].text);
    let stw = |k: usize| -> usize {
        match txt(k) {
            "duong" | "pho" | "hem" | "ngo" | "ngach" | "kiet" => 1,
            "dai" | "quoc" | "tinh" if txt(k + 1) == "lo" && ws(k + 1) => 2,
            _ => 0,
        }
    };
    // "tư" folds like "từ" (from): only "Thông tư 12" is a document.
    let prev_is = |k: usize, list: &[&str]| {
        ws(k)
            && (list.contains(&txt(k - 1))
                || (txt(k - 1) == "tu" && k >= 2 && ws(k - 1) && txt(k - 2) == "thong"))
    };
    let admin = |k: usize| {
        ADMIN.contains(&txt(k))
            || (ws(k + 1)
                && matches!(
                    (txt(k), txt(k + 1)),
                    ("thanh", "pho")
                        | ("thi", "xa")
                        | ("thi", "tran")
                        | ("khu", "pho")
                        | ("to", "dan")
                ))
    };
    let glued_before = |k: usize| {
        let fs = atoms[k].fs;
        fs >= 1
            && matches!(
                f.chars[fs - 1],
                '.' | ':' | '-' | '/' | '+' | '_' | '@' | '#' | '&' | '%'
            )
    };

    // Atom k-1 is right before atom k, with spaces or a colon between.
    let near = |k: usize| -> &str {
        if k == 0 || k >= n {
            return "";
        }
        let g = &f.chars[atoms[k - 1].fe..atoms[k].fs];
        if g.len() <= 3 && g.iter().all(|&c| c == ' ' || c == ':') {
            txt(k - 1)
        } else {
            ""
        }
    };
    // A lower-case street name is taken only after "số", "nhà" or
    // "địa chỉ" ("số 12 nguyễn trãi"), or after a street-type word.
    let introduced = |k: usize| {
        txt(k) == "so"
            || near(k) == "nha"
            || near(k) == "so"
            || (near(k) == "chi" && k >= 1 && near(k - 1) == "dia")
    };
    let mut k = 0;
    while k < n {
        let start_ok = if txt(k) == "so" {
            ws(k + 1) && hn(k + 1) && !prev_is(k, NOT_BEFORE_SO)
        } else if hn(k) {
            !prev_is(k, NOT_BEFORE_HN) && !glued_before(k)
        } else {
            let l = stw(k);
            l > 0 && ws(k + l) && hn(k + l)
        };
        if !start_ok {
            k += 1;
            continue;
        }
        // Walk the address; in upper-case text ("SỐ 12 NGUYỄN HUỆ") upper-case
        // words count as capitalised.
        let caps = atoms[k].upper;
        let mut j = k;
        let mut saw_hn = false;
        let mut prev_stw = false;
        let mut in_name = false;
        let mut last_end: Option<usize> = None;
        // Without a street-type word, a street name has two words or more
        // ("Lê Lợi"), so "45 Tuổi", "3 Con" are not addresses.
        let mut saw_stw = false;
        let mut names = 0;
        let intro = introduced(k);
        let mut lc_names = 0;
        // An address is short; the cap also keeps the walk linear.
        while j < n && j - k < 16 && (j == k || ws(j)) {
            let l = stw(j);
            if l > 0 {
                saw_stw = true;
                prev_stw = true;
                in_name = false;
                j += l;
                continue;
            }
            if txt(j) == "so" && ws(j + 1) && hn(j + 1) {
                if saw_hn && !prev_stw {
                    break;
                }
                if prev_stw && saw_hn {
                    last_end = Some(j + 1);
                }
                saw_hn = true;
                prev_stw = false;
                in_name = false;
                j += 2;
                continue;
            }
            if hn(j) {
                if in_name && txt(j).len() <= 2 && txt(j).bytes().all(|b| b.is_ascii_digit()) {
                    // "Đường 3 Tháng 2"
                    last_end = Some(j);
                    j += 1;
                    continue;
                }
                if saw_hn && !prev_stw {
                    break;
                }
                if prev_stw && saw_hn {
                    last_end = Some(j);
                }
                saw_hn = true;
                prev_stw = false;
                in_name = false;
                j += 1;
                continue;
            }
            let a = &atoms[j];
            let lower = !a.title
                && !a.upper
                && (intro || saw_stw)
                && lc_names < 4
                && (1..=7).contains(&a.text.len())
                && a.text.chars().all(|c| c.is_ascii_lowercase())
                && !NOT_LC_NAME.contains(&a.text.as_str())
                && (in_name || !NOT_LC_START.contains(&a.text.as_str()));
            if (a.title || (caps && a.upper) || lower)
                && saw_hn
                && !admin(j)
                && (in_name || prev_stw || !NOT_STREET_START.contains(&txt(j)))
            {
                if lower {
                    lc_names += 1;
                }
                last_end = Some(j);
                names += 1;
                in_name = true;
                prev_stw = false;
                j += 1;
                continue;
            }
            break;
        }
        match last_end {
            Some(le) if saw_hn && (saw_stw || names >= 2) => {
                let (s, e) = f.orig(atoms[k].fs, atoms[le].fe);
                out.push((Kind::Address, s, e));
                k = le + 1;
            }
            _ => k += 1,
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// The text with every piece of personal data found removed (a space in its place): what a
/// search index and the database's search text hold, so that no query can probe for a number
/// or an address the public view masks.
pub fn unsearchable(text: &str) -> String {
    let found = detect(text);
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in &found {
        if f.start < at || f.end > text.len() {
            continue;
        }
        out.push_str(&text[at..f.start]);
        out.push(' ');
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        detect(text).into_iter().map(|f| (f.kind, f.text)).collect()
    }

    fn one(text: &str, kind: Kind, found: &str) {
        assert_eq!(kinds(text), vec![(kind, found.to_string())], "in {text:?}");
    }

    fn none(text: &str) {
        assert_eq!(kinds(text), vec![], "in {text:?}");
    }

    fn nfd(s: &str) -> String {
        s.nfd().collect::<String>()
    }

    #[test]
    fn kind_names_and_labels() {
        assert_eq!(Kind::Phone.as_str(), "PHONE");
        assert_eq!(Kind::IdNumber.as_str(), "ID_NUMBER");
        assert_eq!(Kind::TaxCode.as_str(), "TAX_CODE");
        assert_eq!(Kind::Other.as_str(), "OTHER");
        assert_eq!(Kind::Phone.label_vi(), "[số điện thoại đã ẩn]");
        assert_eq!(Kind::Email.label_vi(), "[e-mail đã ẩn]");
        assert_eq!(Kind::Address.label_vi(), "[địa chỉ đã ẩn]");
        assert_eq!(Kind::Other.label_vi(), "[thông tin cá nhân đã ẩn]");
    }

    #[test]
    fn phones_with_separators() {
        one("Gọi 0912 345 678 nhé", Kind::Phone, "0912 345 678");
        one("SĐT: 0912.345.678.", Kind::Phone, "0912.345.678");
        one("sdt 0912-345-678", Kind::Phone, "0912-345-678");
        one("0912345678", Kind::Phone, "0912345678");
        one(
            "gọi (028) 3829 1234 giờ hành chính",
            Kind::Phone,
            "(028) 3829 1234",
        );
        one("liên hệ +84 912-345-678", Kind::Phone, "+84 912-345-678");
        one("liên hệ +84912345678.", Kind::Phone, "+84912345678");
        one("liên hệ 84912345678", Kind::Phone, "84912345678");
        one("(+84) 28 3829 1234", Kind::Phone, "(+84) 28 3829 1234");
        one(
            "số 0 9 1 2 3 4 5 6 7 8 ạ",
            Kind::Phone,
            "0 9 1 2 3 4 5 6 7 8",
        );
        one("di động 0388 123 456", Kind::Phone, "0388 123 456");
        one("SĐT:0912345678", Kind::Phone, "0912345678");
    }

    #[test]
    fn full_width_digits() {
        one(
            "gọi ０９１２３４５６７８ nhé",
            Kind::Phone,
            "０９１２３４５６７８",
        );
        one(
            "gọi ０９１２ ３４５ ６７８",
            Kind::Phone,
            "０９１２ ３４５ ６７８",
        );
    }

    #[test]
    fn two_numbers_side_by_side() {
        let f = detect("0912345678 0987654321");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].text, "0912345678");
        assert_eq!(f[1].text, "0987654321");
        let f = detect("gọi 0912345678,0987654321 hoặc 12 0933333333");
        let t: Vec<&str> = f.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(t, ["0912345678", "0987654321", "0933333333"]);
    }

    #[test]
    fn digit_words() {
        one(
            "số của tôi là không chín một hai ba bốn năm sáu bảy tám nhé",
            Kind::Phone,
            "không chín một hai ba bốn năm sáu bảy tám",
        );
        one(
            "khong chin mot hai ba bon nam sau bay tam",
            Kind::Phone,
            "khong chin mot hai ba bon nam sau bay tam",
        );
        one(
            "KHÔNG CHÍN MỐT HAI, BA, BỐN - LĂM SÁU BẨY TÁM",
            Kind::Phone,
            "KHÔNG CHÍN MỐT HAI, BA, BỐN - LĂM SÁU BẨY TÁM",
        );
        let d = nfd("gọi không chín một hai ba bốn năm sáu bảy tám");
        let f = detect(&d);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Phone);
        assert!(d[f[0].start..].starts_with(&nfd("không")));
        assert_eq!(f[0].end, d.len());
        // Nine words: an old identity-card number.
        one(
            "cmnd một hai ba bốn năm sáu bảy tám chín",
            Kind::IdNumber,
            "một hai ba bốn năm sáu bảy tám chín",
        );
        // Twelve words: a CCCD.
        one(
            "không không một hai ba bốn năm sáu bảy tám chín linh",
            Kind::IdNumber,
            "không không một hai ba bốn năm sáu bảy tám chín linh",
        );
        // Mixed words and digits.
        one(
            "gọi 0912 ba bốn năm 678",
            Kind::Phone,
            "0912 ba bốn năm 678",
        );
        // Wrong marks are other words ("làm", "từ"), too few words is nothing.
        none("năm nay tôi làm hai ba việc từ sáu giờ");
        none("một hai ba bốn năm sáu bảy tám");
    }

    #[test]
    fn digit_word_next_to_a_number() {
        one("năm 0912345678", Kind::Phone, "0912345678");
        one("0912345678 ba mẹ tôi", Kind::Phone, "0912345678");
    }

    #[test]
    fn emails() {
        one(
            "gửi về nguyen.van.a@gmail.com.",
            Kind::Email,
            "nguyen.van.a@gmail.com",
        );
        one(
            "mail: Tran_B+x@so-tu-phap.hanoi.gov.vn nhé",
            Kind::Email,
            "Tran_B+x@so-tu-phap.hanoi.gov.vn",
        );
        one("0912345678@gmail.com", Kind::Email, "0912345678@gmail.com");
        none("gặp nhau @ quán, a@b hoặc @abc.com");
    }

    #[test]
    fn id_numbers() {
        one(
            "CCCD 001234567890 cấp ngày 12/3/2020",
            Kind::IdNumber,
            "001234567890",
        );
        one("CCCD 001 234 567 890", Kind::IdNumber, "001 234 567 890");
        one("CMND số 123456789", Kind::IdNumber, "123456789");
        one("CMND 123.456.789", Kind::IdNumber, "123.456.789");
        one("mã 987654321012", Kind::IdNumber, "987654321012");
    }

    #[test]
    fn tax_codes() {
        one("MST: 0100109106", Kind::TaxCode, "0100109106");
        one(
            "mã số thuế của công ty là 0100109106-001",
            Kind::TaxCode,
            "0100109106-001",
        );
        one(&nfd("Mã số thuế 0100109106"), Kind::TaxCode, "0100109106");
        one("ma so thue 0100109106", Kind::TaxCode, "0100109106");
        assert!(tax_ok(b"0100109106"));
        assert!(!tax_ok(b"0100109107"));
        // Without the keyword: not a phone, so nothing.
        none("số 0100109106 trong danh sách");
        // A wrong check digit with the keyword: nothing.
        none("MST 0100109107");
        // Looks like a phone, no keyword: a phone.
        one("0312345678", Kind::Phone, "0312345678");
        none("mã 1234567890 ở đây");
    }

    #[test]
    fn addresses() {
        one(
            "Tôi ở số 12 Nguyễn Huệ, phường Bến Nghé",
            Kind::Address,
            "số 12 Nguyễn Huệ",
        );
        one("nhà 12/3 Lê Lợi, Quận 1", Kind::Address, "12/3 Lê Lợi");
        one(
            "nhà số 5 hẻm 12 Trần Hưng Đạo, Quận 5",
            Kind::Address,
            "số 5 hẻm 12 Trần Hưng Đạo",
        );
        one(
            "tại 123A đường Cách Mạng Tháng Tám phường 10",
            Kind::Address,
            "123A đường Cách Mạng Tháng Tám",
        );
        one("ở ngõ 45 phố Huế, Hà Nội", Kind::Address, "ngõ 45 phố Huế");
        one(
            "45/6/7B Lê Lợi Phường Bến Thành",
            Kind::Address,
            "45/6/7B Lê Lợi",
        );
        one(
            "kiệt 12 Hùng Vương. Cảm ơn",
            Kind::Address,
            "kiệt 12 Hùng Vương",
        );
        one("12 đường 3/2 quận 10", Kind::Address, "12 đường 3/2");
        let d = nfd("Tôi ở số 12 Nguyễn Huệ, phường Bến Nghé");
        let f = detect(&d);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Address);
        assert_eq!(f[0].text, nfd("số 12 Nguyễn Huệ"));
        one("so 12 Nguyen Hue quan 1", Kind::Address, "so 12 Nguyen Hue");
    }

    #[test]
    fn must_not_find() {
        for t in [
            "Hồ sơ quá hạn 12 ngày",
            "UBND Quận 1",
            "UBND Phường 5 Quận 3",
            "trong năm 2025 Thành phố",
            "theo Điều 16 Luật Đất đai",
            "Nghị định 356/2025/NĐ-CP",
            "mã hồ sơ 000.00.12.H29-250101-0001",
            "ngày 12/3/2025",
            "mã tra cứu GY-7K2M-9QXA",
            "lệ phí 500.000 đồng",
            "thủ tục 1.000494",
            "Luật 91/2025/QH15",
            "lúc 15:00 ngày 12/3/2025",
            "tổng 1.500.000.000 đồng",
            "giá 150.000.000",
            "1 000 000 000 000 đồng",
            "Quyết định số 12 Ủy ban",
            "hồ sơ 000.00.12.H29-250101-0001 và GY-7K2M-9QXA lúc 15:00",
        ] {
            none(t);
        }
    }

    #[test]
    fn offsets_are_into_the_original() {
        let t = "Anh Hùng 😀 gọi ０９１２ ３４５ ６７８ hoặc 0987.654.321";
        for f in detect(t) {
            assert_eq!(&t[f.start..f.end], f.text);
        }
        assert_eq!(detect(t).len(), 2);
    }

    #[test]
    fn overlaps_keep_the_longer() {
        let f = detect("liên hệ 0912345678@gmail.com");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Email);
        let f = merge_keep_longer(
            "abcdefgh",
            vec![
                (Kind::Phone, 0, 3),
                (Kind::Email, 1, 6),
                (Kind::Other, 6, 8),
            ],
        );
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].kind, f[0].start, f[0].end), (Kind::Email, 1, 6));
        assert_eq!(f[1].kind, Kind::Other);
    }

    #[test]
    fn mask_output() {
        let t =
            "Tôi ở số 12 Nguyễn Huệ, gọi 0912 345 678 hoặc mail a.b@gmail.com. CCCD 001234567890";
        let m = mask(t, &detect(t));
        assert_eq!(
            m,
            "Tôi ở [địa chỉ đã ẩn], gọi [số điện thoại đã ẩn] hoặc mail [e-mail đã ẩn]. CCCD [số định danh đã ẩn]"
        );
        let t = "MST 0100109106.";
        assert_eq!(mask(t, &detect(t)), "MST [mã số thuế đã ẩn].");
        assert_eq!(mask("không có gì", &[]), "không có gì");
    }

    #[test]
    fn mask_merges_unordered_overlapping_and_bad_offsets() {
        let t = "abc Nguyễn Văn A def";
        let mk = |kind, start, end| Finding {
            kind,
            start,
            end,
            text: String::new(),
        };
        let fs = [
            mk(Kind::Other, 8, 14),
            mk(Kind::Phone, 4, 10),
            mk(Kind::Email, 100, 200),
        ];
        assert_eq!(mask(t, &fs), "abc [số điện thoại đã ẩn]ăn A def");
        // Offsets inside a char are widened to char boundaries.
        let fs = [mk(Kind::Other, 9, 10)];
        assert_eq!(mask(t, &fs), "abc Nguy[thông tin cá nhân đã ẩn]n Văn A def");
        assert_eq!(mask(t, &[mk(Kind::Other, 5, 5)]), t);
    }

    #[test]
    fn find_all_occurrences() {
        let t = "Nguyễn Văn A gặp nguyễn văn a và Nguyễn Văn A.";
        let f = find_all(t, "Nguyễn Văn A");
        assert_eq!(f.len(), 2);
        assert!(
            f.iter()
                .all(|x| x.kind == Kind::Other && x.text == "Nguyễn Văn A")
        );
        // An NFD needle finds NFC text, and NFD text is found too.
        assert_eq!(find_all(t, &nfd("Nguyễn Văn A")).len(), 2);
        let d = nfd(t);
        assert_eq!(find_all(&d, "Nguyễn Văn A").len(), 2);
        assert!(find_all(t, "").is_empty());
        assert_eq!(
            mask(t, &find_all(t, "Nguyễn Văn A")),
            "[thông tin cá nhân đã ẩn] gặp nguyễn văn a và [thông tin cá nhân đã ẩn]."
        );
        // "A" of NFD "Â" is not an "A".
        assert_eq!(find_all(&nfd("Ân A"), "A").len(), 1);
    }

    #[test]
    fn more_numbers() {
        one("gọi 0084 912 345 678", Kind::Phone, "0084 912 345 678");
        let f = detect("sđt 0912345678/0987654321");
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.kind == Kind::Phone));
        one("CCCD 123 456 789 012", Kind::IdNumber, "123 456 789 012");
        one("ĐT: 024 3825 3536", Kind::Phone, "024 3825 3536");
        one(
            "mã số thuế: 0 1 0 0 1 0 9 1 0 6",
            Kind::TaxCode,
            "0 1 0 0 1 0 9 1 0 6",
        );
        one(
            "nguyen.0912345678@gmail.com",
            Kind::Email,
            "nguyen.0912345678@gmail.com",
        );
        one(
            "gọi 0912\u{200B}345\u{200B}678",
            Kind::Phone,
            "0912\u{200B}345\u{200B}678",
        );
        none("số 1234/2025/0912345678");
        none("hotline 1900 1234 và 1800 599 920");
    }

    #[test]
    fn more_addresses() {
        one(
            "địa chỉ 12 Nguyễn Huệ Phường Bến Nghé",
            Kind::Address,
            "12 Nguyễn Huệ",
        );
        one(
            "SỐ 12 NGUYỄN HUỆ, QUẬN 1",
            Kind::Address,
            "SỐ 12 NGUYỄN HUỆ",
        );
        one(
            "tôi ở Số 7 Đại lộ Thăng Long",
            Kind::Address,
            "Số 7 Đại lộ Thăng Long",
        );
        one(
            "12 ngõ 34 ngách 56 Tây Sơn",
            Kind::Address,
            "12 ngõ 34 ngách 56 Tây Sơn",
        );
        one("tại số 12 Nguyễn Huệ", Kind::Address, "số 12 Nguyễn Huệ");
        let f = detect("từ 12 Lê Lợi đến 30 Lê Lợi");
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.kind == Kind::Address));
        for t in [
            "Thông tư 12 Bộ Tài chính",
            "Tôi 45 Tuổi, có 3 Con",
            "hơn 300 Hộ gia đình ở 2 Thôn",
            "Khoản 3 Điều 12 Nghị định 123/2015/NĐ-CP",
            "Ngày 20 Tháng 11 năm 2024",
            "Theo Quyết định số 1234/QĐ-UBND ngày 12/3/2025",
            "Năm 2024 có 1.234 hồ sơ, 98,5% đúng hạn",
            "Mức phí 1.200.000 VNĐ/hồ sơ, từ 8:00 đến 17:00",
            "Mã hồ sơ: H29.99-240315-0012",
        ] {
            none(t);
        }
    }

    #[test]
    fn pseudo_random_inputs_keep_invariants() {
        let pool: &[&str] = &[
            "0",
            "9",
            "8",
            "4",
            "1",
            "２",
            "０",
            " ",
            " ",
            ".",
            "-",
            "(",
            ")",
            "+",
            "/",
            "@",
            ",",
            ":",
            "\n",
            "a",
            "Z",
            "đ",
            "Đ",
            "số",
            "Số",
            "đường",
            "Nguyễn",
            "Huệ",
            "không",
            "chín",
            "năm",
            "MST",
            "CCCD",
            "gmail.com",
            "\u{0301}",
            "\u{0323}",
            "😀",
            "\u{202E}",
            "שׁ",
            "\u{200B}",
            "ｇ",
            "İ",
            "12A",
            "45/6",
            "x",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let t: String = (0..len)
                .map(|_| pool[(next() % pool.len() as u64) as usize])
                .collect();
            let fs = detect(&t);
            let mut prev = 0;
            for f in &fs {
                assert!(
                    prev <= f.start && f.start < f.end && f.end <= t.len(),
                    "{t:?}"
                );
                assert_eq!(&t[f.start..f.end], f.text, "{t:?}");
                prev = f.end;
            }
            let m = mask(&t, &fs);
            assert!(fs.is_empty() || m.contains(']'));
            let _ = find_all(&t, "số");
        }
    }

    #[test]
    fn weird_inputs_do_not_panic() {
        let long_digits = "9".repeat(20_000);
        let long_spaced = "0 ".repeat(10_000);
        let long_words = "không ".repeat(5_000);
        let long_mixed = "số 12 Nguyễn Huệ 0912345678 a@b.cd ".repeat(600);
        let ats = "@".repeat(20_000);
        let inputs: Vec<String> = vec![
            String::new(),
            " ".into(),
            "😀👩‍👩‍👧‍👦🇻🇳".into(),
            "\u{0301}\u{0300}\u{0323}abc\u{0301}".into(),
            "\u{0301}0912345678".into(),
            "مرحبا 0912345678 שלום \u{202E}0912345678\u{202C}".into(),
            "0912\u{200B}345\u{200B}678".into(),
            "İİİ ǅ ß ﬃ ＡＢＣ＠ｇｍａｉｌ．ｃｏｍ".into(),
            "+".into(),
            "(".into(),
            "84".into(),
            "số".into(),
            "số 12".into(),
            "ngõ 45".into(),
            "a@".into(),
            "@a.bc".into(),
            "a@.".into(),
            "MST".into(),
            "12/".into(),
            "/12/".into(),
            "1/2/3/4/5/6/7/8/9/1/2/3".into(),
            long_digits,
            long_spaced,
            long_words,
            long_mixed,
            ats,
            "\u{FF10}\u{FF19}".repeat(5000),
            nfd(&"Đường Nguyễn Huệ số 12 ".repeat(500)),
        ];
        for t in &inputs {
            let fs = detect(t);
            let mut prev_end = 0;
            for f in &fs {
                assert!(f.start < f.end && f.start >= prev_end, "{t:?}");
                assert_eq!(&t[f.start..f.end], f.text);
                prev_end = f.end;
            }
            let _ = mask(t, &fs);
            let _ = find_all(t, "a");
            let _ = find_all(t, "\u{0301}");
        }
        assert_eq!(detect(&"a@b.cd ".repeat(3000)).len(), 3000);
    }

    #[test]
    fn attack_short_words_after_phone_are_not_money() {
        one("gọi 0912345678 k được", Kind::Phone, "0912345678");
        one("0919 111 222 tr", Kind::Phone, "0919 111 222");
        one("0919111222 đ", Kind::Phone, "0919111222");
        one(
            "Số CCCD của chị: 001 234 567 890",
            Kind::IdNumber,
            "001 234 567 890",
        );
        // Real money stays unmasked.
        none("phí 50.000 đ");
        none("150.000.000 đ");
        none("thu 150.000.000 đ");
        none("chi 150.000.000");
        none("giá 15 tr và 500 k");
        none("1,500,000 đồng");
        none("1.234.567.890 USD");
    }

    #[test]
    fn attack_odd_separators() {
        one("0913_444_555", Kind::Phone, "0913_444_555");
        one("0914/555/666", Kind::Phone, "0914/555/666");
        one("0912,345,678", Kind::Phone, "0912,345,678");
        let f = detect("0912345678_0987654321");
        assert_eq!(f.len(), 2);
        none("ngày 12/3/2025 15:00");
        none("ngày 12/3/2025 15 giờ");
        none("các số 123, 456, 789");
        none("tỷ lệ 98,5%");
        one("12/03/2025 0912345678", Kind::Phone, "0912345678");
    }

    #[test]
    fn attack_letter_o_for_zero() {
        one("O915666777", Kind::Phone, "O915666777");
        one("gọi o915666777 nhé", Kind::Phone, "o915666777");
        none("O2 và CO2");
    }

    #[test]
    fn attack_unicode_digits() {
        let t = "\u{1D7CE}\u{1D7D7}\u{1D7CF}\u{1D7D4}\u{1D7CF}\u{1D7D0}\u{1D7D1}\u{1D7D2}\u{1D7D3}\u{1D7D4}";
        one(t, Kind::Phone, t);
        one("𝟶𝟿𝟷𝟼𝟷𝟸𝟹𝟺𝟻𝟼", Kind::Phone, "𝟶𝟿𝟷𝟼𝟷𝟸𝟹𝟺𝟻𝟼");
        one("٠٩١٢٣٤٥٦٧٨", Kind::Phone, "٠٩١٢٣٤٥٦٧٨");
        one("۰۹۱۲۳۴۵۶۷۸", Kind::Phone, "۰۹۱۲۳۴۵۶۷۸");
        one("gọi ०९१२३४५६७८", Kind::Phone, "०९१२३४५६७८");
        one("๐๙๑๒๓๔๕๖๗๘", Kind::Phone, "๐๙๑๒๓๔๕๖๗๘");
        one("⁰⁹¹²³⁴⁵⁶⁷⁸", Kind::Phone, "⁰⁹¹²³⁴⁵⁶⁷⁸");
        assert_eq!(digit_value('٣'), Some('3'));
        assert_eq!(digit_value('\u{1D7FF}'), Some('9'));
        assert_eq!(digit_value('a'), None);
        assert_eq!(digit_value('⑩'), None);
    }

    #[test]
    fn attack_invisible_chars() {
        for inv in [
            '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2060}',
            '\u{2063}', '\u{FEFF}', '\u{00AD}', '\u{180E}',
        ] {
            let t = format!("0917{inv}888999");
            one(&t, Kind::Phone, &t);
        }
    }

    #[test]
    fn attack_glued_prefixes() {
        one("SĐT#0912345678", Kind::Phone, "0912345678");
        one("zalo.me/0918999000", Kind::Phone, "0918999000");
        one("SĐT:0912345678", Kind::Phone, "0912345678");
        one("Zalo/0912345678", Kind::Phone, "0912345678");
        one("SĐT0912345678", Kind::Phone, "0912345678");
        one("CCCD001234567890", Kind::IdNumber, "001234567890");
        none("1234/2025/QĐ-UBND");
        none("000.00.12.H29-250101-0001");
    }

    #[test]
    fn attack_spaced_and_spelled_emails() {
        one(
            "nguyenvanb @ gmail.com",
            Kind::Email,
            "nguyenvanb @ gmail.com",
        );
        one("tranc(at)yahoo.com", Kind::Email, "tranc(at)yahoo.com");
        one("tranc [at] yahoo.com", Kind::Email, "tranc [at] yahoo.com");
        one(
            "canbo_q5 @ hcm.gov.vn",
            Kind::Email,
            "canbo_q5 @ hcm.gov.vn",
        );
        one("a (a) b.com", Kind::Email, "a (a) b.com");
        one("email: a.b @gmail.com", Kind::Email, "a.b @gmail.com");
        none("xem @ trang web.com");
        none("Tôi @ nhà, x (at) y");
    }

    #[test]
    fn attack_cmnd_after_pronoun() {
        one("CMND của chị 123 456 789", Kind::IdNumber, "123 456 789");
    }

    #[test]
    fn attack_lower_case_addresses() {
        one("số 12 nguyễn trãi", Kind::Address, "số 12 nguyễn trãi");
        one(
            "12 đường nguyễn trãi",
            Kind::Address,
            "12 đường nguyễn trãi",
        );
        one("nhà 12 nguyễn trãi", Kind::Address, "12 nguyễn trãi");
        one(
            "số 12 nguyễn trãi, phường 3",
            Kind::Address,
            "số 12 nguyễn trãi",
        );
        one(
            "số 12 nguyễn trãi quận 1",
            Kind::Address,
            "số 12 nguyễn trãi",
        );
        one(
            "địa chỉ: 12 lê lợi thành phố huế",
            Kind::Address,
            "12 lê lợi",
        );
        one(
            "số 12 nguyễn trãi là nhà tôi",
            Kind::Address,
            "số 12 nguyễn trãi",
        );
        one(
            "nhà 5 nguyễn thị minh khai nhé",
            Kind::Address,
            "5 nguyễn thị minh khai",
        );
        one(
            "số 12a nguyễn văn cừ",
            Kind::Address,
            "số 12a nguyễn văn cừ",
        );
        for t in [
            "tổng số 12 người",
            "số 5 bước thực hiện",
            "số 12 năm 2025",
            "văn bản số 12 hướng dẫn",
            "hồ sơ số 12 đã được duyệt",
            "gửi 5 bản sao",
            "lớp 12 a",
        ] {
            none(t);
        }
    }

    #[test]
    fn attack_must_not_find() {
        for t in [
            "quá hạn 12 ngày",
            "Quận 1",
            "Phường 5",
            "năm 2025",
            "Điều 16",
            "Nghị định 356/2025/NĐ-CP",
            "000.00.12.H29-250101-0001",
            "12/3/2025",
            "GY-7K2M-9QXA",
            "500.000 đồng",
            "1.000494",
            "Luật 91/2025/QH15",
            "15:00",
            "phí 50.000 đ",
        ] {
            none(t);
        }
    }

    #[test]
    fn long_inputs_stay_fast() {
        let inputs = [
            "0913_".repeat(20_000),
            "a @ ".repeat(20_000),
            "(at)".repeat(20_000),
            "x(at)".repeat(20_000),
            "số 12 nguyễn ".repeat(5_000),
            "o9".repeat(20_000),
            "𝟎".repeat(20_000),
            "1/".repeat(20_000),
            "1,".repeat(20_000),
            "a".repeat(20_000) + " @ " + &"b.".repeat(10_000) + "com",
        ];
        let t0 = std::time::Instant::now();
        for t in &inputs {
            let fs = detect(t);
            for f in &fs {
                assert_eq!(&t[f.start..f.end], f.text);
            }
        }
        assert!(t0.elapsed().as_secs() < 20);
    }

    #[test]
    fn smoke() {
        one("Gọi 0912 345 678 nhé", Kind::Phone, "0912 345 678");
        one(
            "số 12 Nguyễn Huệ, Quận 1",
            Kind::Address,
            "số 12 Nguyễn Huệ",
        );
    }
}
