//! Ratings: one per dossier, idempotent retries, concurrency, unverified kiosk ratings, and
//! satisfaction computed by hand.

use portal::auth::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const RATE: &str = "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { id verified channel unit { code } procedure { code } scores { component score } raterAccountId } }";

fn scores(pairs: &[(&str, i32)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(c, s)| json!({ "component": c, "score": s }))
            .collect(),
    )
}

/// Records and completes a dossier of Sở Du lịch (a unit without synthetic demo data).
async fn done_dossier(app: &TestApp, official: &str, code: &str) {
    app.record_dossier(
        official,
        code,
        "SDL",
        "1.001432",
        "2026-11-02T09:00:00+07:00",
    )
    .await;
    app.complete_dossier(official, code).await;
}

#[tokio::test]
async fn a_dossier_is_rated_once_by_its_code() {
    let app = TestApp::spawn().await;
    let sdl = app.script_token(Role::Official, Some("SDL")).await;
    app.record_dossier(&sdl, "DL-1", "SDL", "1.001432", "2026-11-02T09:00:00+07:00")
        .await;
    let rc = app.rating_code("DL-1").await;

    let input = json!({ "i": { "dossierCode": "dl-1", "ratingCode": rc, "scores": scores(&[("ACCESS", 5), ("OFFICIAL", 4)]), "idempotencyKey": "k-1" } });
    // Not rateable before its result is returned.
    assert_eq!(
        error_code(&app.gql(None, RATE, input.clone()).await),
        "CONFLICT"
    );
    app.complete_dossier(&sdl, "DL-1").await;

    let first = app.ok(None, RATE, input.clone()).await;
    let r = &first["submitRating"];
    assert_eq!(r["verified"], true);
    assert_eq!(r["unit"]["code"], "SDL");
    assert_eq!(r["procedure"]["code"], "1.001432");
    assert_eq!(r["scores"], scores(&[("ACCESS", 5), ("OFFICIAL", 4)]));
    assert!(r["raterAccountId"].is_null());

    // A retry with the same key returns the first result; another rating is a conflict.
    let retry = app.ok(None, RATE, input).await;
    assert_eq!(retry["submitRating"]["id"], r["id"]);
    let again = json!({ "i": { "dossierCode": "DL-1", "ratingCode": rc, "scores": scores(&[("RESULT", 1)]) } });
    assert_eq!(error_code(&app.gql(None, RATE, again).await), "CONFLICT");

    let rated = app
        .ok(
            None,
            "{ dossier: dossierByCode(code: \"DL-1\") { rated } }",
            json!({}),
        )
        .await;
    assert_eq!(rated["dossier"]["rated"], true);
}

#[tokio::test]
async fn ratings_are_validated() {
    let app = TestApp::spawn().await;
    let sdl = app.script_token(Role::Official, Some("SDL")).await;
    done_dossier(&app, &sdl, "DL-V").await;
    let cases = [
        (json!({ "dossierCode": "DL-V", "scores": [] }), "scores"),
        (
            json!({ "dossierCode": "DL-V", "scores": scores(&[("ACCESS", 6)]) }),
            "scores[0].score",
        ),
        (
            json!({ "dossierCode": "DL-V", "scores": scores(&[("ACCESS", 0)]) }),
            "scores[0].score",
        ),
        (
            json!({ "dossierCode": "DL-V", "scores": scores(&[("ACCESS", 4), ("ACCESS", 5)]) }),
            "scores[1].component",
        ),
        (
            json!({ "dossierCode": "NO-SUCH", "scores": scores(&[("ACCESS", 4)]) }),
            "dossierCode",
        ),
        (json!({ "scores": scores(&[("ACCESS", 4)]) }), "unit"),
        (
            json!({ "dossierCode": "DL-V", "scores": scores(&[("ACCESS", 4)]), "comment": "x".repeat(2001) }),
            "comment",
        ),
        (
            json!({ "dossierCode": "DL-V", "scores": scores(&[("ACCESS", 4)]), "idempotencyKey": "has space" }),
            "idempotencyKey",
        ),
    ];
    for (input, field) in cases {
        let b = app.gql(None, RATE, json!({ "i": input })).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{field}: {b}");
        assert_eq!(error_field(&b), format!("input.{field}"));
    }
    // None of the refused attempts stored anything: the dossier can still be rated.
    let ok = app
        .ok(
            None,
            RATE,
            json!({ "i": { "dossierCode": "DL-V", "ratingCode": app.rating_code("DL-V").await, "scores": scores(&[("ACCESS", 4)]) } }),
        )
        .await;
    assert_eq!(ok["submitRating"]["verified"], true);
}

#[tokio::test]
async fn fifty_concurrent_ratings_of_one_dossier_store_exactly_one() {
    // A hundred attempts by one account: above its hourly submission limit, which is not what
    // this test is about.
    let app = TestApp::spawn_configured(|c| c.account_submissions_per_hour = 1000).await;
    let sdl = app.script_token(Role::Official, Some("SDL")).await;
    done_dossier(&app, &sdl, "DL-RACE").await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let rc = app.rating_code("DL-RACE").await;
    let input = json!({ "i": { "dossierCode": "DL-RACE", "ratingCode": rc, "scores": scores(&[("RESULT", 5)]) } });
    let calls = (0..50).map(|_| app.gql(Some(&citizen), RATE, input.clone()));
    let results = futures_util::future::join_all(calls).await;
    let ok = results.iter().filter(|b| b.get("errors").is_none()).count();
    let conflicts = results
        .iter()
        .filter(|b| b.get("errors").is_some() && error_code(b) == "CONFLICT")
        .count();
    assert_eq!((ok, conflicts), (1, 49), "{results:?}");

    let d = entity::dossier::Entity::find()
        .filter(entity::dossier::Column::Code.eq("DL-RACE"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let stored = entity::rating::Entity::find()
        .filter(entity::rating::Column::DossierId.eq(d.id))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    // The same with one idempotency key: every retry gets the one rating back.
    done_dossier(&app, &sdl, "DL-RACE-2").await;
    let rc = app.rating_code("DL-RACE-2").await;
    let input = json!({ "i": { "dossierCode": "DL-RACE-2", "ratingCode": rc, "scores": scores(&[("RESULT", 4)]), "idempotencyKey": "retry-2" } });
    let results = futures_util::future::join_all(
        (0..50).map(|_| app.gql(Some(&citizen), RATE, input.clone())),
    )
    .await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|b| {
            b["data"]["submitRating"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{b}"))
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn satisfaction_matches_a_hand_computation() {
    let app = TestApp::spawn_configured(|c| c.min_sample = 4).await;
    let sdl = app.script_token(Role::Official, Some("SDL")).await;
    let sets: [&[(&str, i32)]; 5] = [
        &[("ACCESS", 5), ("OFFICIAL", 4)],
        &[("ACCESS", 3), ("OFFICIAL", 5)],
        &[("ACCESS", 4), ("OFFICIAL", 2)],
        &[("ACCESS", 1)],
        &[("ACCESS", 5), ("OFFICIAL", 4), ("RESULT", 5)],
    ];
    for (i, s) in sets.iter().enumerate() {
        let code = format!("DL-S{i}");
        done_dossier(&app, &sdl, &code).await;
        let rc = app.rating_code(&code).await;
        app.ok(
            None,
            RATE,
            json!({ "i": { "dossierCode": code, "ratingCode": rc, "scores": scores(s) } }),
        )
        .await;
    }
    // A kiosk rating: unverified, reported apart, not counted by default.
    let unit = app.unit_id("SDL").await;
    let kiosk = app
        .ok(
            None,
            RATE,
            json!({ "i": { "unit": unit, "scores": scores(&[("ACCESS", 1)]) } }),
        )
        .await;
    assert_eq!(kiosk["submitRating"]["verified"], false);
    assert_eq!(kiosk["submitRating"]["channel"], "KIOSK");

    let q = "query($f: SatisfactionFilter) { satisfaction(filter: $f) { ratings unverifiedRatings minSample
        overall { answers mean satisfiedShare sufficient }
        components { component answers mean satisfiedShare sufficient lowerBound }
        months { month overall { answers satisfiedShare } } } }";
    let s = app.ok(None, q, json!({ "f": { "unit": unit } })).await["satisfaction"].clone();
    assert_eq!(s["ratings"], 5);
    assert_eq!(s["unverifiedRatings"], 1);
    assert_eq!(s["minSample"], 4);
    assert_eq!(
        s["overall"],
        json!({ "answers": 10, "mean": 3.8, "satisfiedShare": 70.0, "sufficient": true })
    );
    let by: std::collections::HashMap<String, Value> = s["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["component"].as_str().unwrap().to_string(), c.clone()))
        .collect();
    assert_eq!(by["ACCESS"]["answers"], 5);
    assert_eq!(by["ACCESS"]["mean"], 3.6);
    assert_eq!(by["ACCESS"]["satisfiedShare"], 60.0);
    assert_eq!(by["ACCESS"]["sufficient"], true);
    assert_eq!(by["OFFICIAL"]["answers"], 4);
    assert_eq!(by["OFFICIAL"]["mean"], 3.75);
    assert_eq!(by["OFFICIAL"]["satisfiedShare"], 75.0);
    // One answer: a share of 100% that is insufficient, ranked by its lower bound (20.65%).
    assert_eq!(by["RESULT"]["answers"], 1);
    assert_eq!(by["RESULT"]["satisfiedShare"], 100.0);
    assert_eq!(by["RESULT"]["sufficient"], false);
    assert_eq!(by["RESULT"]["lowerBound"], 20.65);
    // Unanswered components are not zeros.
    assert_eq!(by["PROCEDURE"]["answers"], 0);
    assert!(by["PROCEDURE"]["satisfiedShare"].is_null());
    assert!(by["PROCEDURE"]["mean"].is_null());
    let months = s["months"].as_array().unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["overall"]["answers"], 10);

    // With unverified ratings the kiosk answer counts too.
    let all = app
        .ok(
            None,
            q,
            json!({ "f": { "unit": unit, "verifiedOnly": false } }),
        )
        .await["satisfaction"]
        .clone();
    assert_eq!(all["ratings"], 6);
    assert_eq!(all["overall"]["answers"], 11);
    // A period without ratings.
    let none = app
        .ok(
            None,
            q,
            json!({ "f": { "unit": unit, "from": "2025-01-01", "to": "2026-01-01" } }),
        )
        .await;
    assert_eq!(none["satisfaction"]["ratings"], 0);
    assert!(none["satisfaction"]["overall"]["satisfiedShare"].is_null());
    let b = app
        .gql(
            None,
            q,
            json!({ "f": { "from": "2026-02-01", "to": "2026-01-01" } }),
        )
        .await;
    assert_eq!(error_field(&b), "filter.from");
}

#[tokio::test]
async fn anonymous_submissions_are_rate_limited_per_address() {
    let app = TestApp::spawn_configured(|c| c.anonymous_submissions_per_hour = 3).await;
    let unit = app.unit_id("SDL").await;
    let input = json!({ "i": { "unit": unit, "scores": scores(&[("ACCESS", 4)]) } });
    for _ in 0..3 {
        app.ok(None, RATE, input.clone()).await;
    }
    let b = app.gql(None, RATE, input.clone()).await;
    assert_eq!(error_code(&b), "RATE_LIMITED");
    assert!(b["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 0);
    // Signed-in raters are not limited this way; their identity stays with admins.
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let mine = app.ok(Some(&citizen), RATE, input.clone()).await;
    assert!(mine["submitRating"]["raterAccountId"].is_null());
    // Kept for admins, who read it in their views; staff themselves rate nothing.
    let id = mine["submitRating"]["id"].as_str().unwrap().to_string();
    let row = entity::rating::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.rater_account_id.is_some());
    let admin = app.admin().await;
    assert_eq!(
        error_code(&app.gql(Some(&admin), RATE, input).await),
        "FORBIDDEN"
    );
}

/// Many writes at once on one database, each reading before it writes (a rating reads its
/// dossier and the running tally; a complaint its unit and deadline): on SQLite they wait
/// their turn, none fails with "database is locked", and each lands once.
#[tokio::test]
async fn concurrent_writes_all_land_without_a_locked_database() {
    let app = TestApp::spawn_configured(|c| c.anonymous_submissions_per_hour = 10_000).await;
    let sdl = app.script_token(Role::Official, Some("SDL")).await;
    let unit = app.unit_id("SDL").await;
    const N: usize = 24;
    for i in 0..N {
        done_dossier(&app, &sdl, &format!("CW-{i}")).await;
    }
    let mut codes = vec![];
    for i in 0..N {
        codes.push(app.rating_code(&format!("CW-{i}")).await);
    }
    let tasks = (0..N).map(|i| {
        let app = &app;
        let rc = codes[i].clone();
        let unit = unit.clone();
        async move {
            let rate = app
                .gql(
                    None,
                    RATE,
                    json!({ "i": { "dossierCode": format!("CW-{i}"), "ratingCode": rc,
                                   "scores": scores(&[("ACCESS", 5), ("RESULT", 4)]) } }),
                )
                .await;
            let file = app
                .gql(
                    None,
                    "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { code } }",
                    json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                                   "title": format!("Chậm trả kết quả {i}"), "body": "Quá hạn.",
                                   "contact": { "name": "Lê Thị C", "phone": "0903 123 456" },
                                   "idempotencyKey": format!("cw-{i}") } }),
                )
                .await;
            (rate, file)
        }
    });
    let results = futures_util::future::join_all(tasks).await;
    for (rate, file) in &results {
        assert!(rate.get("errors").is_none(), "{rate}");
        assert_eq!(rate["data"]["submitRating"]["verified"], true, "{rate}");
        assert!(file.get("errors").is_none(), "{file}");
    }
    // Each landed once: the unit's ratings and the running tally agree.
    let admin = app.admin().await;
    let d = app
        .ok(
            Some(&admin),
            "query($u: ID) { complaints(filter: {assignedUnit: $u}, first: 100) { totalCount } }",
            json!({ "u": unit }),
        )
        .await;
    assert_eq!(d["complaints"]["totalCount"], N, "{d}");
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let ratings = entity::rating::Entity::find()
        .filter(entity::rating::Column::UnitId.eq(unit.as_str()))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(ratings, N as u64);
    let tallied: i64 = entity::rating_tally::Entity::find()
        .filter(entity::rating_tally::Column::UnitId.eq(unit.as_str()))
        .all(&app.state.db)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.component == entity::rating_score::Component::Access)
        .map(|t| t.answers)
        .sum();
    assert_eq!(tallied, N as i64);

    // Steps of the complaints' lifecycle at once: each reads the complaint, then writes it and
    // its log.
    let filed: Vec<String> = results
        .iter()
        .map(|(_, f)| {
            f["data"]["fileComplaint"]["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let ids = app
        .ok(
            Some(&admin),
            "query($u: ID) { complaints(filter: {assignedUnit: $u}, first: 100) { edges { node { id code } } } }",
            json!({ "u": unit }),
        )
        .await;
    let ids: Vec<String> = ids["complaints"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| filed.contains(&e["node"]["code"].as_str().unwrap().to_string()))
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), N);
    let steps = ids.iter().map(|id| {
        let app = &app;
        let sdl = &sdl;
        async move {
            app.gql(
                Some(sdl),
                "mutation($id: ID!) { acceptComplaint(id: $id) { status events { action } } }",
                json!({ "id": id }),
            )
            .await
        }
    });
    for b in futures_util::future::join_all(steps).await {
        assert!(b.get("errors").is_none(), "{b}");
        assert_eq!(b["data"]["acceptComplaint"]["status"], "ACCEPTED", "{b}");
    }
}
