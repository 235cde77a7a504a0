//! Limits on the shape of one GraphQL document, checked right after parsing and before any
//! validation or execution: how many fields it selects and how many of them are aliased, both
//! counted through fragments as they would run. Complexity (what the fields cost, a list by its
//! `first`, a search much more than a field) and depth are checked by async-graphql itself with
//! the costs declared on the fields; this catches the cheap-looking document that repeats one
//! field thousands of times under different aliases.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Pos, ServerError, ServerResult, Variables};

use crate::error::{AppError, Lang};

/// The extension, with the limits of the configuration.
pub struct QueryLimits {
    pub max_fields: usize,
    pub max_aliases: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExt {
            max_fields: self.max_fields,
            max_aliases: self.max_aliases,
        })
    }
}

struct QueryLimitsExt {
    max_fields: usize,
    max_aliases: usize,
}

/// Fields and aliased fields of a selection, as it would run.
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

#[async_trait::async_trait]
impl Extension for QueryLimitsExt {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let s = shape(&doc);
        let refuse = |e: AppError| -> ServerError {
            e.to_graphql(Lang::current())
                .into_server_error(Pos::default())
        };
        if s.aliases > self.max_aliases {
            return Err(refuse(AppError::bad_input(
                "query",
                format!(
                    "Yêu cầu có {} trường đặt bí danh (alias), tối đa {} (PORTAL_MAX_ALIASES). Hãy chia thành nhiều yêu cầu.",
                    s.aliases, self.max_aliases
                ),
                format!(
                    "The request has {} aliased fields; the limit is {} (PORTAL_MAX_ALIASES). Split it into several requests.",
                    s.aliases, self.max_aliases
                ),
            )));
        }
        if s.fields > self.max_fields {
            return Err(refuse(AppError::bad_input(
                "query",
                format!(
                    "Yêu cầu chọn {} trường, tối đa {} (PORTAL_MAX_FIELDS). Hãy chia thành nhiều yêu cầu.",
                    s.fields, self.max_fields
                ),
                format!(
                    "The request selects {} fields; the limit is {} (PORTAL_MAX_FIELDS). Split it into several requests.",
                    s.fields, self.max_fields
                ),
            )));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(q: &str) -> Shape {
        shape(&async_graphql::parser::parse_query(q).unwrap())
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
        assert_eq!(
            shape_of(nested),
            Shape {
                fields: 12,
                aliases: 4
            }
        );
        // A fragment spreading itself is counted once and left to validation.
        let cyclic = "{ ...A } fragment A on Query { me { id } ...A }";
        assert_eq!(shape_of(cyclic).fields, 2);
    }
}
