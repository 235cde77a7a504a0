//! Errors name the field by its whole path in the request's arguments (docs/api.md): a
//! service that refuses `taxCode` is answered as `input.business.taxCode`, so that a form can
//! put the message under the right box. The services name the field they check; this
//! extension, around each top-level field, finds that name in the arguments the request gave
//! and writes its path, when the name occurs there exactly once.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Value, Variables};

pub struct FieldPaths;

impl ExtensionFactory for FieldPaths {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Request(Mutex::new(Variables::default())))
    }
}

struct Request(Mutex<Variables>);

#[async_trait::async_trait]
impl Extension for Request {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Ok(mut v) = self.0.lock() {
            *v = variables.clone();
        }
        next.run(ctx, query, variables).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let top = info.path_node.parent.is_none();
        let field = info.field;
        let r = next.run(ctx, info).await;
        if !top {
            return r;
        }
        r.map_err(|mut e| {
            let Some(ext) = e.extensions.as_mut() else {
                return e;
            };
            let named = match ext.get("field") {
                Some(Value::String(f)) => f.clone(),
                _ => return e,
            };
            // The first name of the path the service gave (`scores` of `scores[2].score`).
            let cut = named.find(['.', '[']).unwrap_or(named.len());
            let (head, rest) = named.split_at(cut);
            let vars = self.0.lock().map(|v| v.clone()).unwrap_or_default();
            let mut found = vec![];
            // The arguments that are input objects: a name the request left out belongs to
            // the one there is.
            let mut objects = vec![];
            for (name, value) in &field.arguments {
                let v = value
                    .node
                    .clone()
                    .into_const_with(|n| {
                        Ok::<_, std::convert::Infallible>(vars.get(&n).cloned().unwrap_or_default())
                    })
                    .unwrap_or_default();
                if name.node.as_str() == head {
                    // Already a path from a top-level argument.
                    return e;
                }
                if matches!(v, Value::Object(_)) {
                    objects.push(name.node.to_string());
                }
                paths(&v, name.node.as_str(), head, &mut found);
            }
            match (found.as_slice(), objects.as_slice()) {
                ([one], _) => ext.set("field", format!("{one}{rest}")),
                ([], [input]) => ext.set("field", format!("{input}.{named}")),
                _ => {}
            }
            e
        })
    }
}

/// The paths under `at` whose last key is `name`.
fn paths(v: &Value, at: &str, name: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}.{k}");
                if k.as_str() == name {
                    out.push(p.clone());
                }
                paths(x, &p, name, out);
            }
        }
        Value::List(l) => {
            for (i, x) in l.iter().enumerate() {
                paths(x, &format!("{at}[{i}]"), name, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_found_once_under_its_path() {
        let v = Value::from_json(serde_json::json!({
            "name": "A", "business": { "taxCode": "x", "name": "B" },
            "scores": [{ "criterion": "1.1" }, { "criterion": "1.2" }]
        }))
        .unwrap();
        let mut out = vec![];
        paths(&v, "input", "taxCode", &mut out);
        assert_eq!(out, ["input.business.taxCode"]);
        let mut out = vec![];
        paths(&v, "input", "name", &mut out);
        assert_eq!(out.len(), 2, "ambiguous: left as the service named it");
        let mut out = vec![];
        paths(&v, "input", "criterion", &mut out);
        assert_eq!(
            out,
            ["input.scores[0].criterion", "input.scores[1].criterion"]
        );
    }
}
