//! Errors that come from the GraphQL layer itself rather than from the portal's code: a
//! document that does not parse, or does not validate against the schema. async-graphql
//! writes them in English and without a code; here each gets `extensions.code`
//! (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`) and, for a Vietnamese request, its
//! message in Vietnamese. The messages are rendered from async-graphql's English ones (7.2),
//! keeping every name they quote; one not recognised stays in English. Their `locations`
//! are untouched.
//!
//! The query limits (complexity, depth, recursion, directives) are not validation: they keep
//! `BAD_USER_INPUT` and their message.

use serde_json::Value;

use crate::error::Lang;

/// The document is not GraphQL.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// The document does not fit the schema (an unknown field, a missing argument, …).
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// What went wrong with a request, as the HTTP handler knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The document did not parse.
    Parse,
    /// The request failed before execution (no data, no error with a path).
    BeforeExecution,
    /// Execution ran; errors, if any, belong to fields.
    Execution,
}

/// Gives an error without a code of ours its code, and its message in `lang`. Errors that
/// already carry a code (the portal's own) are left alone.
pub fn annotate(e: &mut Value, failure: Failure, lang: Lang) {
    if e.pointer("/extensions/code").is_some() {
        return;
    }
    let msg = e["message"].as_str().unwrap_or_default().to_string();
    let (code, vi) = match failure {
        Failure::Parse => (PARSE_FAILED, parse_vi(&msg)),
        Failure::BeforeExecution if is_limit(&msg) => ("BAD_USER_INPUT", None),
        Failure::BeforeExecution => (VALIDATION_FAILED, validation_vi(&msg)),
        // Argument coercion and the like, inside execution.
        Failure::Execution => ("BAD_USER_INPUT", None),
    };
    if !e["extensions"].is_object() {
        e["extensions"] = Value::Object(Default::default());
    }
    e["extensions"]["code"] = code.into();
    if let (Lang::Vi, Some(vi)) = (lang, vi) {
        e["message"] = vi.into();
    }
}

/// The query limits async-graphql enforces itself.
fn is_limit(msg: &str) -> bool {
    msg == "Query is too complex."
        || msg == "Query is nested too deep."
        || msg.starts_with("The recursion depth of the query cannot be greater than")
        || msg.starts_with("The number of directives on the field")
}

/// Validation messages: English pattern, Vietnamese rendering. `{}` in the pattern stands for
/// a name (the shortest text that lets the rest match, the last one running to the end);
/// `{0}`, `{1}`, … put them back in the rendering.
const VALIDATION: &[(&str, &str)] = &[
    (
        r#"Unknown field "{}" on type "{}"."#,
        r#"Kiểu "{1}" không có trường "{0}"."#,
    ),
    (
        r#"Unknown argument "{}" on field "{}" of type "{}"."#,
        r#"Trường "{1}" của kiểu "{2}" không có tham số "{0}"."#,
    ),
    (
        r#"Unknown argument "{}" on directive "{}"."#,
        r#"Chỉ thị "{1}" không có tham số "{0}"."#,
    ),
    (
        // The type is the field's parent's, as in "Unknown argument".
        r#"Field "{}" argument "{}" of type "{}" is required but not provided"#,
        r#"Trường "{0}" của kiểu "{2}" thiếu tham số bắt buộc "{1}"."#,
    ),
    (
        r#"Directive "@{}" argument "{}" of type "{}" is required but not provided"#,
        r#"Chỉ thị "@{0}" thiếu tham số bắt buộc "{1}" (kiểu "{2}")."#,
    ),
    (
        r#"Invalid value for argument "{}", {}"#,
        r#"Giá trị không hợp lệ cho tham số "{0}": {1}."#,
    ),
    (
        r#"Invalid default value for argument: "{}", {}"#,
        r#"Giá trị mặc định không hợp lệ cho tham số "{0}": {1}."#,
    ),
    (r#"Unknown type "{}""#, r#"Không có kiểu "{0}"."#),
    (r#"Unknown directive "{}""#, r#"Không có chỉ thị "{0}"."#),
    (
        r#"Duplicate directive "{}""#,
        r#"Chỉ thị "{0}" bị lặp lại."#,
    ),
    (
        r#"Directive "{}" may not be used on "{}""#,
        r#"Không được dùng chỉ thị "{0}" ở vị trí "{1}"."#,
    ),
    (r#"Unknown fragment: "{}""#, r#"Không có fragment "{0}"."#),
    (
        r#"Fragment "{}" is never used"#,
        r#"Fragment "{0}" không được dùng đến."#,
    ),
    (
        r#"Cannot spread fragment "{}""#,
        r#"Không dùng được fragment "{0}": các fragment tham chiếu vòng lẫn nhau."#,
    ),
    (
        r#"Fragment "{}" cannot condition non composite type "{}""#,
        r#"Fragment "{0}" không thể đặt trên kiểu "{1}" vì kiểu này không có trường."#,
    ),
    (
        r#"Fragment cannot condition non composite type "{}""#,
        r#"Fragment không thể đặt trên kiểu "{0}" vì kiểu này không có trường."#,
    ),
    (
        r#"Fragment "{}" cannot be spread here as objects of type "{}" can never be of type "{}""#,
        r#"Không dùng được fragment "{0}" ở đây: đối tượng kiểu "{1}" không bao giờ thuộc kiểu "{2}"."#,
    ),
    (
        r#"Fragment cannot be spread here as objects of type "{}" can never be of type "{}""#,
        r#"Không dùng được fragment ở đây: đối tượng kiểu "{0}" không bao giờ thuộc kiểu "{1}"."#,
    ),
    (
        r#"Variable "${}" is not defined by operation "{}""#,
        r#"Biến "${0}" chưa được khai báo trong thao tác "{1}"."#,
    ),
    (
        r#"Variable "${}" is not defined"#,
        r#"Biến "${0}" chưa được khai báo."#,
    ),
    (
        r#"Variable "${}" is not used by operation "{}""#,
        r#"Biến "${0}" không được dùng trong thao tác "{1}"."#,
    ),
    (
        r#"Variable "${}" is not used"#,
        r#"Biến "${0}" không được dùng đến."#,
    ),
    (
        r#"There can only be one variable named "${}""#,
        r#"Chỉ được khai báo một biến tên "${0}"."#,
    ),
    (
        r#"There can only be one argument named "{}""#,
        r#"Chỉ được truyền một tham số tên "{0}"."#,
    ),
    (
        r#"Variable "{}" cannot be of non-input type "{}""#,
        r#"Biến "{0}" không thể có kiểu "{1}": đó không phải kiểu dữ liệu nhập."#,
    ),
    (
        r#"Variable "{}" of type "{}" used in position expecting type "{}""#,
        r#"Biến "{0}" kiểu "{1}" được dùng ở chỗ cần kiểu "{2}"."#,
    ),
    (
        r#"Field "{}" must not have a selection since type "{}" has no subfields"#,
        r#"Trường "{0}" không được chọn trường con vì kiểu "{1}" không có trường con."#,
    ),
    (
        r#"Field "{}" of type "{}" must have a selection of subfields"#,
        r#"Trường "{0}" kiểu "{1}" phải chọn các trường con."#,
    ),
    (
        r#"Fields "{}" conflict because "{}" and "{}" are different fields. Use different aliases on the fields to fetch both if this was intentional."#,
        r#"Các trường "{0}" xung đột vì "{1}" và "{2}" là hai trường khác nhau. Hãy đặt bí danh (alias) khác nhau để lấy cả hai."#,
    ),
    (
        r#"Fields "{}" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."#,
        r#"Các trường "{0}" xung đột vì có tham số khác nhau. Hãy đặt bí danh (alias) khác nhau để lấy cả hai."#,
    ),
    (
        r#"Unknown operation named "{}""#,
        r#"Tài liệu không có thao tác tên "{0}"."#,
    ),
    // An argument's value that its type refuses, found while weighing the document.
    (
        r#"Expected input type "{}", found {}."#,
        r#"Cần giá trị kiểu "{0}", nhận được {1}."#,
    ),
    (
        r#"Failed to parse "{}": {}"#,
        r#"Không đọc được giá trị kiểu "{0}": {1}"#,
    ),
    (
        "Operation name required in request.",
        "Tài liệu có nhiều thao tác: hãy cho biết thao tác cần chạy (operationName).",
    ),
];

/// Why an input value is invalid, inside "Invalid value for argument".
const VALUE_REASONS: &[(&str, &str)] = &[
    (r#"expected type "{}""#, r#"cần giá trị kiểu "{0}""#),
    (
        r#"enumeration type "{}" does not contain the value "{}""#,
        r#"kiểu liệt kê "{0}" không có giá trị "{1}""#,
    ),
    (
        r#"field "{}" of type "{}" is required but not provided"#,
        r#"thiếu trường bắt buộc "{0}" (kiểu "{1}")"#,
    ),
    (
        r#"unknown field "{}" of type "{}""#,
        r#"kiểu "{1}" không có trường "{0}""#,
    ),
    (
        "Oneof input objects requires have exactly one field",
        "đối tượng nhập dạng oneof phải có đúng một trường",
    ),
    (
        "Oneof Input Objects require that exactly one field must be supplied and that field must not be null",
        "đối tượng nhập dạng oneof phải có đúng một trường, khác null",
    ),
];

/// Parse messages other than syntax errors.
const PARSE: &[(&str, &str)] = &[
    (
        "document contains multiple operations",
        "Tài liệu có nhiều thao tác mà có thao tác không tên: khi có nhiều thao tác, mỗi thao tác phải có tên.",
    ),
    (
        "operation {} is defined twice",
        "Thao tác {0} được khai báo hai lần.",
    ),
    (
        "fragment {} is defined twice",
        "Fragment {0} được khai báo hai lần.",
    ),
    (
        "document does not contain an operation",
        "Tài liệu không có thao tác nào.",
    ),
    ("recursion limit exceeded.", "Tài liệu lồng nhau quá sâu."),
];

/// The names a pattern's `{}` stand for in `msg`, if it matches.
fn holes<'a>(pattern: &str, msg: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let (first, rest) = pieces.split_first()?;
    let mut left = msg.strip_prefix(first)?;
    let mut found = Vec::with_capacity(rest.len());
    for (i, piece) in rest.iter().enumerate() {
        if i + 1 == rest.len() {
            found.push(left.strip_suffix(piece)?);
            left = "";
        } else {
            let at = left.find(piece)?;
            found.push(&left[..at]);
            left = &left[at + piece.len()..];
        }
    }
    left.is_empty().then_some(found)
}

/// Puts names back into a rendering.
fn fill(template: &str, names: &[String]) -> String {
    let mut out = template.to_string();
    for (i, n) in names.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), n);
    }
    out
}

/// The rendering of `msg` by the first pattern of `table` it matches; each name is itself
/// rendered by `inner` where that matches (a reason inside a message).
fn render(table: &[(&str, &str)], msg: &str, inner: &[(&str, &str)]) -> Option<String> {
    table.iter().find_map(|(en, vi)| {
        let names: Vec<String> = holes(en, msg)?
            .into_iter()
            .map(|n| render(inner, n, &[]).unwrap_or_else(|| n.to_string()))
            .collect();
        Some(fill(vi, &names))
    })
}

/// A validation message in Vietnamese, with a suggestion ("Did you mean …?") carried over.
pub fn validation_vi(msg: &str) -> Option<String> {
    const SUGGESTION: &str = " Did you mean ";
    let (main, suggestion) = match msg.find(SUGGESTION) {
        Some(at) if msg.ends_with('?') => {
            (&msg[..at], Some(&msg[at + SUGGESTION.len()..msg.len() - 1]))
        }
        _ => (msg, None),
    };
    let mut vi = render(VALIDATION, main, VALUE_REASONS)?;
    if let Some(s) = suggestion {
        vi.push_str(&format!(" Có phải ý bạn là {s}?"));
    }
    Some(vi)
}

/// A parse message in Vietnamese. A syntax error's (pest's: a position, the line with a
/// caret, then "= expected …") becomes one line with the position and what was expected,
/// keeping the grammar's names.
pub fn parse_vi(msg: &str) -> Option<String> {
    if let Some(vi) = render(PARSE, msg, &[]) {
        return Some(vi);
    }
    let pos = msg
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let (line, col) = pos.trim().split_once(':')?;
    let what = msg
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("= "))
        .map(|w| {
            w.split("; ")
                .map(|part| {
                    if let Some(x) = part.strip_prefix("unexpected ") {
                        format!("không mong đợi {}", or_vi(x))
                    } else if let Some(x) = part.strip_prefix("expected ") {
                        format!("cần {}", or_vi(x))
                    } else {
                        part.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
    Some(match what {
        Some(w) => format!("Lỗi cú pháp GraphQL ở dòng {line}, cột {col}: {w}."),
        None => format!("Lỗi cú pháp GraphQL ở dòng {line}, cột {col}."),
    })
}

/// pest's "a, b, or c" as "a, b hoặc c".
fn or_vi(list: &str) -> String {
    list.replace(", or ", " hoặc ").replace(" or ", " hoặc ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_messages_keep_their_names() {
        assert_eq!(
            validation_vi(r#"Unknown field "nme" on type "Unit". Did you mean "name"?"#).unwrap(),
            r#"Kiểu "Unit" không có trường "nme". Có phải ý bạn là "name"?"#
        );
        assert_eq!(
            validation_vi(r#"Unknown field "zzz" on type "Query"."#).unwrap(),
            r#"Kiểu "Query" không có trường "zzz"."#
        );
        assert_eq!(
            validation_vi(
                r#"Field "login" argument "input" of type "Mutation" is required but not provided"#
            )
            .unwrap(),
            r#"Trường "login" của kiểu "Mutation" thiếu tham số bắt buộc "input"."#
        );
        assert_eq!(
            validation_vi(r#"Invalid value for argument "first", expected type "Int""#).unwrap(),
            r#"Giá trị không hợp lệ cho tham số "first": cần giá trị kiểu "Int"."#
        );
        assert_eq!(
            validation_vi(
                r#"Invalid value for argument "input.block", enumeration type "UnitBlock" does not contain the value "X""#
            )
            .unwrap(),
            r#"Giá trị không hợp lệ cho tham số "input.block": kiểu liệt kê "UnitBlock" không có giá trị "X"."#
        );
        assert_eq!(
            validation_vi(r#"Variable "$x" is not defined by operation "Q""#).unwrap(),
            r#"Biến "$x" chưa được khai báo trong thao tác "Q"."#
        );
        assert_eq!(
            validation_vi(r#"Variable "$x" is not defined"#).unwrap(),
            r#"Biến "$x" chưa được khai báo."#
        );
        assert_eq!(
            validation_vi(r#"Expected input type "Int", found "x"."#).unwrap(),
            r#"Cần giá trị kiểu "Int", nhận được "x"."#
        );
        assert_eq!(validation_vi("Something new in a later release"), None);
    }

    #[test]
    fn syntax_errors_name_their_position() {
        let pest =
            " --> 1:9\n  |\n1 | { units {\n  |         ^---\n  |\n  = expected selection, or name";
        assert_eq!(
            parse_vi(pest).unwrap(),
            "Lỗi cú pháp GraphQL ở dòng 1, cột 9: cần selection hoặc name."
        );
        assert_eq!(
            parse_vi("operation Q is defined twice").unwrap(),
            "Thao tác Q được khai báo hai lần."
        );
    }

    #[test]
    fn codes_by_failure_and_the_portals_own_left_alone() {
        let mut e = json!({ "message": r#"Unknown field "x" on type "Query"."#, "locations": [{ "line": 1, "column": 3 }] });
        annotate(&mut e, Failure::BeforeExecution, Lang::En);
        assert_eq!(e["extensions"]["code"], VALIDATION_FAILED);
        assert_eq!(e["message"], r#"Unknown field "x" on type "Query"."#);
        assert_eq!(e["locations"][0]["column"], 3);

        let mut e = json!({ "message": "Query is too complex." });
        annotate(&mut e, Failure::BeforeExecution, Lang::Vi);
        assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(e["message"], "Query is too complex.");

        let mut e = json!({ "message": "x", "extensions": { "code": "FORBIDDEN" } });
        annotate(&mut e, Failure::Parse, Lang::Vi);
        assert_eq!(e["extensions"]["code"], "FORBIDDEN");
        assert_eq!(e["message"], "x");

        let mut e = json!({ "message": "Failed to parse \"Int\"", "path": ["units"] });
        annotate(&mut e, Failure::Execution, Lang::Vi);
        assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT");
    }
}
