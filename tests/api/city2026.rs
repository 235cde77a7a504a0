//! The city as it is in 2026: units through time, the working-day calendar with swapped days,
//! receipt rules, household businesses by personal number, the complaint/denunciation flag, and
//! apologies at hand-over.

use portal::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const RECORD: &str = "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code originalDueAt dueAt dueGiven countsFrom online late apologyStatus } }";
const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code status published assignedUnit { code } legalTrack { track decidedByOfficial filerConfirmedFeedback notice } } }";
const RATE: &str = "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { id verified } }";

fn complaint(unit: &str, title: &str, body: &str) -> Value {
    json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                   "title": title, "body": body,
                   "contact": { "name": "Lê Văn C", "phone": "0912345678" } } })
}

async fn create_unit(app: &TestApp, admin: &str, code: &str, name: &str) -> String {
    let u = app
        .ok(
            Some(admin),
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
            json!({ "i": { "code": code, "name": name, "block": "DEPARTMENT", "validFrom": "2022-01-01" } }),
        )
        .await;
    u["createUnit"]["id"].as_str().unwrap().to_string()
}

async fn satisfaction(app: &TestApp, token: &str, unit: &str, roll_up: bool) -> Value {
    app.ok(
        Some(token),
        "query($f: SatisfactionFilter) { satisfaction(filter: $f) { ratings components { component answers satisfiedShare } } }",
        json!({ "f": { "unit": unit, "rollUp": roll_up } }),
    )
    .await["satisfaction"]
        .clone()
}

#[tokio::test]
async fn a_merged_unit_takes_filings_until_its_end_then_names_its_successor_and_keeps_its_past() {
    let app = TestApp::spawn().await;
    let admin = app.script_token(Role::Admin, None).await;
    let old = create_unit(&app, &admin, "SO-CU", "Sở Thử nghiệm Cũ").await;
    let new = create_unit(&app, &admin, "SO-MOI", "Sở Thử nghiệm Mới").await;
    app.ok(
        Some(&admin),
        "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id } }",
        json!({ "i": { "code": "9.990001", "name": "Thủ tục thử nghiệm", "field": "Thử nghiệm",
                       "level": "CITY", "processingDays": 5, "units": [old, new] } }),
    )
    .await;
    let procedure = app.procedure_id("9.990001").await;
    let record = |code: &str, unit: &str, at: &str| json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN", "receivedAt": at } });

    // A 2022 dossier of the old unit, completed and rated by its filer.
    let recorded = app
        .ok(
            Some(&admin),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code ratingCode } }",
            record("CU-2022", &old, "2022-05-10T09:00:00+07:00"),
        )
        .await;
    app.keep_receipt(&recorded["recordDossier"]);
    app.ok(
        Some(&admin),
        "mutation($dossier: ID!) { completeDossier(id: $dossier, completedAt: \"2022-05-12T10:00:00+07:00\") { code } }",
        json!({ "dossier": app.dossier_id("CU-2022").await }),
    )
    .await;
    let rc = app.rating_code("CU-2022").await;
    app.ok(
        None,
        RATE,
        json!({ "i": { "dossierCode": "CU-2022", "ratingCode": rc,
                       "scores": [{ "component": "ACCESS", "score": 5 }, { "component": "RESULT", "score": 2 }] } }),
    )
    .await;
    // A complaint filed while the old unit exists, still open at the reorganisation.
    let open = app
        .ok(
            None,
            FILE,
            complaint(&old, "Chậm trả kết quả", "Hồ sơ trễ hẹn hai tuần."),
        )
        .await["fileComplaint"]
        .clone();
    // And one answered and closed before it: it stays with the old unit.
    let done = app
        .ok(
            None,
            FILE,
            complaint(&old, "Thiếu hướng dẫn nộp lệ phí", "Không rõ mức phí."),
        )
        .await["fileComplaint"]["id"]
        .clone();
    for m in [
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đã hướng dẫn.\") { status } }",
        "mutation($id: ID!) { closeComplaint(id: $id) { status } }",
    ] {
        app.ok(Some(&admin), m, json!({ "id": done })).await;
    }
    let before = satisfaction(&app, &admin, &old, false).await;
    assert_eq!(before["ratings"], 1);
    let stats_q = "query($f: DossierFilter) { dossiers(filter: $f) { stats { total completed completedOnTime } } }";
    let old_stats = app
        .ok(Some(&admin), stats_q, json!({ "f": { "unit": old } }))
        .await;

    // Merged on 1 July 2025: the old unit's last day is 30 June.
    let retired = app
        .ok(
            Some(&admin),
            "mutation($id: ID!, $s: [UnitSuccessorInput!]) { retireUnit(id: $id, validTo: \"2025-06-30\", successors: $s) { code validTo active successor { code } successors { unit { code } on kind } } }",
            json!({ "id": old, "s": [{ "unit": new, "kind": "MERGED_INTO" }] }),
        )
        .await;
    // The successor cannot end before it takes over.
    let early_end = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { retireUnit(id: $id, validTo: \"2024-12-31\") { code } }",
            json!({ "id": new }),
        )
        .await;
    assert_eq!(error_field(&early_end), "validTo", "{early_end}");
    assert_eq!(
        retired["retireUnit"],
        json!({ "code": "SO-CU", "validTo": "2025-06-30", "active": false, "successor": { "code": "SO-MOI" },
                "successors": [{ "unit": { "code": "SO-MOI" }, "on": "2025-07-01", "kind": "MERGED_INTO" }] })
    );
    let preds = app
        .ok(
            None,
            "{ unit: unitByCode(code: \"SO-MOI\") { predecessors { unit { code } on kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        preds["unit"]["predecessors"],
        json!([{ "unit": { "code": "SO-CU" }, "on": "2025-07-01", "kind": "MERGED_INTO" }])
    );

    // Before the date, filing against the old unit works; after it, it is refused by name.
    app.ok(
        Some(&admin),
        RECORD,
        record("CU-2025-A", &old, "2025-06-30T16:00:00+07:00"),
    )
    .await;
    let after = app
        .gql(
            Some(&admin),
            RECORD,
            record("CU-2025-B", &old, "2025-07-01T08:00:00+07:00"),
        )
        .await;
    assert_eq!(error_code(&after), "BAD_USER_INPUT");
    assert_eq!(error_field(&after), "input.unit");
    assert!(
        after["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Sở Thử nghiệm Mới"),
        "{after}"
    );
    let filed = app
        .gql(None, FILE, complaint(&old, "Phản ánh mới", "Nội dung."))
        .await;
    assert_eq!(error_code(&filed), "BAD_USER_INPUT");
    assert!(
        filed["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SO-MOI")
    );
    let rated = app
        .gql(
            None,
            RATE,
            json!({ "i": { "unit": old, "channel": "KIOSK", "scores": [{ "component": "ACCESS", "score": 4 }] } }),
        )
        .await;
    assert_eq!(error_code(&rated), "BAD_USER_INPUT", "{rated}");
    // Nothing was written by the refused filing.
    let total = app
        .ok(Some(&admin), stats_q, json!({ "f": { "unit": old } }))
        .await;
    assert_eq!(
        total["dossiers"]["stats"]["total"],
        old_stats["dossiers"]["stats"]["total"].as_u64().unwrap() + 1
    );
    // The successor takes a complaint about the old unit's dossier.
    let about_old = app.ok(
        None,
        "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { unit { code } assignedUnit { code } } }",
        json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": new, "dossierCode": "CU-2022",
                       "title": "Hồ sơ cũ", "body": "Hồ sơ nộp tại đơn vị cũ.", "contact": { "name": "A", "phone": "0912345678" } } }),
    )
    .await;
    assert_eq!(
        about_old["fileComplaint"],
        json!({ "unit": { "code": "SO-MOI" }, "assignedUnit": { "code": "SO-MOI" } })
    );

    // The open complaint went to the successor, with an event saying so.
    let c = app
        .ok(
            Some(&admin),
            "query($id: ID!) { complaint(id: $id) { status assignedUnit { code } unit { code } events { action toUnit { code } note } } }",
            json!({ "id": open["id"] }),
        )
        .await;
    assert_eq!(c["complaint"]["assignedUnit"]["code"], "SO-MOI");
    assert_eq!(c["complaint"]["unit"]["code"], "SO-CU");
    assert_eq!(c["complaint"]["status"], "RECEIVED");
    let events = c["complaint"]["events"].as_array().unwrap();
    let fwd = events.iter().find(|e| e["action"] == "FORWARDED").unwrap();
    assert_eq!(fwd["toUnit"]["code"], "SO-MOI");
    assert!(fwd["note"].as_str().unwrap().contains("Sở Thử nghiệm Cũ"));

    // The old unit's 2022 figures are unchanged; rolled up, they count for the successor.
    assert_eq!(satisfaction(&app, &admin, &old, false).await, before);
    assert_eq!(
        app.ok(Some(&admin), stats_q, json!({ "f": { "unit": old } }))
            .await["dossiers"]["stats"]["completedOnTime"],
        old_stats["dossiers"]["stats"]["completedOnTime"]
    );
    assert_eq!(satisfaction(&app, &admin, &new, false).await["ratings"], 0);
    assert_eq!(satisfaction(&app, &admin, &new, true).await, before);
    // Search rolls the old unit's complaints up into its successor when asked.
    app.settle().await;
    let search = |roll: bool| json!({ "f": { "query": "hướng dẫn lệ phí", "assignedUnit": new, "rollUp": roll } });
    let sq = "query($f: ComplaintFilter) { searchComplaints(filter: $f) { totalCount } }";
    assert_eq!(
        app.ok(Some(&admin), sq, search(false)).await["searchComplaints"]["totalCount"],
        0
    );
    assert_eq!(
        app.ok(Some(&admin), sq, search(true)).await["searchComplaints"]["totalCount"],
        1
    );
    // Units of a date: the old unit in 2022, not in 2026.
    let on = |d: &str| json!({ "f": { "activeOn": d, "query": "thu nghiem" } });
    let q = "query($f: UnitFilter) { units(filter: $f, first: 10) { totalCount edges { node { code } } } }";
    let y2022 = app.ok(None, q, on("2022-06-01")).await;
    let y2026 = app.ok(None, q, on("2026-06-01")).await;
    let codes = |v: &Value| {
        v["units"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&y2022), vec!["SO-CU", "SO-MOI"]);
    assert_eq!(codes(&y2026), vec!["SO-MOI"]);
}

#[tokio::test]
async fn a_unit_has_versions_and_is_shown_as_it_was_on_a_date() {
    let app = TestApp::spawn().await;
    let admin = app.script_token(Role::Admin, None).await;
    // The demo: Sở Tài nguyên và Môi trường became Sở Nông nghiệp và Môi trường on 1 May 2025.
    let q = "query($at: Date) { unit: unitByCode(code: \"STNMT\", at: $at) { code name active versions { validFrom validTo name block } version(at: \"2024-01-01\") { name } } }";
    let now = app.ok(None, q, json!({ "at": null })).await;
    assert_eq!(now["unit"]["name"], "Sở Nông nghiệp và Môi trường");
    assert_eq!(
        now["unit"]["version"]["name"],
        "Sở Tài nguyên và Môi trường"
    );
    assert_eq!(
        now["unit"]["versions"],
        json!([
            { "validFrom": "2022-01-01", "validTo": "2025-04-30", "name": "Sở Tài nguyên và Môi trường", "block": "DEPARTMENT" },
            { "validFrom": "2025-05-01", "validTo": null, "name": "Sở Nông nghiệp và Môi trường", "block": "DEPARTMENT" }
        ])
    );
    let then = app.ok(None, q, json!({ "at": "2023-03-01" })).await;
    assert_eq!(then["unit"]["name"], "Sở Tài nguyên và Môi trường");

    // A renaming through the API is a new version from its date; a correction amends.
    let id = app.unit_id("STP").await;
    let upd = "mutation($id: ID!, $i: UpdateUnitInput!) { updateUnit(id: $id, input: $i) { name versions { validFrom name } } }";
    let r = app
        .ok(
            Some(&admin),
            upd,
            json!({ "id": id, "i": { "name": "Sở Tư pháp Thành phố", "validFrom": "2026-01-01" } }),
        )
        .await;
    assert_eq!(
        r["updateUnit"]["versions"],
        json!([{ "validFrom": "2022-01-01", "name": "Sở Tư pháp" }, { "validFrom": "2026-01-01", "name": "Sở Tư pháp Thành phố" }])
    );
    let early = app
        .gql(
            Some(&admin),
            upd,
            json!({ "id": id, "i": { "name": "X", "validFrom": "2023-01-01" } }),
        )
        .await;
    assert_eq!(error_field(&early), "input.validFrom");
    let at = app
        .ok(
            None,
            "{ unit: unitByCode(code: \"STP\", at: \"2025-12-31\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(at["unit"]["name"], "Sở Tư pháp");

    // A change dated in advance takes effect on its day: today the unit is as it is, and its
    // officials' scope does not move before then.
    let sub = app
        .ok(
            Some(&admin),
            "mutation { createUnit(input: {code: \"SUBX\", name: \"Đơn vị X\", block: COMMUNE, validFrom: \"2025-07-01\"}) { id } }",
            json!({}),
        )
        .await["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let filed = app
        .ok(
            None,
            FILE,
            complaint(&sub, "Phản ánh ở đơn vị X", "Nội dung."),
        )
        .await["fileComplaint"]["id"]
        .clone();
    let future = app
        .ok(
            Some(&admin),
            "mutation($id: ID!, $p: ID!) { updateUnit(id: $id, input: {name: \"Đơn vị X mới\", parent: $p, validFrom: \"2030-01-01\"}) { name parent { code } versions { validFrom name } } }",
            json!({ "id": sub, "p": app.unit_id("P.CHOLON").await }),
        )
        .await;
    assert_eq!(future["updateUnit"]["name"], "Đơn vị X");
    assert!(future["updateUnit"]["parent"].is_null());
    assert_eq!(future["updateUnit"]["versions"][1]["name"], "Đơn vị X mới");
    let later = app
        .ok(
            None,
            "{ unit: unitByCode(code: \"SUBX\", at: \"2030-06-01\") { name parent { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(later["unit"]["name"], "Đơn vị X mới");
    // A correction amends the latest version, the one announced, not today's.
    let corrected = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { updateUnit(id: $id, input: {shortName: \"X mới\"}) { name versions { validFrom name shortName } } }",
            json!({ "id": sub }),
        )
        .await;
    assert_eq!(corrected["updateUnit"]["name"], "Đơn vị X");
    assert_eq!(
        corrected["updateUnit"]["versions"][1],
        json!({ "validFrom": "2030-01-01", "name": "Đơn vị X mới", "shortName": "X mới" })
    );
    assert_eq!(later["unit"]["parent"]["code"], "P.CHOLON");
    let ward = app.login("q5.canbo", "gopy-official-demo").await;
    let seen = app
        .gql(
            Some(&ward),
            "query($id: ID!) { complaint(id: $id) { contact { phone } } }",
            json!({ "id": filed }),
        )
        .await;
    assert!(seen["data"]["complaint"].is_null(), "{seen}");

    // Walking a reorganisation back and forth in one query costs too much.
    let walk = app
        .gql(
            None,
            "{ unit: unitByCode(code: \"Q5\") { successors { unit { predecessors { unit { successors { unit { predecessors { unit { code } } } } } } } } } }",
            json!({}),
        )
        .await;
    assert!(
        walk["data"].is_null() || walk["data"]["unit"].is_null(),
        "{walk}"
    );
    assert!(!walk["errors"].as_array().unwrap().is_empty());

    // The demo's two-tier city: Quận 5 ended on 30 June 2025 and three wards carry on.
    let q5 = app
        .ok(
            None,
            "{ unit: unitByCode(code: \"Q5\") { validTo active block successors { unit { code name block } on kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(q5["unit"]["validTo"], "2025-06-30");
    assert_eq!(q5["unit"]["active"], false);
    assert_eq!(q5["unit"]["block"], "DISTRICT");
    assert_eq!(
        q5["unit"]["successors"][0],
        json!({ "unit": { "code": "P.CHOLON", "name": "Phường Chợ Lớn", "block": "COMMUNE" }, "on": "2025-07-01", "kind": "SPLIT_INTO" })
    );
    assert_eq!(q5["unit"]["successors"].as_array().unwrap().len(), 3);
    // Its demo official moved to phường Chợ Lớn and says so.
    let t = app.login("q5.canbo", "gopy-official-demo").await;
    let me = app
        .ok(
            Some(&t),
            "{ me { account { displayName unit { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["account"]["unit"]["code"], "P.CHOLON");
    assert!(
        me["me"]["account"]["displayName"]
            .as_str()
            .unwrap()
            .contains("Quận 5")
    );
}

#[tokio::test]
async fn swapped_working_days_and_removed_holidays_move_deadlines() {
    let app = TestApp::spawn().await;
    let admin = app.script_token(Role::Admin, None).await;
    let deadline = |from: &str, days: u32| {
        let from = from.to_string();
        let app = &app;
        async move {
            app.ok(
                None,
                "query($f: DateTime!, $d: Int!) { workingDayDeadline(from: $f, days: $d) }",
                json!({ "f": from, "d": days }),
            )
            .await["workingDayDeadline"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // 2026 as the Government arranged it.
    assert_eq!(
        deadline("2025-12-31T10:00:00+07:00", 1).await,
        "2026-01-05T17:00:00+07:00"
    );
    assert_eq!(
        deadline("2026-01-09T10:00:00+07:00", 1).await,
        "2026-01-10T17:00:00+07:00"
    );
    assert_eq!(
        deadline("2026-08-21T10:00:00+07:00", 1).await,
        "2026-08-22T17:00:00+07:00"
    );
    assert_eq!(
        deadline("2026-08-28T10:00:00+07:00", 1).await,
        "2026-09-03T17:00:00+07:00"
    );
    let years = app
        .ok(
            None,
            "{ a: calendarYear(year: 2026) { status source days { date kind } } b: calendarYear(year: 2027) { status } h: holidays(year: 2026) { date kind yearStatus } }",
            json!({}),
        )
        .await;
    assert_eq!(years["a"]["status"], "CONFIRMED");
    assert!(years["a"]["source"].as_str().unwrap().contains("12729"));
    assert_eq!(years["b"]["status"], "PROVISIONAL");
    let h = years["h"].as_array().unwrap();
    assert!(h.contains(
        &json!({ "date": "2026-01-10", "kind": "WORKING_DAY", "yearStatus": "CONFIRMED" })
    ));
    assert!(
        h.contains(&json!({ "date": "2026-08-31", "kind": "HOLIDAY", "yearStatus": "CONFIRMED" }))
    );

    // A dossier of a one-day procedure received on Friday 9 January 2026 is due on the
    // swapped Saturday.
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let d = app
        .record_dossier(
            &official,
            "P-CL-0109",
            "P.CHOLON",
            "1.001193",
            "2026-01-09T09:00:00+07:00",
        )
        .await;
    assert_eq!(d["originalDueAt"], "2026-01-10T17:00:00+07:00");

    // An admin swaps Saturday 6 March 2027 in: Friday + 1 falls on it.
    assert_eq!(
        deadline("2027-03-05T09:00:00+07:00", 1).await,
        "2027-03-08T17:00:00+07:00"
    );
    let add = "mutation($d: Date!, $n: String!) { addWorkingDay(date: $d, name: $n) { date kind name yearStatus } }";
    let added = app
        .ok(
            Some(&admin),
            add,
            json!({ "d": "2027-03-06", "n": "Làm bù (thử nghiệm)" }),
        )
        .await;
    assert_eq!(
        added["addWorkingDay"],
        json!({ "date": "2027-03-06", "kind": "WORKING_DAY", "name": "Làm bù (thử nghiệm)", "yearStatus": "PROVISIONAL" })
    );
    assert_eq!(
        deadline("2027-03-05T09:00:00+07:00", 1).await,
        "2027-03-06T17:00:00+07:00"
    );
    // Only weekends, only admins.
    let weekday = app
        .gql(Some(&admin), add, json!({ "d": "2027-03-10", "n": "x" }))
        .await;
    assert_eq!(error_field(&weekday), "date");
    let t = app.script_token(Role::Official, Some("STP")).await;
    let denied = app
        .gql(Some(&t), add, json!({ "d": "2027-03-13", "n": "x" }))
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    for m in [
        "mutation { removeHoliday(date: \"2027-04-30\") { date } }",
        "mutation { setCalendarYear(year: 2027, status: CONFIRMED) { year } }",
        "mutation { addHoliday(date: \"2027-03-12\", name: \"x\") { date } }",
    ] {
        assert_eq!(
            error_code(&app.gql(Some(&t), m, json!({})).await),
            "FORBIDDEN",
            "{m}"
        );
        assert_eq!(
            error_code(&app.gql(None, m, json!({})).await),
            "UNAUTHENTICATED",
            "{m}"
        );
    }

    // A removed holiday of the file is counted again; removing it twice finds nothing.
    assert_eq!(
        deadline("2027-04-29T09:00:00+07:00", 1).await,
        "2027-05-04T17:00:00+07:00"
    );
    let remove = "mutation { removeHoliday(date: \"2027-04-30\") { date kind name } }";
    let removed = app.ok(Some(&admin), remove, json!({})).await;
    assert_eq!(removed["removeHoliday"]["kind"], "HOLIDAY");
    assert_eq!(
        deadline("2027-04-29T09:00:00+07:00", 1).await,
        "2027-04-30T17:00:00+07:00"
    );
    assert_eq!(
        error_code(&app.gql(Some(&admin), remove, json!({})).await),
        "NOT_FOUND"
    );
    // The added working day can be removed as well.
    app.ok(
        Some(&admin),
        "mutation { removeHoliday(date: \"2027-03-06\") { kind } }",
        json!({}),
    )
    .await;
    assert_eq!(
        deadline("2027-03-05T09:00:00+07:00", 1).await,
        "2027-03-08T17:00:00+07:00"
    );
    // A year is confirmed by an admin, with its source.
    let y = app
        .ok(
            Some(&admin),
            "mutation { setCalendarYear(year: 2027, status: CONFIRMED, source: \"Thông báo thử nghiệm\") { year status source } }",
            json!({}),
        )
        .await;
    assert_eq!(
        y["setCalendarYear"],
        json!({ "year": 2027, "status": "CONFIRMED", "source": "Thông báo thử nghiệm" })
    );
}

#[tokio::test]
async fn receipts_after_the_cutoff_or_online_after_hours_count_from_the_next_working_day() {
    let app = TestApp::spawn().await;
    let admin = app.script_token(Role::Admin, None).await;
    let ward = app.unit_id("P.CHOLON").await;
    let p = app
        .ok(
            Some(&admin),
            "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id receiptCutoff } }",
            json!({ "i": { "code": "9.990002", "name": "Chứng thực trong ngày", "field": "Chứng thực",
                           "level": "COMMUNE", "processingDays": 0, "oneDay": true, "units": [ward] } }),
        )
        .await;
    assert_eq!(p["createProcedure"]["receiptCutoff"], "15:00");
    let same_day = p["createProcedure"]["id"].as_str().unwrap().to_string();
    let one_day = app.procedure_id("1.001193").await;
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let rec = |code: &str, proc: &str, at: &str, online: bool, due: Option<&str>| {
        json!({ "i": { "code": code, "unit": ward, "procedure": proc, "filerKind": "CITIZEN",
                       "receivedAt": at, "online": online, "dueAt": due } })
    };
    // Thursday 26 November 2026.
    let before = app
        .ok(
            Some(&official),
            RECORD,
            rec("CUT-1", &same_day, "2026-11-26T14:59:00+07:00", false, None),
        )
        .await;
    assert_eq!(
        before["recordDossier"]["originalDueAt"],
        "2026-11-26T17:00:00+07:00"
    );
    assert_eq!(before["recordDossier"]["countsFrom"], "2026-11-26");
    let after = app
        .ok(
            Some(&official),
            RECORD,
            rec("CUT-2", &same_day, "2026-11-26T15:30:00+07:00", false, None),
        )
        .await;
    assert_eq!(
        after["recordDossier"]["originalDueAt"],
        "2026-11-27T17:00:00+07:00"
    );
    assert_eq!(after["recordDossier"]["countsFrom"], "2026-11-27");
    // Online on Thursday evening: counts from Friday, a one-day procedure is due Monday.
    let online = app
        .ok(
            Some(&official),
            RECORD,
            rec("ONL-1", &one_day, "2026-11-26T19:30:00+07:00", true, None),
        )
        .await;
    let mut got = online["recordDossier"].clone();
    got.as_object_mut().unwrap().remove("late");
    got.as_object_mut().unwrap().remove("apologyStatus");
    assert_eq!(
        got,
        json!({ "code": "ONL-1", "originalDueAt": "2026-11-30T17:00:00+07:00", "dueAt": "2026-11-30T17:00:00+07:00",
                "dueGiven": false, "countsFrom": "2026-11-27", "online": true })
    );
    // In person at the same hour: the day of receipt counts.
    let desk = app
        .ok(
            Some(&official),
            RECORD,
            rec("DESK-1", &one_day, "2026-11-26T16:30:00+07:00", false, None),
        )
        .await;
    assert_eq!(
        desk["recordDossier"]["originalDueAt"],
        "2026-11-27T17:00:00+07:00"
    );
    // The one-stop-shop system's appointment wins.
    let given = app
        .ok(
            Some(&official),
            RECORD,
            rec(
                "GIVEN-1",
                &one_day,
                "2026-11-26T09:00:00+07:00",
                false,
                Some("2026-12-01T11:00:00+07:00"),
            ),
        )
        .await;
    assert_eq!(
        given["recordDossier"]["originalDueAt"],
        "2026-12-01T11:00:00+07:00"
    );
    assert_eq!(given["recordDossier"]["dueGiven"], true);
    let bad = app
        .gql(
            Some(&official),
            RECORD,
            rec(
                "GIVEN-2",
                &one_day,
                "2026-11-26T09:00:00+07:00",
                false,
                Some("2026-11-25T09:00:00+07:00"),
            ),
        )
        .await;
    assert_eq!(error_field(&bad), "input.dueAt");
    let far = app
        .gql(
            Some(&official),
            RECORD,
            rec(
                "GIVEN-3",
                &one_day,
                "2026-11-26T09:00:00+07:00",
                false,
                Some("2199-12-31T17:00:00+07:00"),
            ),
        )
        .await;
    assert_eq!(error_field(&far), "input.dueAt");
    // A cut-off can be changed or removed.
    let upd = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { updateProcedure(id: $id, input: { receiptCutoff: \"\" }) { receiptCutoff } }",
            json!({ "id": same_day }),
        )
        .await;
    assert!(upd["updateProcedure"]["receiptCutoff"].is_null());
    let wrong = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateProcedure(id: $id, input: { receiptCutoff: \"25:00\" }) { receiptCutoff } }",
            json!({ "id": same_day }),
        )
        .await;
    assert_eq!(error_field(&wrong), "input.receiptCutoff");
}

#[tokio::test]
async fn a_household_business_registers_and_files_with_its_personal_number() {
    let app = TestApp::spawn().await;
    let reg = app
        .ok(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { role businessClaim { taxCode name } } } }",
            json!({ "i": { "username": "ho.kinh.doanh", "password": "mat-khau-dai-1", "displayName": "Hộ kinh doanh Bà Tư",
                           "email": "batu@example.vn", "business": { "taxCode": "079 185 001234", "name": "Hộ kinh doanh Bà Tư" } } }),
        )
        .await;
    assert_eq!(reg["register"]["account"]["role"], "BUSINESS");
    assert_eq!(
        reg["register"]["account"]["businessClaim"]["taxCode"],
        "079185001234"
    );
    let bad = app
        .gql(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            json!({ "i": { "username": "ho.sai", "password": "mat-khau-dai-1", "displayName": "X",
                           "email": "x@example.vn", "business": { "taxCode": "000185001234", "name": "X" } } }),
        )
        .await;
    assert_eq!(error_field(&bad), "input.business.taxCode");
    // A dossier of a household business by its personal number.
    let official = app.script_token(Role::Official, Some("P.BENTHANH")).await;
    let ward = app.unit_id("P.BENTHANH").await;
    let proc = app.procedure_id("2.000575").await;
    let d = app
        .ok(
            Some(&official),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
            json!({ "i": { "code": "HKD-1", "unit": ward, "procedure": proc, "filerKind": "BUSINESS", "taxCode": "079185001234" } }),
        )
        .await;
    assert_eq!(d["recordDossier"]["code"], "HKD-1");
    let staff = app
        .ok(
            Some(&official),
            "{ dossier: dossierByCode(code: \"HKD-1\") { taxCode } }",
            json!({}),
        )
        .await;
    assert_eq!(staff["dossier"]["taxCode"], "079185001234");
    // A personal number is personal data: not for evaluators of other units.
    let evaluator = app.script_token(Role::Evaluator, Some("SNV")).await;
    let seen = app
        .ok(
            Some(&evaluator),
            "{ dossier: dossierByCode(code: \"HKD-1\") { code taxCode } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["dossier"]["code"], "HKD-1");
    assert!(seen["dossier"]["taxCode"].is_null());
}

#[tokio::test]
async fn what_reads_like_a_complaint_or_denunciation_is_flagged_and_never_published_automatically()
{
    let app = TestApp::spawn().await;
    let ward = app.unit_id("P.CHOLON").await;
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let filed = app
        .ok(
            None,
            FILE,
            complaint(
                &ward,
                "Khiếu nại về việc trễ hẹn trả kết quả",
                "Hồ sơ đăng ký khai sinh của tôi trễ hẹn ba ngày.",
            ),
        )
        .await["fileComplaint"]
        .clone();
    assert_eq!(filed["status"], "RECEIVED");
    assert_eq!(filed["legalTrack"]["track"], "COMPLAINT");
    assert_eq!(filed["legalTrack"]["decidedByOfficial"], false);
    assert!(
        filed["legalTrack"]["notice"]
            .as_str()
            .unwrap()
            .contains("Luật Khiếu nại")
    );
    let id = filed["id"].as_str().unwrap().to_string();
    let accept = "mutation($id: ID!) { acceptComplaint(id: $id) { status } }";
    app.ok(Some(&official), accept, json!({ "id": id })).await;
    let answer = "mutation($id: ID!, $p: Boolean) { answerComplaint(id: $id, answer: \"Đơn vị đã trả kết quả và xin lỗi.\", publish: $p) { published legalTrack { track } } }";
    // Publishing it without a decision is refused.
    let forced = app
        .gql(Some(&official), answer, json!({ "id": id, "p": true }))
        .await;
    assert_eq!(error_field(&forced), "publish");
    // Answered by default: not published, and the public sees no answer.
    let a = app
        .ok(Some(&official), answer, json!({ "id": id, "p": null }))
        .await;
    assert_eq!(a["answerComplaint"]["published"], false);
    let public = app
        .ok(
            None,
            "query($c: String!) { complaintByCode(code: $c) { answer legalTrack { track } } }",
            json!({ "c": filed["code"] }),
        )
        .await;
    assert!(public["complaintByCode"].is_null() || public["complaintByCode"]["answer"].is_null());

    // An official decides it is feedback: the flag clears and publication is normal again.
    let classify = "mutation($id: ID!, $t: ComplaintTrack!) { classifyComplaint(id: $id, track: $t, note: \"Phản ánh về thời hạn.\") { legalTrack { track decidedByOfficial } events { action note } } }";
    // Only the assigned unit's officials decide: another unit's official and an anonymous
    // replay of the same request are refused, and the flag stays.
    let other = app.script_token(Role::Official, Some("STP")).await;
    let vars = json!({ "id": id, "t": "FEEDBACK" });
    assert_eq!(
        error_code(&app.gql(Some(&other), classify, vars.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, classify, vars.clone()).await),
        "UNAUTHENTICATED"
    );
    let still = app
        .ok(
            Some(&official),
            "query($id: ID!) { complaint(id: $id) { legalTrack { track } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(still["complaint"]["legalTrack"]["track"], "COMPLAINT");
    let c = app
        .ok(
            Some(&official),
            classify,
            json!({ "id": id, "t": "FEEDBACK" }),
        )
        .await;
    assert!(c["classifyComplaint"]["legalTrack"].is_null());
    let ev = c["classifyComplaint"]["events"].as_array().unwrap();
    assert_eq!(ev.last().unwrap()["action"], "CLASSIFIED");

    // "Tôi tố cáo cán bộ…" is flagged as a denunciation; confirmed as one, it is never
    // published, even when asked.
    let den = app
        .ok(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "OFFICIAL_CONDUCT", "unit": ward,
                           "title": "Tôi tố cáo cán bộ tiếp nhận đòi tiền", "body": "Cán bộ yêu cầu nộp thêm tiền ngoài quy định.",
                           "confirmFeedback": true, "contact": { "name": "Người tố cáo", "phone": "0987654321" } } }),
        )
        .await["fileComplaint"]
        .clone();
    assert_eq!(den["legalTrack"]["track"], "DENUNCIATION");
    assert_eq!(den["legalTrack"]["filerConfirmedFeedback"], true);
    let did = den["id"].as_str().unwrap().to_string();
    app.ok(Some(&official), accept, json!({ "id": did })).await;
    let c = app
        .ok(
            Some(&official),
            classify,
            json!({ "id": did, "t": "DENUNCIATION" }),
        )
        .await;
    assert_eq!(
        c["classifyComplaint"]["legalTrack"],
        json!({ "track": "DENUNCIATION", "decidedByOfficial": true })
    );
    let a = app
        .ok(Some(&official), answer, json!({ "id": did, "p": null }))
        .await;
    assert_eq!(a["answerComplaint"]["published"], false);
    app.settle().await;
    let search = app
        .ok(
            None,
            "{ searchComplaints(filter: {query: \"tố cáo cán bộ\"}, first: 100) { nodes { complaint { id } } } }",
            json!({}),
        )
        .await;
    // Published answers with some of the words may come up; the denunciation never does.
    let found: Vec<&Value> = search["searchComplaints"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["complaint"]["id"])
        .collect();
    assert!(!found.contains(&&json!(did)), "{search}");
    let dodged = app
        .ok(
            None,
            FILE,
            complaint(&ward, "(Tố\u{200b}cáo) cán bộ nhận tiền", "Nội dung."),
        )
        .await;
    assert_eq!(
        dodged["fileComplaint"]["legalTrack"]["track"],
        "DENUNCIATION"
    );
    // Plain feedback carries no flag.
    let plain = app
        .ok(
            None,
            FILE,
            complaint(&ward, "Trễ hẹn trả kết quả", "Hồ sơ trễ hẹn."),
        )
        .await;
    assert!(plain["fileComplaint"]["legalTrack"].is_null());
}

#[tokio::test]
async fn an_apology_at_hand_over_and_an_excused_delay_are_recorded_and_counted() {
    let app = TestApp::spawn().await;
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    for code in ["LATE-1", "LATE-2", "LATE-3"] {
        app.record_dossier(
            &official,
            code,
            "P.CHOLON",
            "1.001193",
            "2026-10-05T07:13:00+07:00",
        )
        .await;
        app.complete_dossier(&official, code).await;
    }
    let apology = "mutation($c: ID!, $n: DateTime) { issueApology(id: $c, reason: \"Hệ thống liên thông bị lỗi.\", newDueAt: $n) { apologyStatus apology { late atHandover } } }";
    let a = app
        .ok(
            Some(&official),
            apology,
            json!({ "c": app.dossier_id("LATE-1").await, "n": null }),
        )
        .await;
    // Given at hand-over in the unit's word: a late apology until an evaluator accepts it.
    assert_eq!(
        a["issueApology"],
        json!({ "apologyStatus": "LATE", "apology": { "late": true, "atHandover": false } })
    );
    let waiting = app
        .ok(
            Some(&official),
            "{ d: dossierByCode(code: \"LATE-1\") { parReview { kind status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        waiting["d"]["parReview"],
        json!({ "kind": "HANDOVER_APOLOGY", "status": "PENDING" })
    );
    // The evaluator checks the hand-over record and accepts: an apology at hand-over.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    app.accept_review(&evaluator, "HANDOVER_APOLOGY", "LATE-1")
        .await;
    // A new appointment makes no sense once the result is handed over.
    let with_date = app
        .gql(
            Some(&official),
            apology,
            json!({ "c": app.dossier_id("LATE-2").await, "n": "2027-01-05T17:00:00+07:00" }),
        )
        .await;
    assert_eq!(error_field(&with_date), "newDueAt");
    // An apology already given is the agency's acceptance of the fault.
    let after_apology = app
        .gql(
            Some(&official),
            "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Không do lỗi.\") { apologyStatus } }",
            json!({ "dossier": app.dossier_id("LATE-1").await }),
        )
        .await;
    assert_eq!(error_code(&after_apology), "CONFLICT");
    // Only a late dossier's delay can be excused.
    app.record_dossier(
        &official,
        "ONTIME-1",
        "P.CHOLON",
        "1.001193",
        "2026-10-05T07:20:00+07:00",
    )
    .await;
    app.ok(
        Some(&official),
        "mutation($dossier: ID!) { completeDossier(id: $dossier, completedAt: \"2026-10-05T10:00:00+07:00\") { code } }",
        json!({ "dossier": app.dossier_id("ONTIME-1").await }),
    )
    .await;
    let on_time = app
        .gql(
            Some(&official),
            "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Trước.\") { apologyStatus } }",
            json!({ "dossier": app.dossier_id("ONTIME-1").await }),
        )
        .await;
    assert_eq!(error_code(&on_time), "BAD_USER_INPUT");
    // The public sees that an apology was given, not its reason.
    let public_apology = app
        .ok(
            None,
            "{ dossier: dossierByCode(code: \"LATE-1\") { apologyStatus apology { reason atHandover } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        public_apology["dossier"]["apology"],
        json!({ "reason": null, "atHandover": true })
    );
    let ex = app
        .ok(
            Some(&official),
            "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Chờ kết quả xác minh của cơ quan khác theo quy định.\") { apologyStatus delayExcuse { reason } } }",
            json!({ "dossier": app.dossier_id("LATE-2").await }),
        )
        .await;
    assert_eq!(ex["excuseDelay"]["apologyStatus"], "EXCUSED");
    let apologise_excused = app
        .gql(
            Some(&official),
            apology,
            json!({ "c": app.dossier_id("LATE-2").await, "n": null }),
        )
        .await;
    assert_eq!(error_code(&apologise_excused), "CONFLICT");
    assert!(
        ex["excuseDelay"]["delayExcuse"]["reason"]
            .as_str()
            .unwrap()
            .contains("xác minh")
    );
    // The public sees the status, not the reason.
    let public = app
        .ok(
            None,
            "{ dossier: dossierByCode(code: \"LATE-2\") { apologyStatus delayExcuse { reason } } }",
            json!({}),
        )
        .await;
    assert_eq!(public["dossier"]["apologyStatus"], "EXCUSED");
    assert!(public["dossier"]["delayExcuse"].is_null());
    // Another unit's official cannot excuse a delay.
    let other = app.script_token(Role::Official, Some("STP")).await;
    let denied = app
        .gql(
            Some(&other),
            "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"x\") { apologyStatus } }",
            json!({ "dossier": app.dossier_id("LATE-3").await }),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
    let stats = app
        .ok(
            Some(&official),
            "query($f: DossierFilter) { dossiers(filter: $f) { stats { late apologiesAtHandover delaysExcused apologiesMissing } } }",
            json!({ "f": { "unit": app.unit_id("P.CHOLON").await, "from": "2026-10-05T07:00:00+07:00", "to": "2026-10-05T07:30:00+07:00" } }),
        )
        .await;
    assert_eq!(
        stats["dossiers"]["stats"],
        json!({ "late": 3, "apologiesAtHandover": 1, "delaysExcused": 1, "apologiesMissing": 1 })
    );
}

#[tokio::test]
async fn a_holiday_added_on_one_server_moves_deadlines_on_another_at_once() {
    let a = TestApp::spawn().await;
    if a.db.url.starts_with("sqlite:") {
        // One server per SQLite database: there is no other server to tell.
        return;
    }
    let beside = a.db.beside();
    let b = TestApp::spawn_with(crate::helpers::test_config(&beside), beside, false).await;
    const DUE: &str = "{ workingDayDeadline(from: \"2027-03-10T09:00:00+07:00\", days: 1) }";
    let due_on_b = || async { b.ok(None, DUE, json!({})).await["workingDayDeadline"].clone() };
    assert_eq!(due_on_b().await, "2027-03-11T17:00:00+07:00");
    let admin = a.admin().await;
    a.ok(
        Some(&admin),
        "mutation { addHoliday(date: \"2027-03-11\", name: \"Ngày nghỉ đột xuất\") { date } }",
        json!({}),
    )
    .await;
    // Announced to the other server as the change commits (its periodic reload is a minute).
    let started = std::time::Instant::now();
    loop {
        if due_on_b().await == "2027-03-12T17:00:00+07:00" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the other server still counts 11 March as a working day"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
