//! Limits on the shape of one GraphQL document, checked right after parsing and before
//! anything else looks at it: how many selections it makes (fields and fragment spreads) and
//! how many fields are aliased, both counted through fragments as they would run, and how many
//! variables and fragments it declares. Complexity (what the fields cost, a list by its `first`,
//! a search much more than a field) and depth are checked by async-graphql itself with the costs
//! declared on the fields; this catches the cheap-looking document that repeats one field
//! thousands of times under different aliases, or that spreads fragments into each other until
//! it stands for millions of fields (async-graphql's own depth check walks every expansion, so
//! such a document must be refused before it reaches the schema).

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::error::AppError;

/// How deep brackets (`{`, `[`, `(`) may nest in a document's text. Selections are at most 12
/// deep and arguments a few more; a value nested hundreds deep is an attack on the parser, whose
/// recursion overflows the stack long before its own limit.
pub const MAX_NESTING: usize = 64;

/// Variables one document may declare.
pub const MAX_VARIABLES: usize = 100;
/// Fragments one document may define.
pub const MAX_FRAGMENTS: usize = 100;

/// Selections (fields and fragment spreads) and aliased fields of a document, as it would run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub fields: usize,
    pub aliases: usize,
}

impl Shape {
    fn add(&mut self, o: Shape) {
        self.fields = self.fields.saturating_add(o.fields);
        self.aliases = self.aliases.saturating_add(o.aliases);
    }
}

/// Counts a document: every operation, with fragment spreads expanded (each fragment counted
/// once and reused, so a document of nested fragments cannot make the count itself slow; a
/// fragment that spreads itself counts nothing here and is refused by validation).
pub fn shape(doc: &ExecutableDocument) -> Shape {
    let mut memo: HashMap<Name, Option<Shape>> = HashMap::new();
    let mut total = Shape::default();
    for (_, op) in doc.operations.iter() {
        total.add(count(&op.node.selection_set.node, doc, &mut memo));
    }
    total
}

fn count(
    set: &SelectionSet,
    doc: &ExecutableDocument,
    memo: &mut HashMap<Name, Option<Shape>>,
) -> Shape {
    let mut s = Shape::default();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                s.add(Shape {
                    fields: 1,
                    aliases: usize::from(f.node.alias.is_some()),
                });
                s.add(count(&f.node.selection_set.node, doc, memo));
            }
            Selection::InlineFragment(f) => s.add(count(&f.node.selection_set.node, doc, memo)),
            Selection::FragmentSpread(f) => {
                // A spread is a selection too: a chain of spreads of an unknown fragment selects
                // no field, yet has to be walked.
                s.add(Shape {
                    fields: 1,
                    aliases: 0,
                });
                let name = &f.node.fragment_name.node;
                match memo.get(name) {
                    Some(Some(known)) => s.add(*known),
                    // Being counted right now: a cycle.
                    Some(None) => {}
                    None => {
                        memo.insert(name.clone(), None);
                        let inner = doc
                            .fragments
                            .get(name)
                            .map(|d| count(&d.node.selection_set.node, doc, memo))
                            .unwrap_or_default();
                        memo.insert(name.clone(), Some(inner));
                        s.add(inner);
                    }
                }
            }
        }
    }
    s
}

/// `BAD_USER_INPUT` when brackets nest deeper than [`MAX_NESTING`] in the text of a document,
/// checked before it is parsed: one pass over the bytes, skipping strings and comments.
pub fn check_nesting(query: &str) -> Result<(), AppError> {
    let b = query.as_bytes();
    let (mut i, mut depth, mut max) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if max > MAX_NESTING {
        return Err(AppError::bad_input(
            "query",
            format!("Yêu cầu lồng ngoặc {max} cấp, tối đa {MAX_NESTING}."),
            format!("The request nests brackets {max} deep; the limit is {MAX_NESTING}."),
        ));
    }
    Ok(())
}

/// `BAD_USER_INPUT` when a document is over one of the limits, with a message naming it.
pub fn check(
    doc: &ExecutableDocument,
    max_fields: usize,
    max_aliases: usize,
) -> Result<(), AppError> {
    let variables: usize = doc
        .operations
        .iter()
        .map(|(_, op)| op.node.variable_definitions.len())
        .sum();
    if variables > MAX_VARIABLES {
        return Err(AppError::bad_input(
            "query",
            format!("Yêu cầu khai báo {variables} biến, tối đa {MAX_VARIABLES}."),
            format!("The request declares {variables} variables; the limit is {MAX_VARIABLES}."),
        ));
    }
    let fragments = doc.fragments.len();
    if fragments > MAX_FRAGMENTS {
        return Err(AppError::bad_input(
            "query",
            format!("Yêu cầu định nghĩa {fragments} fragment, tối đa {MAX_FRAGMENTS}."),
            format!("The request defines {fragments} fragments; the limit is {MAX_FRAGMENTS}."),
        ));
    }
    let s = shape(doc);
    if s.aliases > max_aliases {
        return Err(AppError::bad_input(
            "query",
            format!(
                "Yêu cầu có {} trường đặt bí danh (alias), tối đa {} (PORTAL_MAX_ALIASES). Hãy chia thành nhiều yêu cầu.",
                s.aliases, max_aliases
            ),
            format!(
                "The request has {} aliased fields; the limit is {} (PORTAL_MAX_ALIASES). Split it into several requests.",
                s.aliases, max_aliases
            ),
        ));
    }
    if s.fields > max_fields {
        return Err(AppError::bad_input(
            "query",
            format!(
                "Yêu cầu chọn {} trường, tối đa {} (PORTAL_MAX_FIELDS). Hãy chia thành nhiều yêu cầu.",
                s.fields, max_fields
            ),
            format!(
                "The request selects {} fields; the limit is {} (PORTAL_MAX_FIELDS). Split it into several requests.",
                s.fields, max_fields
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(q: &str) -> Shape {
        shape(&async_graphql::parser::parse_query(q).unwrap())
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        assert!(check_nesting("{ me { role } }").is_ok());
        let deep = format!(
            "{{ holidays(year: {}1{}) {{ date }} }}",
            "[".repeat(2000),
            "]".repeat(2000)
        );
        assert!(check_nesting(&deep).is_err());
        let quoted = format!(
            "{{ units(filter: {{search: \"{}\"}}) {{ totalCount }} }} # {}",
            "[".repeat(500),
            "{".repeat(500)
        );
        assert!(check_nesting(&quoted).is_ok());
        let block = format!("{{ a(x: \"\"\"{} \\\"\"\" \"\"\") }}", "[".repeat(500));
        assert!(check_nesting(&block).is_ok());
        let escaped = format!("{{ a(x: \"\\\"{}\") }}", "(".repeat(500));
        assert!(check_nesting(&escaped).is_ok());
    }

    #[test]
    fn counts_fields_and_aliases_through_fragments() {
        assert_eq!(
            shape_of("{ a: me { id } b: me { id } }"),
            Shape {
                fields: 4,
                aliases: 2
            }
        );
        let nested = "query { ...A ...A } fragment A on Query { x: me { ...B } y: me { ...B } } fragment B on Viewer { id role }";
        // A = 2 aliased fields, each with B (2 fields): 6 fields, 2 aliases; spread twice.
        // Fields 12, and 2 spreads of A + 2 × (2 spreads of B) = 6 spreads.
        assert_eq!(
            shape_of(nested),
            Shape {
                fields: 18,
                aliases: 4
            }
        );
        // A fragment spreading itself is counted once and left to validation.
        let cyclic = "{ ...A } fragment A on Query { me { id } ...A }";
        assert_eq!(shape_of(cyclic).fields, 4);
        // A chain of fragments each spreading the next twice is counted in linear time.
        let mut bomb = String::from("query { ...F0 }");
        for i in 0..70 {
            bomb.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        bomb.push_str(" fragment F70 on Query { ...Missing }");
        assert_eq!(shape_of(&bomb).fields, usize::MAX);
    }
}
