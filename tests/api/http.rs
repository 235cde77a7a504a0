//! GraphQL over HTTP, health checks, and the schema file.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn committed_schema_equals_served_schema() {
    let app = TestApp::spawn().await;
    let served = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed");
    assert!(
        served == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
    assert!(served.contains("type Query"));
    assert!(served.contains("units("));
}

#[tokio::test]
async fn get_executes_queries_but_never_mutations() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "{ units(filter: {block: VERTICAL_AGENCY}) { totalCount } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"]["units"]["totalCount"], 7);

    let m =
        "mutation { login(input: {login: \"admin\", password: \"gopy-admin-demo\"}) { token } }";
    let r = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", m)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let b: Value = r.json().await.unwrap();
    assert!(b.get("data").is_none(), "{b}");
    assert!(b["errors"][0]["message"].as_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn graphiql_is_served_to_a_browser() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(
        html.to_lowercase().contains("graphiql"),
        "{}",
        &html[..200.min(html.len())]
    );
}

#[tokio::test]
async fn status_codes_follow_graphql_over_http() {
    let app = TestApp::spawn().await;
    // Unparsable JSON: 400 in both media types.
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // A document that does not validate: 400 with graphql-response+json, 200 with json.
    let bad = json!({ "query": "{ noSuchField }" });
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()["content-type"],
        "application/graphql-response+json"
    );
    let b: Value = r.json().await.unwrap();
    assert!(b.get("data").is_none(), "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("noSuchField")
    );

    let r = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");

    // A valid request in the new media type is 200.
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ units(first: 1) { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    // The 55 units of 2022 and the 13 the 2025 reorganisation created.
    assert_eq!(b["data"]["units"]["totalCount"], 68);

    // Wrong content type: 415.
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ units { totalCount } }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn request_body_and_query_depth_are_limited() {
    let app = TestApp::spawn().await;
    let huge = format!(
        "{{ units(filter: {{search: \"{}\"}}) {{ totalCount }} }}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let deep = "{ units { edges { node { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } } }";
    let b = app.gql(None, deep, json!({})).await;
    assert!(b.get("data").is_none(), "{b}");
    let msg = b["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("nested too deep"), "{msg}");
    assert_eq!(b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
