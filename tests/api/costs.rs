//! Reads cost what they run: the complexity of a request counts what will actually run (a
//! dossier list's counts, the rows of each criterion, introspection), and the introspection
//! query that GraphiQL, Apollo Sandbox and graphql-codegen send passes.

use serde_json::json;

use crate::helpers::{TestApp, error_code};

/// graphql-js `getIntrospectionQuery()` with its defaults (descriptions, nine `ofType`).
fn standard_introspection_query() -> String {
    let type_ref = (0..9).fold("kind\nname".to_string(), |inner, _| {
        format!("kind\nname\nofType {{\n{inner}\n}}")
    });
    format!(
        r#"
    query IntrospectionQuery {{
      __schema {{
        queryType {{ name }}
        mutationType {{ name }}
        subscriptionType {{ name }}
        types {{ ...FullType }}
        directives {{ name description locations args {{ ...InputValue }} }}
      }}
    }}
    fragment FullType on __Type {{
      kind name description
      fields(includeDeprecated: true) {{
        name description args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated deprecationReason
      }}
      inputFields {{ ...InputValue }}
      interfaces {{ ...TypeRef }}
      enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
      possibleTypes {{ ...TypeRef }}
    }}
    fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }}
    fragment TypeRef on __Type {{
      {type_ref}
    }}
"#
    )
}

#[tokio::test]
async fn graphiqls_schema_request_passes_and_deeper_or_repeated_introspection_does_not() {
    let app = TestApp::spawn().await;
    let q = standard_introspection_query();
    let b = app.ok(None, &q, json!({})).await;
    let types = b["__schema"]["types"].as_array().unwrap();
    assert!(
        types.iter().any(|t| t["name"] == "ParReview"),
        "the schema lists its types"
    );
    assert_eq!(b["__schema"]["queryType"]["name"], "Query");
    // With every option GraphiQL may turn on (input value deprecation, the schema's
    // description, specifiedByURL, repeatable directives).
    let all = q
        .replace("__schema {\n        queryType", "__schema {\n        description\n        queryType")
        .replace("directives { name description locations args { ...InputValue } }", "directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }")
        .replace("kind name description\n", "kind name description specifiedByURL\n")
        .replace("args { ...InputValue } type", "args(includeDeprecated: true) { ...InputValue } type")
        .replace("inputFields { ...InputValue }", "inputFields(includeDeprecated: true) { ...InputValue }")
        .replace("type { ...TypeRef } defaultValue }", "type { ...TypeRef } defaultValue isDeprecated deprecationReason }");
    assert!(
        all.contains("isRepeatable") && all.contains("defaultValue isDeprecated"),
        "{all}"
    );
    let b = app.ok(None, &all, json!({})).await;
    assert!(
        b["__schema"]["types"].as_array().unwrap().len() > 100,
        "{b}"
    );
    // One level more than the standard query, built by hand, is refused.
    let deeper = q.replace("kind\nname\n}", "kind\nname\nofType { name }\n}");
    assert_ne!(deeper, q);
    let b = app.gql(None, &deeper, json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("15"),
        "{b}"
    );
    // Ten copies of the schema in one small request are refused before anything runs.
    let many: String = (0..10)
        .map(|i| format!("s{i}: __schema {{ types {{ fields {{ type {{ name }} }} }} }} "))
        .collect();
    let b = app.gql(None, &format!("{{ {many} }}"), json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("__schema"),
        "{b}"
    );
    // Ordinary selections keep the configured depth of 12: twelve pass, thirteen do not.
    let at = |parents: usize| {
        format!(
            "{{ dialogues(first: 1) {{ edges {{ node {{ issues {{ complaint {{ duplicateOf {{ dossier {{ unit {{ {}id{} }} }} }} }} }} }} }} }} }}",
            "parent { ".repeat(parents),
            " }".repeat(parents)
        )
    };
    let b = app.gql(None, &at(3), json!({})).await;
    assert!(b.get("errors").is_none(), "{b}");
    let b = app.gql(None, &at(4), json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("12"),
        "{b}"
    );
}

#[tokio::test]
async fn a_dossier_lists_counts_weigh_like_a_search_whatever_its_first() {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let one = app
        .ok(
            Some(&evaluator),
            "{ dossiers(first: 0) { totalCount stats { total late } } }",
            json!({}),
        )
        .await;
    assert!(
        one["dossiers"]["totalCount"].as_u64().unwrap() > 100,
        "{one}"
    );
    assert_eq!(
        one["dossiers"]["stats"]["total"],
        one["dossiers"]["totalCount"]
    );
    // Twenty counts of every dossier in one request are twenty scans: refused.
    let many: String = (0..20)
        .map(|i| format!("d{i}: dossiers(first: 0) {{ stats {{ total }} }} "))
        .collect();
    let b = app
        .gql(Some(&evaluator), &format!("{{ {many} }}"), json!({}))
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
}
