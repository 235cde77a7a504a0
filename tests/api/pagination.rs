//! Relay pagination edges: `first: 0`, walking every page, past the end, forged cursors.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{TestApp, error_code, error_field};

const PAGE: &str = "query($f: Int, $a: String) { units(filter: {block: DEPARTMENT}, first: $f, after: $a) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { cursor node { code } } } }";

#[tokio::test]
async fn first_zero_gives_the_count_and_no_edges() {
    let app = TestApp::spawn().await;
    let b = app.gql(None, PAGE, json!({ "f": 0 })).await;
    let u = &b["data"]["units"];
    assert_eq!(u["totalCount"], 27, "{b}");
    assert_eq!(u["edges"].as_array().unwrap().len(), 0);
    assert_eq!(u["pageInfo"]["hasNextPage"], true);
    assert_eq!(u["pageInfo"]["hasPreviousPage"], false);
}

#[tokio::test]
async fn walking_the_pages_visits_every_unit_once() {
    let app = TestApp::spawn().await;
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let b = app.gql(None, PAGE, json!({ "f": 10, "a": after })).await;
        let u = &b["data"]["units"];
        for e in u["edges"].as_array().unwrap() {
            assert!(
                seen.insert(e["node"]["code"].as_str().unwrap().to_string()),
                "duplicate {e}"
            );
        }
        pages += 1;
        assert_eq!(u["pageInfo"]["hasPreviousPage"], pages > 1);
        if u["pageInfo"]["hasNextPage"] == false {
            after = u["pageInfo"]["endCursor"].as_str().map(str::to_string);
            break;
        }
        after = Some(u["pageInfo"]["endCursor"].as_str().unwrap().to_string());
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 27);
    assert!(seen.contains("STP") && seen.contains("ITPC"));

    // Past the end: an empty page, not an error.
    let b = app.gql(None, PAGE, json!({ "f": 10, "a": after })).await;
    assert_eq!(
        b["data"]["units"]["edges"].as_array().unwrap().len(),
        0,
        "{b}"
    );
    assert_eq!(b["data"]["units"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(b["data"]["units"]["totalCount"], 27);
}

#[tokio::test]
async fn forged_cursors_and_bad_sizes_are_bad_input() {
    let app = TestApp::spawn().await;
    for cursor in ["bm90LWEtY3Vyc29y", "!!", "Z3kxOi01", ""] {
        let b = app.gql(None, PAGE, json!({ "f": 5, "a": cursor })).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{cursor}: {b}");
        assert_eq!(error_field(&b), "after");
    }
    for first in [-1, 101] {
        let b = app.gql(None, PAGE, json!({ "f": first })).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{first}: {b}");
        assert_eq!(error_field(&b), "first");
    }
    let b = app.gql(None, PAGE, json!({ "f": 100 })).await;
    assert_eq!(b["data"]["units"]["edges"].as_array().unwrap().len(), 27);
}
