//! Several servers on one PostgreSQL database (and one Meilisearch when `MEILI_URL` is set)
//! act as one portal: a limit reached through one holds on the other, a holiday added on one
//! moves deadlines on the other at once, and a complaint filed through one is found through
//! the other. On SQLite there is one server per database, so the test returns at once.

use serde_json::json;

use crate::helpers::{MeiliCleanup, TestApp, TestDb, error_code, test_config};

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }";

#[tokio::test]
async fn two_servers_on_one_database_act_as_one_portal() {
    let db = TestDb::new().await;
    if db.url.starts_with("sqlite:") {
        return;
    }
    let meili = std::env::var("MEILI_URL").ok().filter(|u| !u.is_empty());
    let key = std::env::var("MEILI_KEY").ok();
    let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
    let configure = |db: &TestDb| {
        let mut c = test_config(db);
        c.anonymous_submissions_per_hour = 3;
        if let Some(u) = &meili {
            c.meili_url = Some(u.clone());
            c.meili_key = key.clone();
            c.meili_prefix = prefix.clone();
        }
        c
    };
    let mut a = TestApp::spawn_with(configure(&db), db, true).await;
    if let Some(url) = &meili {
        a.meili = Some(MeiliCleanup {
            url: url.clone(),
            key: key.clone(),
            prefix: prefix.clone(),
        });
    }
    let beside = a.db.beside();
    let b = TestApp::spawn_with(configure(&beside), beside, false).await;

    // A limit reached through one server holds on the other: three anonymous complaints an
    // hour from one address, whichever server takes them.
    let unit = a.unit_id("SDL").await;
    let input = |i: usize| {
        json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                       "title": format!("Hướng dẫn viên du lịch chờ thẻ lần {i}"),
                       "body": "Hồ sơ cấp thẻ hướng dẫn viên quá hạn mà chưa có kết quả.",
                       "contact": { "name": "Lê Thị C", "phone": "0903 123 456" } } })
    };
    let mut codes = vec![];
    for (i, server) in [&a, &b, &a].into_iter().enumerate() {
        let d = server.ok(None, FILE, input(i)).await;
        codes.push(d["fileComplaint"]["code"].as_str().unwrap().to_string());
    }
    for server in [&b, &a] {
        let r = server.gql(None, FILE, input(9)).await;
        assert_eq!(error_code(&r), "RATE_LIMITED", "{r}");
    }

    // A holiday added on one server moves a deadline on the other at once.
    const DUE: &str = "{ workingDayDeadline(from: \"2027-03-10T09:00:00+07:00\", days: 1) }";
    assert_eq!(
        a.ok(None, DUE, json!({})).await["workingDayDeadline"],
        "2027-03-11T17:00:00+07:00"
    );
    let admin = a.admin().await;
    b.ok(
        Some(&admin),
        "mutation { addHoliday(date: \"2027-03-11\", name: \"Ngày nghỉ đột xuất\") { date } }",
        json!({}),
    )
    .await;
    let started = std::time::Instant::now();
    while a.ok(None, DUE, json!({})).await["workingDayDeadline"] != "2027-03-12T17:00:00+07:00" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the first server still counts 11 March as a working day"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // With one Meilisearch, a complaint filed through one server is found through the other.
    if meili.is_none() {
        return;
    }
    const SEARCH: &str = "query($q: String) { searchComplaints(filter: {query: $q}, first: 10) {
        engine edges { node { complaint { code } } } } }";
    let started = std::time::Instant::now();
    loop {
        let r = b
            .ok(Some(&admin), SEARCH, json!({ "q": "hướng dẫn viên" }))
            .await;
        let r = &r["searchComplaints"];
        assert_eq!(r["engine"], "meilisearch", "{r}");
        let found: Vec<&str> = r["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["complaint"]["code"].as_str().unwrap())
            .collect();
        if codes.iter().all(|c| found.contains(&c.as_str())) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "filed through one server, not found through the other: {found:?} of {codes:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
