//! The naming rules of docs/api.md that a machine can check, on the schema the server serves
//! (the one `portal schema` prints). A field that breaks one fails here, naming itself.

use async_graphql::parser::types::{
    BaseType, InputValueDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};

/// The type name under lists and non-nulls.
fn named(t: &Type) -> String {
    match &t.base {
        BaseType::Named(n) => n.to_string(),
        BaseType::List(inner) => named(inner),
    }
}

fn is_list(t: &Type) -> bool {
    matches!(t.base, BaseType::List(_))
}

struct Schema {
    types: Vec<TypeDefinition>,
}

impl Schema {
    fn load() -> Schema {
        let sdl = portal::graphql::sdl();
        let doc = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
        let types = doc
            .definitions
            .into_iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(t) => Some(t.node),
                _ => None,
            })
            .collect();
        Schema { types }
    }

    fn kind_of(&self, name: &str) -> Option<&TypeKind> {
        self.types
            .iter()
            .find(|t| t.name.node == name)
            .map(|t| &t.kind)
    }

    fn is_enum(&self, name: &str) -> bool {
        matches!(self.kind_of(name), Some(TypeKind::Enum(_)))
    }

    /// Every (owner, name, type) of object fields, input fields and arguments.
    fn values(&self) -> Vec<(String, String, Type)> {
        let mut out = vec![];
        let arg = |owner: &str, a: &InputValueDefinition, out: &mut Vec<(String, String, Type)>| {
            out.push((
                owner.to_string(),
                a.name.node.to_string(),
                a.ty.node.clone(),
            ));
        };
        for t in &self.types {
            let tn = t.name.node.to_string();
            match &t.kind {
                TypeKind::Object(o) => {
                    for f in &o.fields {
                        let f = &f.node;
                        let owner = format!("{tn}.{}", f.name.node);
                        out.push((tn.clone(), f.name.node.to_string(), f.ty.node.clone()));
                        for a in &f.arguments {
                            arg(&owner, &a.node, &mut out);
                        }
                    }
                }
                TypeKind::InputObject(i) => {
                    for f in &i.fields {
                        arg(&tn, &f.node, &mut out);
                    }
                }
                _ => {}
            }
        }
        out
    }
}

#[test]
fn the_schema_follows_the_naming_rules() {
    let s = Schema::load();
    let mut broken: Vec<String> = vec![];
    for (owner, name, ty) in s.values() {
        let t = named(&ty);
        let at = format!("{owner}.{name}: {t}");
        if owner.starts_with("__") {
            continue;
        }
        // One word for each thing: text search is `query`, order is `orderBy`.
        if name == "search" || name == "sort" {
            broken.push(format!(
                "{at}: text search is `filter.query`, order `orderBy`"
            ));
        }
        if name == "orderBy" && !(t.ends_with("Order") && s.is_enum(&t)) {
            broken.push(format!("{at}: `orderBy` takes an enum named `…Order`"));
        }
        if name == "filter" && !t.ends_with("Filter") {
            broken.push(format!("{at}: a filter's type is named `…Filter`"));
        }
        // Moments are `…At: DateTime`, days `…On: Date`; no Rust names leak.
        if name.ends_with("At") && name.len() > 2 && t != "DateTime" {
            broken.push(format!("{at}: a `…At` is a DateTime"));
        }
        if name.ends_with("On") && name.len() > 2 && t != "Date" {
            broken.push(format!("{at}: a `…On` is a Date"));
        }
        if t == "NaiveDate" || t.starts_with("Naive") {
            broken.push(format!("{at}: days are `Date`"));
        }
        // What a caller may do is an enum list.
        if name == "allowedActions" && !(is_list(&ty) && s.is_enum(&t) && t.ends_with("Action")) {
            broken.push(format!(
                "{at}: `allowedActions` is a list of a `…Action` enum"
            ));
        }
        // Statuses and roles are enums.
        if (name == "status"
            || name.ends_with("Status")
            || name.ends_with("Role")
            || name == "role")
            && !s.is_enum(&t)
        {
            broken.push(format!("{at}: a status or role is an enum"));
        }
    }
    // A range's bounds are of one type in each input.
    for t in &s.types {
        if let TypeKind::InputObject(i) = &t.kind {
            let of = |n: &str| {
                i.fields
                    .iter()
                    .find(|f| f.node.name.node == n)
                    .map(|f| named(&f.node.ty.node))
            };
            if let (Some(a), Some(b)) = (of("from"), of("to"))
                && a != b
            {
                broken.push(format!("{}: from is {a}, to is {b}", t.name.node));
            }
        }
    }
    // Actions take objects by id, never by a code.
    if let Some(TypeKind::Object(m)) = s.kind_of("Mutation") {
        for f in &m.fields {
            for a in &f.node.arguments {
                if a.node.name.node == "code" {
                    broken.push(format!(
                        "Mutation.{}(code:): actions take `id`",
                        f.node.name.node
                    ));
                }
            }
        }
    }
    // Every top-level list pages the same way.
    if let Some(TypeKind::Object(q)) = s.kind_of("Query") {
        for f in &q.fields {
            let args: Vec<String> = f
                .node
                .arguments
                .iter()
                .map(|a| a.node.name.node.to_string())
                .collect();
            if args.contains(&"first".to_string()) && !args.contains(&"after".to_string()) {
                broken.push(format!(
                    "Query.{}: `first` goes with `after`",
                    f.node.name.node
                ));
            }
        }
    }
    // No input type is named `…Input` for a filter, nor an output type `…Payload`-less mix.
    for t in &s.types {
        let n = t.name.node.as_str();
        if n.ends_with("FilterInput") {
            broken.push(format!("{n}: filters are named `…Filter`"));
        }
    }
    assert!(
        broken.is_empty(),
        "docs/api.md's naming rules are broken:\n{}",
        broken.join("\n")
    );
}
