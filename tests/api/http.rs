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

    let m = "mutation { login(input: {login: \"admin\", password: \"gopy-admin-demo\"}) { accessToken } }";
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
        .json(
            &json!({ "query": "{ units(filter: {includeEnded: true}, first: 1) { totalCount } }" }),
        )
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
        "{{ units(filter: {{query: \"{}\"}}) {{ totalCount }} }}",
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
    assert!(msg.contains("tối đa 12"), "{msg}");
    assert_eq!(b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn answers_are_gzipped_only_when_the_client_asks_and_they_are_large() {
    let app = TestApp::spawn().await;
    let q = json!({ "query": "{ units(first: 100) { edges { node { code name } } } }" });
    let plain = app
        .client
        .post(app.url("/graphql"))
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let plain: Value = plain.json().await.unwrap();
    let n = plain["data"]["units"]["edges"].as_array().unwrap().len();
    assert!(n > 20, "{plain}");

    let r = app
        .client
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip stream");
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    let unzipped: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(unzipped, plain);

    // A small answer is not worth compressing.
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(
        r.json::<Value>().await.unwrap()["data"]["__typename"],
        "Query"
    );
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn automatic_persisted_queries_send_a_hash_for_a_text_sent_before() {
    let app = TestApp::spawn().await;
    let query =
        "query($c: String) { units(filter: {query: $c}, first: 3) { edges { node { code } } } }";
    let hash = sha256_hex(query);
    let post = |body: Value| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/graphql"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    // The hash alone, before the server has the text: the client is told to send both.
    let (status, b) = post(json!({ "extensions": ext, "variables": { "c": "tư pháp" } })).await;
    assert_eq!(status, 200);
    assert_eq!(b["errors"][0]["message"], "PersistedQueryNotFound", "{b}");
    assert_eq!(
        b["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    // Both: answered and remembered.
    let (_, full) =
        post(json!({ "query": query, "extensions": ext, "variables": { "c": "tư pháp" } })).await;
    assert_eq!(
        full["data"]["units"]["edges"][0]["node"]["code"], "STP",
        "{full}"
    );

    // The hash alone now stands for the text, with other variables too.
    let (_, b) = post(json!({ "extensions": ext, "variables": { "c": "tư pháp" } })).await;
    assert_eq!(b, full);
    let (_, b) = post(json!({ "extensions": ext, "variables": { "c": "xây dựng" } })).await;
    assert_eq!(b["data"]["units"]["edges"][0]["node"]["code"], "SXD", "{b}");

    // A hash that is not the text's, or a malformed extension, is refused and remembers nothing.
    let wrong =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ __typename }") } });
    let (status, b) = post(json!({ "query": query, "extensions": wrong })).await;
    assert_eq!(status, 400, "{b}");
    assert_eq!(b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (_, b) = post(json!({ "extensions": wrong })).await;
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{b}"
    );
    let (status, b) = post(json!({ "query": query, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } })).await;
    assert_eq!(status, 400, "{b}");

    // A persisted document is held to the same shape limits as any other: a document over
    // the limits is refused when first sent, so its hash never stands for anything.
    let wide = format!(
        "{{ {} }}",
        (0..3000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let wide_ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(&wide) } });
    let (_, b) = post(json!({ "query": wide, "extensions": wide_ext })).await;
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{b}"
    );
    assert!(b.get("data").is_none_or(|d| d.is_null()), "{b}");
    let (_, b) = post(json!({ "extensions": wide_ext })).await;
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{b}"
    );

    // A document the schema refuses is not remembered either (nor kept parsed).
    let invalid = "query { noSuchField }";
    let invalid_ext =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(invalid) } });
    let (_, b) = post(json!({ "query": invalid, "extensions": invalid_ext })).await;
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{b}"
    );
    let (_, b) = post(json!({ "extensions": invalid_ext })).await;
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{b}"
    );

    // GET runs no mutation, whether its text comes in the URL or stands behind a hash: a
    // document holding a query and a mutation, persisted through its query by POST, is refused
    // over GET when the mutation is named.
    let unit = app.unit_id("SDL").await;
    let both = format!(
        "query Q {{ __typename }} mutation M {{ fileComplaint(input: {{unit: \"{unit}\", kind: FEEDBACK, category: GUIDANCE, title: \"Gửi bằng GET\", body: \"Thử.\", contact: {{name: \"Lê Thị C\", phone: \"0903123456\"}}}}) {{ code }} }}"
    );
    let both_ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(&both) } });
    let (_, b) = post(json!({ "query": both, "operationName": "Q", "extensions": both_ext })).await;
    assert_eq!(b["data"]["__typename"], "Query", "{b}");
    let r = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", ""),
            // The GET parameters' spelling of async-graphql.
            ("operation_name", "M"),
            ("extensions", &both_ext.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let admin = app.admin().await;
    let n = app
        .ok(
            Some(&admin),
            "query($u: ID) { complaints(filter: {assignedUnit: $u}, first: 0) { totalCount } }",
            json!({ "u": unit }),
        )
        .await;
    assert_eq!(n["complaints"]["totalCount"], 0, "nothing was filed: {n}");
}

// ---------------------------------------------------------------- GET, persisted queries, caching

static NPM: std::sync::Once = std::sync::Once::new();

/// Apollo Client and graphql from npm, installed once into `tests/support/apq` (pinned by its
/// lock file; `.ci/run` installs them beforehand).
fn ensure_apollo_client() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/apq");
    NPM.call_once(|| {
        if dir.join("node_modules/@apollo/client").exists() {
            return;
        }
        let ok = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "npm ci in tests/support/apq failed (npm and its registry are needed)"
        );
    });
    dir
}

#[tokio::test]
async fn apollo_client_sends_hashed_queries_by_get_and_falls_back_to_the_text() {
    let dir = ensure_apollo_client();
    let app = TestApp::spawn().await;
    let (script, url) = (dir.join("client.cjs"), app.url("/graphql"));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(url)
            .output()
            .expect("node")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ex = run["exchanges"].as_array().unwrap();
    // The first client: the hash alone by GET, told the server lacks it, then the text.
    assert_eq!(ex.len(), 3, "{run:#}");
    assert_eq!(ex[0]["method"], "GET");
    assert_eq!(ex[0]["params"]["operationName"], "PublicUnits");
    assert!(ex[0]["params"].get("query").is_none(), "{run:#}");
    assert_eq!(ex[0]["status"], 200);
    assert_eq!(
        ex[0]["body"]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{run:#}"
    );
    assert_eq!(ex[0]["cacheControl"], "private, no-store");
    assert!(
        ex[1]["requestBody"]["query"]
            .as_str()
            .unwrap()
            .contains("PublicUnits")
    );
    assert_eq!(ex[1]["status"], 200);
    // The second client: one GET by hash, answered and cacheable.
    assert_eq!(ex[2]["method"], "GET");
    assert!(ex[2]["params"].get("query").is_none(), "{run:#}");
    assert_eq!(ex[2]["status"], 200);
    assert_eq!(ex[2]["cacheControl"], "public, max-age=60");
    assert!(
        ex[2]["etag"].as_str().is_some_and(|e| e.len() > 8),
        "{run:#}"
    );
    assert!(ex[2]["vary"].as_str().unwrap().contains("Authorization"));
    // Both clients got the same three units.
    let nodes = run["results"][0]["units"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "{run:#}");
    assert!(
        nodes
            .iter()
            .all(|n| n["code"].is_string() && n["name"].is_string())
    );
    assert_eq!(run["results"][0], run["results"][1]);
    assert_eq!(ex[2]["body"]["data"], run["results"][1]);
}

#[tokio::test]
async fn public_get_answers_are_cacheable_and_personal_ones_never() {
    let app = TestApp::spawn().await;
    let get = |params: Vec<(&'static str, String)>, token: Option<String>, etag: Option<String>| {
        let app = &app;
        async move {
            let mut r = app.client.get(app.url("/graphql")).query(&params);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(e) = etag {
                r = r.header("If-None-Match", e);
            }
            let r = r.send().await.unwrap();
            let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
            let (cc, etag) = (h("cache-control"), h("etag"));
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            (status, cc, etag, body)
        }
    };
    let units = "{ units(first: 2) { nodes { code } } }".to_string();

    // Anonymous and public: cacheable for a minute, with an entity tag that answers 304.
    let (status, cc, etag, body) = get(vec![("query", units.clone())], None, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cc.as_deref(), Some("public, max-age=60"));
    let etag = etag.expect("an ETag");
    let data: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(data["data"]["units"]["nodes"].as_array().unwrap().len(), 2);
    let (status, cc, again, body) =
        get(vec![("query", units.clone())], None, Some(etag.clone())).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(again.as_deref(), Some(etag.as_str()));
    assert_eq!(cc.as_deref(), Some("public, max-age=60"));
    let (status, _, _, body) = get(
        vec![("query", units.clone())],
        None,
        Some("\"something-else\"".into()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), data);

    // The same query with a token: private, never tagged, never 304.
    let token = app.login("q5.canbo", "gopy-official-demo").await;
    let (status, cc, tag, _) = get(
        vec![("query", units.clone())],
        Some(token.clone()),
        Some(etag.clone()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cc.as_deref(), Some("private, no-store"));
    assert!(tag.is_none());

    // A filer's view by tracking code, and the viewer, are personal even without a token.
    for q in [
        "{ complaintByCode(code: \"GY-0000-0000\") { id } }",
        "{ me { role } }",
        "{ units(first: 1) { nodes { code } } me { role } }",
    ] {
        let (status, cc, tag, body) = get(vec![("query", q.to_string())], None, None).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(cc.as_deref(), Some("private, no-store"), "{q}");
        assert!(tag.is_none(), "{q}");
    }

    // `operationName` picks the operation, as the GraphQL-over-HTTP spec names it.
    let two = "query Pub { units(first: 1) { nodes { code } } } query Mine { me { role } }";
    let (status, cc, _, body) = get(
        vec![("query", two.into()), ("operationName", "Pub".into())],
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"units\""), "{body}");
    assert_eq!(cc.as_deref(), Some("public, max-age=60"));
    let (_, cc, _, body) = get(
        vec![("query", two.into()), ("operationName", "Mine".into())],
        None,
        None,
    )
    .await;
    assert!(body.contains("\"me\""), "{body}");
    assert_eq!(cc.as_deref(), Some("private, no-store"));

    // An answer with errors is not kept, and POST answers never are.
    let (_, cc, tag, body) = get(
        vec![(
            "query",
            "{ unit(id: \"no-such\") { code } procedures(first: -1) { totalCount } }".into(),
        )],
        None,
        None,
    )
    .await;
    assert!(body.contains("errors"), "{body}");
    assert_eq!(cc.as_deref(), Some("private, no-store"));
    assert!(tag.is_none());
    let r = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": units }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("cache-control").unwrap().to_str().unwrap(),
        "private, no-store"
    );
    assert!(r.headers().get("etag").is_none());

    // Variables and extensions come as JSON; broken JSON is a clear error.
    let (status, _, _, body) = get(
        vec![
            (
                "query",
                "query($n: Int) { units(first: $n) { nodes { code } } }".into(),
            ),
            ("variables", "{\"n\": 1}".into()),
        ],
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"]["units"]["nodes"].as_array().unwrap().len(),
        1,
        "{v}"
    );
    let (status, _, _, body) = get(
        vec![("query", units.clone()), ("variables", "{n: 1".into())],
        None,
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("variables"), "{body}");
}
