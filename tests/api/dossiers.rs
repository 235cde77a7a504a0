//! Dossiers: due times on the working-day calendar, lateness, backlog and the apology rule,
//! public and staff views, and who may act.

use portal::auth::Role;
use serde_json::json;

use crate::helpers::{TestApp, error_code, error_field};

const LIST: &str = "query($f: DossierFilter) { dossiers(filter: $f, first: 50) { totalCount
    stats { total completed completedOnTime onTimeShare late backlog apologiesIssued apologiesLate apologiesMissing }
    edges { node { code late backlog apologyStatus } } } }";

#[tokio::test]
async fn the_due_time_follows_the_working_day_calendar() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Friday 24 April 2026, before Hùng Kings' compensatory Monday and 30/4–1/5.
    let d = app
        .record_dossier(
            &admin,
            "hs-2026-0001",
            "STC",
            "2.002040",
            "2026-04-24T09:00:00+07:00",
        )
        .await;
    assert_eq!(d["code"], "HS-2026-0001");
    assert_eq!(d["receivedAt"], "2026-04-24T09:00:00+07:00");
    // 3 working days: Tue 28, Wed 29, then Mon 4 May; due at the close of office hours.
    assert_eq!(d["originalDueAt"], "2026-05-04T17:00:00+07:00");
    assert_eq!(d["dueAt"], "2026-05-04T17:00:00+07:00");

    let d = app
        .record_dossier(
            &admin,
            "HS-2026-0002",
            "STP",
            "2.000488",
            "2026-04-24T16:59:00+07:00",
        )
        .await;
    assert_eq!(
        d["originalDueAt"], "2026-05-13T17:00:00+07:00",
        "10 working days"
    );

    // Across Tết 2026: received Friday 13 February, one working day is Monday 23 February.
    let d = app
        .record_dossier(
            &admin,
            "HS-TET-1",
            "SGDDT",
            "2.001914",
            "2026-02-13T10:00:00+07:00",
        )
        .await;
    assert_eq!(d["originalDueAt"], "2026-02-23T17:00:00+07:00");

    // An admin adds a holiday; deadlines computed afterwards skip it.
    let official = app.script_token(Role::Official, Some("SNV")).await;
    let b = app
        .gql(
            Some(&official),
            "mutation { addHoliday(date: \"2026-12-01\", name: \"Ngày nghỉ thử\") { date } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let h = app
        .ok(
            Some(&admin),
            "mutation { addHoliday(date: \"2026-12-01\", name: \"Ngày nghỉ thử\") { date name } }",
            json!({}),
        )
        .await;
    assert_eq!(h["addHoliday"]["date"], "2026-12-01");
    let b = app
        .gql(
            Some(&admin),
            "mutation { addHoliday(date: \"2026-12-01\", name: \"Lần hai\") { date } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    let due = app
        .ok(
            None,
            "{ workingDayDeadline(from: \"2026-11-30T09:00:00+07:00\", days: 1) }",
            json!({}),
        )
        .await;
    assert_eq!(due["workingDayDeadline"], "2026-12-02T17:00:00+07:00");
    let hs = app
        .ok(None, "{ holidays(year: 2026) { date name } }", json!({}))
        .await;
    let dates: Vec<&str> = hs["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert!(
        dates.contains(&"2026-02-17") && dates.contains(&"2026-12-01"),
        "{dates:?}"
    );
}

#[tokio::test]
async fn a_late_dossier_without_apology_is_missing_and_the_apology_rule_holds() {
    let app = TestApp::spawn().await;
    let snv = app.script_token(Role::Official, Some("SNV")).await;
    // Received in April, 30 working days: long past due and still open.
    let d = app
        .record_dossier(
            &snv,
            "SNV-LATE-1",
            "SNV",
            "1.003918",
            "2026-04-24T09:00:00+07:00",
        )
        .await;
    assert_eq!(d["late"], true);
    assert_eq!(d["backlog"], true);
    assert_eq!(d["apologyStatus"], "MISSING");

    let snv_id = app.unit_id("SNV").await;
    let missing = app
        .ok(Some(&snv), LIST, json!({ "f": { "apology": "MISSING" } }))
        .await;
    let codes: Vec<&str> = missing["dossiers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["SNV-LATE-1"]);

    // Apologising now, after the due time, is recorded as late.
    let apology = "mutation($c: ID!, $r: String!, $d: DateTime!) { issueApology(id: $c, reason: $r, newDueAt: $d) { dueAt originalDueAt apologyStatus apology { reason late newDueAt } } }";
    let b = app
        .gql(
            Some(&snv),
            apology,
            json!({ "c": app.dossier_id("SNV-LATE-1").await, "r": "  ", "d": "2027-01-15T17:00:00+07:00" }),
        )
        .await;
    assert_eq!(error_field(&b), "reason");
    let a = app
        .ok(Some(&snv), apology, json!({ "c": app.dossier_id("SNV-LATE-1").await, "r": "Chờ ý kiến của Bộ Nội vụ", "d": "2027-01-15T17:00:00+07:00" }))
        .await;
    assert_eq!(a["issueApology"]["apologyStatus"], "LATE");
    assert_eq!(a["issueApology"]["apology"]["late"], true);
    assert_eq!(a["issueApology"]["dueAt"], "2027-01-15T17:00:00+07:00");
    assert_eq!(a["issueApology"]["originalDueAt"], d["originalDueAt"]);
    // The appointment is reset once only.
    let b = app
        .gql(
            Some(&snv),
            apology,
            json!({ "c": app.dossier_id("SNV-LATE-1").await, "r": "Lần hai", "d": "2027-02-15T17:00:00+07:00" }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // A dossier received now, apologised for well before its due time: issued on time.
    let now = portal::clock::now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let fresh = app
        .record_dossier(&snv, "SNV-NEW-1", "SNV", "1.003918", &now.to_rfc3339())
        .await;
    assert_eq!(fresh["late"], false);
    assert_eq!(fresh["apologyStatus"], "NONE_NEEDED");
    let b = app
        .gql(
            Some(&snv),
            apology,
            json!({ "c": app.dossier_id("SNV-NEW-1").await, "r": "Lùi hẹn", "d": now.to_rfc3339() }),
        )
        .await;
    assert_eq!(
        error_field(&b),
        "newDueAt",
        "a new date must be later than the current one: {b}"
    );
    let later = (now + chrono::Duration::days(90)).to_rfc3339();
    let a = app
        .ok(
            Some(&snv),
            apology,
            json!({ "c": app.dossier_id("SNV-NEW-1").await, "r": "Cần xác minh thêm", "d": later }),
        )
        .await;
    assert_eq!(a["issueApology"]["apologyStatus"], "ISSUED");
    assert_eq!(a["issueApology"]["apology"]["late"], false);

    // A completed dossier cannot be re-appointed; completing twice is a conflict.
    let c = app.complete_dossier(&snv, "SNV-LATE-1").await;
    assert_eq!(c["status"], "COMPLETED");
    assert_eq!(c["late"], true);
    let b = app
        .gql(
            Some(&snv),
            "mutation($dossier: ID!) { completeDossier(id: $dossier) { status } }",
            json!({ "dossier": app.dossier_id("SNV-LATE-1").await }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // A third, completed on time.
    app.record_dossier(&snv, "SNV-OK-1", "SNV", "1.003918", &now.to_rfc3339())
        .await;
    app.complete_dossier(&snv, "SNV-OK-1").await;

    let all = app
        .ok(Some(&snv), LIST, json!({ "f": { "unit": snv_id } }))
        .await;
    let s = &all["dossiers"]["stats"];
    assert_eq!(s["total"], 3, "{all}");
    assert_eq!(s["completed"], 2);
    assert_eq!(s["completedOnTime"], 1);
    assert_eq!(s["onTimeShare"], 50.0);
    assert_eq!(s["late"], 1);
    assert_eq!(s["backlog"], 0);
    assert_eq!(s["apologiesIssued"], 1);
    assert_eq!(s["apologiesLate"], 1);
    assert_eq!(s["apologiesMissing"], 0);
    let late = app
        .ok(Some(&snv), LIST, json!({ "f": { "late": true } }))
        .await;
    assert_eq!(late["dossiers"]["totalCount"], 1);
    let issued = app
        .ok(Some(&snv), LIST, json!({ "f": { "apology": "ISSUED" } }))
        .await;
    assert_eq!(issued["dossiers"]["edges"][0]["node"]["code"], "SNV-NEW-1");
}

#[tokio::test]
async fn the_public_sees_status_and_dates_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let unit = app.unit_id("STC").await;
    let procedure = app.procedure_id("2.002040").await;
    app.ok(
        Some(&admin),
        "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
        json!({ "i": { "code": "DN-1", "unit": unit, "procedure": procedure, "filerKind": "BUSINESS", "taxCode": "0100109106" } }),
    )
    .await;
    let q = "{ dossier: dossierByCode(code: \" dn-1 \") { code status taxCode filerKind unit { code } procedure { code } dueAt } }";
    let public = app.ok(None, q, json!({})).await;
    assert_eq!(public["dossier"]["code"], "DN-1");
    assert_eq!(public["dossier"]["status"], "OPEN");
    assert_eq!(public["dossier"]["unit"]["code"], "STC");
    assert!(public["dossier"]["taxCode"].is_null());
    assert!(public["dossier"]["filerKind"].is_null());
    let staff = app.ok(Some(&admin), q, json!({})).await;
    assert_eq!(staff["dossier"]["taxCode"], "0100109106");
    assert_eq!(staff["dossier"]["filerKind"], "BUSINESS");
    let other = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let seen = app.ok(Some(&other), q, json!({})).await;
    assert!(
        seen["dossier"]["taxCode"].is_null(),
        "another unit's official sees no tax code"
    );

    // A business dossier needs a valid tax code.
    let b = app
        .gql(
            Some(&admin),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
            json!({ "i": { "code": "DN-2", "unit": unit, "procedure": procedure, "filerKind": "BUSINESS", "taxCode": "0100109107" } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.taxCode");
    assert!(
        app.ok(
            None,
            "{ dossier: dossierByCode(code: \"DN-2\") { code } }",
            json!({})
        )
        .await["dossier"]
            .is_null()
    );
}

#[tokio::test]
async fn officials_act_only_on_their_units_dossiers() {
    let app = TestApp::spawn().await;
    let snv = app.script_token(Role::Official, Some("SNV")).await;
    app.record_dossier(
        &snv,
        "SNV-1",
        "SNV",
        "1.003918",
        "2026-11-02T09:00:00+07:00",
    )
    .await;

    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let complete = "mutation($d: ID!) { completeDossier(id: $d) { status } }";
    let snv1 = json!({ "d": app.dossier_id("SNV-1").await });
    assert_eq!(
        error_code(&app.gql(Some(&q5), complete, snv1.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, complete, snv1.clone()).await),
        "UNAUTHENTICATED"
    );
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    assert_eq!(
        error_code(&app.gql(Some(&citizen), complete, snv1.clone()).await),
        "FORBIDDEN"
    );

    // Recording for another unit, or a procedure the unit does not perform, is refused.
    let snv_unit = app.unit_id("SNV").await;
    let p = app.procedure_id("1.003918").await;
    let rec = "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }";
    let b = app
        .gql(Some(&q5), rec, json!({ "i": { "code": "X-1", "unit": snv_unit, "procedure": p, "filerKind": "CITIZEN" } }))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let q5_unit = app.unit_id("P.CHOLON").await;
    let b = app
        .gql(Some(&q5), rec, json!({ "i": { "code": "X-2", "unit": q5_unit, "procedure": p, "filerKind": "CITIZEN" } }))
        .await;
    assert_eq!(error_field(&b), "input.procedure");
    let b = app
        .gql(Some(&snv), rec, json!({ "i": { "code": "SNV-1", "unit": snv_unit, "procedure": p, "filerKind": "CITIZEN" } }))
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // Lists are scoped: Quận 5's official never sees Sở Nội vụ's dossiers.
    let mine = app
        .ok(Some(&q5), LIST, json!({ "f": { "unit": snv_unit } }))
        .await;
    assert_eq!(mine["dossiers"]["totalCount"], 0);
    let theirs = app
        .ok(Some(&snv), LIST, json!({ "f": { "unit": snv_unit } }))
        .await;
    assert_eq!(theirs["dossiers"]["totalCount"], 1);
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let all = app
        .ok(Some(&evaluator), LIST, json!({ "f": { "unit": snv_unit } }))
        .await;
    assert_eq!(all["dossiers"]["totalCount"], 1);
    assert_eq!(
        error_code(&app.gql(Some(&citizen), LIST, json!({})).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, LIST, json!({})).await),
        "UNAUTHENTICATED"
    );
}
