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
use std::sync::Arc;

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

/// How deep a selection under `__schema` or `__type` may go: the depth of the introspection
/// query that GraphiQL, Apollo Sandbox and graphql-codegen send (graphql-js
/// `getIntrospectionQuery()`: `__schema` › `types` › `fields` › `args` › `type` and nine
/// `ofType`, then `kind`), and not one level more. Other selections keep the configured depth.
pub const INTROSPECTION_DEPTH: usize = 15;

/// `__schema` selections one document may make, as it would run: the whole schema is several
/// hundred kilobytes of answer, so a request asks for it once.
pub const MAX_SCHEMAS: usize = 1;
/// `__type` selections one document may make.
pub const MAX_TYPES: usize = 30;

/// One request holds at most a fair share of the database pool: its top-level fields (aliases
/// of a costly read, say) run at most this many at a time, so that other requests are still
/// served while it runs. A field's own nested reads go through its loaders in its turn.
pub struct FairShare {
    permits: usize,
}

impl FairShare {
    /// A quarter of `connections`, at least one.
    pub fn of_pool(connections: u32) -> FairShare {
        FairShare {
            permits: (connections as usize / 4).max(1),
        }
    }
}

impl async_graphql::extensions::ExtensionFactory for FairShare {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        // One extension per request: its semaphore is the request's share.
        Arc::new(FairShareOfRequest(tokio::sync::Semaphore::new(
            self.permits,
        )))
    }
}

struct FairShareOfRequest(tokio::sync::Semaphore);

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for FairShareOfRequest {
    async fn resolve(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: async_graphql::extensions::NextResolve<'_>,
    ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let _turn = self.0.acquire().await;
        next.run(ctx, info).await
    }
}

/// Selections (fields and fragment spreads) and aliased fields of a document, as it would run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub fields: usize,
    pub aliases: usize,
    /// `__schema` selections.
    pub schemas: usize,
    /// `__type` selections.
    pub types: usize,
}

impl Shape {
    fn add(&mut self, o: Shape) {
        self.fields = self.fields.saturating_add(o.fields);
        self.aliases = self.aliases.saturating_add(o.aliases);
        self.schemas = self.schemas.saturating_add(o.schemas);
        self.types = self.types.saturating_add(o.types);
    }
}

/// Whether a field name opens the introspection of the schema.
fn is_introspection_root(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// The deepest selection of a document outside introspection, and the deepest under
/// `__schema` or `__type` (counted from the operation, as async-graphql counts depth), with
/// fragments expanded (each fragment measured once per kind of place).
pub fn depths(doc: &ExecutableDocument) -> (usize, usize) {
    let mut memo: HashMap<(Name, bool), Option<(usize, usize)>> = HashMap::new();
    let mut out = (0, 0);
    for (_, op) in doc.operations.iter() {
        let (o, i) = depth_of(&op.node.selection_set.node, doc, false, &mut memo);
        out = (out.0.max(o), out.1.max(i));
    }
    out
}

/// (ordinary, introspection) depth below `set`, which lies inside introspection or not.
fn depth_of(
    set: &SelectionSet,
    doc: &ExecutableDocument,
    inside: bool,
    memo: &mut HashMap<(Name, bool), Option<(usize, usize)>>,
) -> (usize, usize) {
    let mut d = (0usize, 0usize);
    let mut take = |(o, i): (usize, usize)| d = (d.0.max(o), d.1.max(i));
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let now_inside = inside || is_introspection_root(f.node.name.node.as_str());
                let (o, i) = depth_of(&f.node.selection_set.node, doc, now_inside, memo);
                if now_inside {
                    take((o, i.max(o) + 1));
                } else {
                    take((o + 1, if i > 0 { i + 1 } else { 0 }));
                }
            }
            Selection::InlineFragment(f) => {
                take(depth_of(&f.node.selection_set.node, doc, inside, memo))
            }
            Selection::FragmentSpread(f) => {
                let key = (f.node.fragment_name.node.clone(), inside);
                match memo.get(&key) {
                    Some(Some(known)) => take(*known),
                    Some(None) => {}
                    None => {
                        memo.insert(key.clone(), None);
                        let inner = doc
                            .fragments
                            .get(&key.0)
                            .map(|d| depth_of(&d.node.selection_set.node, doc, inside, memo))
                            .unwrap_or_default();
                        memo.insert(key, Some(inner));
                        take(inner);
                    }
                }
            }
        }
    }
    d
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
                let name = f.node.name.node.as_str();
                s.add(Shape {
                    fields: 1,
                    aliases: usize::from(f.node.alias.is_some()),
                    schemas: usize::from(name == "__schema"),
                    types: usize::from(name == "__type"),
                });
                s.add(count(&f.node.selection_set.node, doc, memo));
            }
            Selection::InlineFragment(f) => s.add(count(&f.node.selection_set.node, doc, memo)),
            Selection::FragmentSpread(f) => {
                // A spread is a selection too: a chain of spreads of an unknown fragment selects
                // no field, yet has to be walked.
                s.add(Shape {
                    fields: 1,
                    ..Shape::default()
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
    max_depth: usize,
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
    if s.schemas > MAX_SCHEMAS || s.types > MAX_TYPES {
        return Err(AppError::bad_input(
            "query",
            format!(
                "Yêu cầu hỏi lược đồ {} lần (__schema) và {} kiểu (__type); tối đa {MAX_SCHEMAS} và {MAX_TYPES}. Lược đồ đầy đủ có trong schema.graphql.",
                s.schemas, s.types
            ),
            format!(
                "The request asks for the schema {} times (__schema) and {} types (__type); the limits are {MAX_SCHEMAS} and {MAX_TYPES}. The full schema is in schema.graphql.",
                s.schemas, s.types
            ),
        ));
    }
    let (ordinary, introspection) = depths(doc);
    if ordinary > max_depth || introspection > INTROSPECTION_DEPTH {
        let (d, limit) = if ordinary > max_depth {
            (ordinary, max_depth)
        } else {
            (introspection, INTROSPECTION_DEPTH)
        };
        return Err(AppError::bad_input(
            "query",
            format!(
                "Yêu cầu lồng {d} cấp trường, tối đa {limit}. Hãy lấy phần sâu hơn bằng một yêu cầu riêng."
            ),
            format!(
                "The request nests fields {d} deep; the limit is {limit}. Fetch the deeper part in a request of its own."
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

    fn depths_of(q: &str) -> (usize, usize) {
        depths(&async_graphql::parser::parse_query(q).unwrap())
    }

    #[test]
    fn introspection_has_a_depth_of_its_own() {
        assert_eq!(depths_of("{ me { role } }"), (2, 0));
        assert_eq!(depths_of("{ __typename me { role } }"), (2, 0));
        // The standard query reaches 15 under __schema; ordinary selections stay shallow.
        let type_ref = (0..9).fold("kind name".to_string(), |inner, _| {
            format!("kind name ofType {{ {inner} }}")
        });
        let q = format!(
            "query {{ me {{ id }} __schema {{ types {{ ...F }} }} }} fragment F on __Type {{ fields {{ args {{ type {{ ...T }} }} }} }} fragment T on __Type {{ {type_ref} }}"
        );
        assert_eq!(depths_of(&q), (2, 15));
        let deeper = q.replace(
            "kind name ofType { kind name }",
            "kind name ofType { kind name ofType { name } }",
        );
        assert_eq!(depths_of(&deeper).1, 16);
        let doc = async_graphql::parser::parse_query(&q).unwrap();
        assert!(check(&doc, 1000, 50, 12).is_ok());
        let doc = async_graphql::parser::parse_query(&deeper).unwrap();
        assert!(check(&doc, 1000, 50, 12).is_err());
        // Ten schemas in one request are refused, however they are spelled.
        let many = (0..10)
            .map(|i| format!("s{i}: __schema {{ types {{ name }} }}"))
            .collect::<Vec<_>>()
            .join(" ");
        let doc = async_graphql::parser::parse_query(format!("{{ {many} }}")).unwrap();
        assert!(check(&doc, 1000, 50, 12).is_err());
        let spread = "{ ...A ...A } fragment A on Query { __schema { types { name } } }";
        let doc = async_graphql::parser::parse_query(spread).unwrap();
        assert!(check(&doc, 1000, 50, 12).is_err());
        // An ordinary selection 13 deep is refused at the configured 12.
        let deep = format!("{{ {}id{} }}", "a { ".repeat(12), " }".repeat(12));
        let doc = async_graphql::parser::parse_query(&deep).unwrap();
        assert_eq!(depths(&doc).0, 13);
        assert!(check(&doc, 1000, 50, 12).is_err());
    }

    #[test]
    fn counts_fields_and_aliases_through_fragments() {
        assert_eq!(
            shape_of("{ a: me { id } b: me { id } }"),
            Shape {
                fields: 4,
                aliases: 2,
                ..Shape::default()
            }
        );
        let nested = "query { ...A ...A } fragment A on Query { x: me { ...B } y: me { ...B } } fragment B on Viewer { id role }";
        // A = 2 aliased fields, each with B (2 fields): 6 fields, 2 aliases; spread twice.
        // Fields 12, and 2 spreads of A + 2 × (2 spreads of B) = 6 spreads.
        assert_eq!(
            shape_of(nested),
            Shape {
                fields: 18,
                aliases: 4,
                ..Shape::default()
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
