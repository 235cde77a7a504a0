//! Relay pagination edges: `first: 0`, walking every page, past the end, forged cursors.

use std::collections::HashSet;

use serde_json::json;

use portal::auth::Role;

use crate::helpers::{TestApp, error_code, error_field};

const PAGE: &str = "query($f: Int, $a: String) { units(filter: {block: DEPARTMENT, includeEnded: true}, first: $f, after: $a) {
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

const COMPLAINTS: &str = "query($u: ID, $f: Int, $a: String, $o: ComplaintOrder) {
    complaints(filter: {assignedUnit: $u}, orderBy: $o, first: $f, after: $a) {
        pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { code } } } }";

/// Inserts a complaint received at `at` straight into the database (several may share one
/// instant, which only the id then orders).
async fn insert_at(app: &TestApp, unit: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let code = portal::complaints::code::generate();
    let mut m =
        portal::complaints::received(uuid::Uuid::new_v4().to_string(), code.clone(), unit, at);
    m.title = "Chậm trả kết quả".into();
    m.body = "Thử phân trang.".into();
    m.contact_name = "Lê Thị C".into();
    m.search_text = "cham tra ket qua".into();
    m.into_active_model().insert(&app.state.db).await.unwrap();
    code
}

/// Walks a unit's complaints page by page in the given order; `between` runs after the first
/// page. Returns the codes in the order seen.
async fn walk<F, Fut>(
    app: &TestApp,
    token: &str,
    unit: &str,
    order: &str,
    between: F,
) -> Vec<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut between = Some(between);
    let mut seen = vec![];
    let mut after: Option<String> = None;
    loop {
        let b = app
            .ok(
                Some(token),
                COMPLAINTS,
                json!({ "u": unit, "f": 3, "a": after, "o": order }),
            )
            .await;
        let c = &b["complaints"];
        assert_eq!(c["pageInfo"]["hasPreviousPage"], after.is_some(), "{b}");
        for e in c["edges"].as_array().unwrap() {
            seen.push(e["node"]["code"].as_str().unwrap().to_string());
        }
        if let Some(f) = between.take() {
            f().await;
        }
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(c["pageInfo"]["endCursor"].as_str().unwrap().to_string());
        assert!(seen.len() < 500, "the walk does not end");
    }
    seen
}

#[tokio::test]
async fn pages_stay_correct_while_complaints_arrive_between_two_requests() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let unit = app.unit_id("STP").await;
    // Ties: four complaints received at one instant, three an hour before.
    let t0 = portal::clock::now() - chrono::Duration::days(1);
    let mut before = vec![];
    for _ in 0..4 {
        before.push(insert_at(&app, &unit, t0).await);
    }
    for _ in 0..3 {
        before.push(insert_at(&app, &unit, t0 - chrono::Duration::hours(1)).await);
    }
    let count = "query($u: ID) { complaints(filter: {assignedUnit: $u}, first: 0) { totalCount } }";
    let total = app.ok(Some(&admin), count, json!({ "u": unit })).await["complaints"]["totalCount"]
        .as_u64()
        .unwrap();
    assert!(total >= 7, "{total}");

    // Newest first: complaints filed after the first page (newer than everything, and one
    // more at the very instant of the ties) neither repeat a row nor push one off a page.
    let arrived = std::sync::Mutex::new(vec![]);
    let seen = walk(&app, &admin, &unit, "RECEIVED_AT_DESC", || async {
        for _ in 0..3 {
            let code = insert_at(&app, &unit, portal::clock::now()).await;
            arrived.lock().unwrap().push(code);
        }
        insert_at(&app, &unit, t0).await;
    })
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row repeated: {seen:?}");
    assert!(
        seen.len() as u64 >= total,
        "rows skipped: {} of {total}",
        seen.len()
    );
    for code in &before {
        assert!(seen.contains(code), "{code} missing from {seen:?}");
    }
    // Newer than the first page: not on a later one.
    for code in arrived.lock().unwrap().iter() {
        assert!(!seen[3..].contains(code), "{code} after page one: {seen:?}");
    }
    // The seven inserted rows come out newest first, the ties in one fixed order.
    let pos: Vec<usize> = before
        .iter()
        .map(|c| seen.iter().position(|s| s == c).unwrap())
        .collect();
    assert!(pos[..4].iter().max() < pos[4..].iter().min(), "{pos:?}");

    // Oldest first: what arrives during the walk is met once, at the end.
    let arrived = std::sync::Mutex::new(vec![]);
    let seen = walk(&app, &admin, &unit, "RECEIVED_AT_ASC", || async {
        for _ in 0..2 {
            let code = insert_at(&app, &unit, portal::clock::now()).await;
            arrived.lock().unwrap().push(code);
        }
    })
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row repeated: {seen:?}");
    let arrived = arrived.lock().unwrap().clone();
    assert_eq!(seen[seen.len() - 2..], arrived[..], "{seen:?}");
    for code in &before {
        assert!(seen.contains(code), "{code} missing");
    }

    // A cursor is tied to its sort, and a position cursor is no key.
    let b = app
        .ok(
            Some(&admin),
            COMPLAINTS,
            json!({ "u": unit, "f": 2, "o": "RECEIVED_AT_DESC" }),
        )
        .await;
    let cursor = b["complaints"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    for (o, a) in [
        ("RECEIVED_AT_ASC", cursor.clone()),
        ("ANSWER_DUE_AT_ASC", cursor.clone()),
        ("RECEIVED_AT_DESC", "Z3kxOjQ".to_string()),
    ] {
        let b = app
            .gql(
                Some(&admin),
                COMPLAINTS,
                json!({ "u": unit, "f": 2, "a": a, "o": o }),
            )
            .await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{o}: {b}");
        assert_eq!(error_field(&b), "after");
    }
}

#[tokio::test]
async fn the_total_is_counted_when_selected_through_a_fragment_too() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let unit = app.unit_id("STP").await;
    for _ in 0..3 {
        insert_at(&app, &unit, portal::clock::now()).await;
    }
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let in_db = entity::complaint::Entity::find()
        .filter(entity::complaint::Column::AssignedUnitId.eq(unit.as_str()))
        .count(&app.state.db)
        .await
        .unwrap();
    let q = "query($u: ID) { complaints(filter: {assignedUnit: $u}, first: 1) { ...T edges { node { code } } } }
             fragment T on ComplaintConnection { totalCount }";
    let b = app.ok(Some(&admin), q, json!({ "u": unit })).await;
    assert_eq!(b["complaints"]["totalCount"], in_db, "{b}");
    assert_eq!(b["complaints"]["edges"].as_array().unwrap().len(), 1);
}

/// A cursor carries no right: another unit's official paging with an admin's cursors sees only
/// the complaints of its own unit, and an anonymous caller only published ones.
#[tokio::test]
async fn a_cursor_from_a_wider_view_opens_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let stp = app.unit_id("STP").await;
    let cholon = app.unit_id("P.CHOLON").await;
    let t0 = portal::clock::now() - chrono::Duration::days(2);
    for i in 0..4 {
        insert_at(&app, &stp, t0 - chrono::Duration::minutes(i)).await;
        insert_at(&app, &cholon, t0 - chrono::Duration::minutes(i)).await;
    }
    let q = "query($f: Int, $a: String) { complaints(first: $f, after: $a) {
        pageInfo { endCursor } edges { cursor node { code published assignedUnit { code } } } } }";
    let all = app.ok(Some(&admin), q, json!({ "f": 100 })).await;
    let cursors: Vec<String> = all["complaints"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].as_str().unwrap().to_string())
        .collect();
    assert!(cursors.len() >= 8, "{all}");
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let mut seen = 0;
    for c in &cursors {
        let b = app
            .ok(Some(&official), q, json!({ "f": 100, "a": c }))
            .await;
        for e in b["complaints"]["edges"].as_array().unwrap() {
            assert_eq!(e["node"]["assignedUnit"]["code"], "P.CHOLON", "{e}");
            seen += 1;
        }
        let b = app.ok(None, q, json!({ "f": 100, "a": c })).await;
        for e in b["complaints"]["edges"].as_array().unwrap() {
            assert_eq!(e["node"]["published"], true, "{e}");
        }
    }
    assert!(seen > 0, "the official's own complaints are still reached");
}
