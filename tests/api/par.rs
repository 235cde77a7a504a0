//! The PAR index: a hand-built year of three blocks computed, ranked, published and frozen;
//! the imported 2022 year of the reference article; who may appraise, deduct and publish; the
//! rows behind every point; the open data.

use portal::auth::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, error_code, error_field, test_config};

/// A template small enough to compute by hand: 100 points in four areas.
const TEMPLATE: &str = r#"{"name": "Khung thử nghiệm", "criteria": [
  {"code": "A", "name": "Chỉ đạo, điều hành", "children": [
    {"code": "A1", "name": "Kế hoạch CCHC", "max": 40, "source": "APPRAISED"}]},
  {"code": "S", "name": "Sự hài lòng", "children": [
    {"code": "S1", "name": "Hài lòng về công chức", "max": 20, "source": "SATISFACTION(OFFICIAL)"},
    {"code": "S2", "name": "Hài lòng về kết quả", "max": 10, "source": "SATISFACTION", "component": "RESULT"}]},
  {"code": "T", "name": "Giải quyết hồ sơ", "children": [
    {"code": "T1", "name": "Đúng hạn", "max": 15, "source": "TIMELINESS"},
    {"code": "T2", "name": "Xin lỗi", "max": 5, "source": "APOLOGY"}]},
  {"code": "C", "name": "Phản ánh, kiến nghị", "children": [
    {"code": "C1", "name": "Trả lời đúng hạn", "max": 10, "source": "COMPLAINT_HANDLING"}]}
]}"#;

const OPEN: &str = "mutation($i: OpenParPeriodInput!) { openParPeriod(input: $i) { year status minSample bands { name min } blocks { block ranked } criteria { code max source component area } units { code name block } } }";
const SCORE: &str = "mutation($i: SetParScoreInput!) { setParScore(input: $i) { criterion selfScore appraisedScore } }";
const DEDUCT: &str = "mutation($i: AddParDeductionInput!) { addParDeduction(input: $i) { id points reason removed } }";
const COMPUTE: &str = "mutation($y: Int!) { computeParIndex(year: $y) { recomputed units missingAppraisals period { status } } }";
const TABLE: &str = "query($y: Int!, $b: Block!) { parIndex(year: $y, block: $b) { status ranked blockSize entries { unit { code name } total band rank previousTotal areas { code points max } } } }";
const BREAKDOWN: &str = "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u) { total band rank blockSize deducted
    criteria { code source max points lost counted good share lowerBound sufficient excluded explanation selfScore appraisedScore }
    improvementPlan { code lost }
    deductions { criterion points reason removed removalReason }
    audit { action criterion detail } } }";

async fn bare_app() -> TestApp {
    let db = TestDb::new().await;
    TestApp::spawn_with(test_config(&db), db, false).await
}

async fn unit(app: &TestApp, admin: &str, code: &str, block: &str) -> String {
    app.ok(
        Some(admin),
        "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
        json!({ "i": { "code": code, "name": format!("Đơn vị {code}"), "block": block,
                       "validFrom": if code == "D1" { "2025-01-01" } else { "2026-01-01" } } }),
    )
    .await["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Records a dossier received on 2 March 2026 (due five working days later, 9 March) and
/// completes it on time or late.
async fn dossier(app: &TestApp, official: &str, code: &str, unit: &str, late: bool) {
    app.record_dossier(
        official,
        code,
        unit,
        "9.000001",
        "2026-03-02T09:00:00+07:00",
    )
    .await;
    let at = if late {
        "2026-03-20T10:00:00+07:00"
    } else {
        "2026-03-04T10:00:00+07:00"
    };
    let d = app
        .ok(
            Some(official),
            "mutation($c: ID!, $t: DateTime) { completeDossier(id: $c, completedAt: $t) { late } }",
            json!({ "c": app.dossier_id(code).await, "t": at }),
        )
        .await;
    assert_eq!(d["completeDossier"]["late"], json!(late));
}

async fn rate(app: &TestApp, dossier: &str, official: i32, result: i32) {
    let code = app.rating_code(dossier).await;
    app.ok(
        None,
        "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }",
        json!({ "i": { "dossierCode": dossier, "ratingCode": code,
                       "scores": [ { "component": "OFFICIAL", "score": official }, { "component": "RESULT", "score": result } ] } }),
    )
    .await;
}

async fn complaint(app: &TestApp, unit_id: &str, title: &str) -> (String, String) {
    let c = app
        .ok(
            None,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }",
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit_id, "title": title,
                           "body": "Hồ sơ trễ hẹn mà chưa được thông báo lý do.",
                           "contact": { "name": "Trần Văn D", "phone": "0903 111 222" } } }),
        )
        .await;
    (
        c["fileComplaint"]["id"].as_str().unwrap().to_string(),
        c["fileComplaint"]["code"].as_str().unwrap().to_string(),
    )
}

async fn answer(app: &TestApp, official: &str, id: &str) {
    app.ok(
        Some(official),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    app.ok(
        Some(official),
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đơn vị đã giải quyết xong hồ sơ và xin lỗi ông.\") { status } }",
        json!({ "id": id }),
    )
    .await;
}

fn entry<'a>(table: &'a Value, code: &str) -> &'a Value {
    table["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {table}"))
}

fn criterion<'a>(b: &'a Value, code: &str) -> &'a Value {
    b["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no criterion {code} in {b}"))
}

/// The 95% Wilson lower bound, as a fraction.
fn wilson(good: f64, n: f64) -> f64 {
    let z = 1.96f64;
    let p = good / n;
    (p + z * z / (2.0 * n) - z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt())
        / (1.0 + z * z / n)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[tokio::test]
async fn a_hand_built_year_is_computed_ranked_published_and_frozen() {
    let app = bare_app().await;
    let admin = app.script_token(Role::Admin, None).await;
    let evaluator = app.script_token(Role::Evaluator, None).await;

    let mut ids = std::collections::HashMap::new();
    for (code, block) in [
        ("D1", "DEPARTMENT"),
        ("D2", "DEPARTMENT"),
        ("D3", "DEPARTMENT"),
        ("D4", "DEPARTMENT"),
        ("V1", "VERTICAL_AGENCY"),
        ("W1", "COMMUNE"),
        ("W2", "COMMUNE"),
    ] {
        ids.insert(code, unit(&app, &admin, code, block).await);
    }
    // D1 existed last year too, when its published total was 80.5.
    let r = portal::par::import::import_text(
        &app.state.db,
        "unit_code,block,total,band,rank,block_size\nD1,DEPARTMENT,80.5,Khá,1,1\n",
        2025,
        "kết quả công bố năm 2025",
    )
    .await
    .unwrap();
    assert_eq!((r.created, r.rejected.len()), (1, 0));
    // A unit that ended before the year is not part of it.
    app.ok(
        Some(&admin),
        "mutation { createUnit(input: {code: \"OLD\", name: \"Sở đã giải thể\", block: DEPARTMENT, validFrom: \"2022-01-01\"}) { id } }",
        json!({}),
    )
    .await;
    let old = app.unit_id("OLD").await;
    app.ok(
        Some(&admin),
        "mutation($id: ID!) { retireUnit(id: $id, validTo: \"2025-12-31\") { validTo } }",
        json!({ "id": old }),
    )
    .await;
    let all: Vec<&String> = ids.values().collect();
    app.ok(
        Some(&admin),
        "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id } }",
        json!({ "i": { "code": "9.000001", "name": "Thủ tục thử nghiệm", "field": "Thử nghiệm", "level": "CITY",
                       "processingDays": 5, "units": all } }),
    )
    .await;

    let d1 = app.script_token(Role::Official, Some("D1")).await;
    let w1 = app.script_token(Role::Official, Some("W1")).await;
    let w2 = app.script_token(Role::Official, Some("W2")).await;

    // D1: two dossiers on time, two late (one apologised at hand-over, one not), one late but
    // excused; four ratings; two complaints answered in time.
    dossier(&app, &d1, "D1-01", "D1", false).await;
    dossier(&app, &d1, "D1-02", "D1", false).await;
    // D1-03 is handed over late today, with the apology given at hand-over the same day.
    app.record_dossier(&d1, "D1-03", "D1", "9.000001", "2026-03-02T09:00:00+07:00")
        .await;
    let handed = app.complete_dossier(&d1, "D1-03").await;
    assert_eq!(handed["late"], json!(true), "{handed}");
    dossier(&app, &d1, "D1-04", "D1", true).await;
    dossier(&app, &d1, "D1-05", "D1", true).await;
    app.ok(
        Some(&d1),
        "mutation($dossier: ID!) { issueApology(id: $dossier, reason: \"Chờ kết quả xác minh của cơ quan khác\") { apologyStatus } }",
        json!({ "dossier": app.dossier_id("D1-03").await }),
    )
    .await;
    // The unit's word that it apologised at hand-over counts once the evaluator accepts it.
    app.accept_review(&evaluator, "HANDOVER_APOLOGY", "D1-03")
        .await;
    app.ok(
        Some(&d1),
        "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Người nộp xin hoãn để bổ sung giấy tờ\") { apologyStatus } }",
        json!({ "dossier": app.dossier_id("D1-05").await }),
    )
    .await;
    // OFFICIAL: 5, 5, 4, 2 → 3 of 4 satisfied; RESULT: all 4 or 5.
    rate(&app, "D1-01", 5, 5).await;
    rate(&app, "D1-02", 5, 4).await;
    rate(&app, "D1-03", 4, 4).await;
    rate(&app, "D1-04", 2, 4).await;
    for t in ["Hồ sơ chậm", "Cán bộ hướng dẫn chưa rõ"] {
        let (id, _) = complaint(&app, &ids["D1"], t).await;
        answer(&app, &d1, &id).await;
    }
    // W1: one dossier on time with one rating (below the minimum sample of 3); one complaint
    // whose answer deadline has passed unanswered.
    dossier(&app, &w1, "W1-01", "W1", false).await;
    rate(&app, "W1-01", 5, 5).await;
    let (late_id, late_code) = complaint(&app, &ids["W1"], "Chưa được trả lời").await;
    // Time passes: the complaint was filed weeks ago and its deadline is behind us.
    entity::complaint::Entity::update_many()
        .col_expr(
            entity::complaint::Column::AnswerDueAt,
            sea_orm::sea_query::Expr::value(portal::clock::now() - chrono::Duration::days(20)),
        )
        .filter(entity::complaint::Column::Id.eq(late_id.clone()))
        .exec(&app.state.db)
        .await
        .unwrap();

    // Only evaluators open a year.
    let open = json!({ "i": { "year": 2026, "template": TEMPLATE, "minSample": 3,
        "bands": [ { "name": "Tốt", "min": 90 }, { "name": "Khá", "min": 75 }, { "name": "Trung bình", "min": 50 }, { "name": "Yếu", "min": 0 } ] } });
    assert_eq!(
        error_code(&app.gql(Some(&d1), OPEN, open.clone()).await),
        "FORBIDDEN"
    );
    let p = app.ok(Some(&evaluator), OPEN, open.clone()).await["openParPeriod"].clone();
    assert_eq!(p["status"], "DRAFT");
    assert_eq!(p["minSample"], 3);
    let mut codes: Vec<&str> = p["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, ["D1", "D2", "D3", "D4", "V1", "W1", "W2"]);
    assert_eq!(
        p["blocks"],
        json!([
            { "block": "DEPARTMENT", "ranked": true },
            { "block": "VERTICAL_AGENCY", "ranked": false },
            { "block": "DISTRICT", "ranked": true },
            { "block": "COMMUNE", "ranked": true }
        ])
    );
    assert_eq!(criterion(&p, "S1")["component"], "OFFICIAL");
    assert_eq!(criterion(&p, "S")["max"], 30.0);
    assert_eq!(
        error_code(&app.gql(Some(&evaluator), OPEN, open).await),
        "CONFLICT"
    );

    // Scores: the evaluator appraises; an official enters only the self-assessment of their
    // own unit; out-of-range scores name the criterion.
    let score = |unit: &str, v: Value| {
        let mut i = json!({ "year": 2026, "unit": ids[unit], "criterion": "A1" });
        i.as_object_mut()
            .unwrap()
            .extend(v.as_object().unwrap().clone());
        json!({ "i": i })
    };
    for (u, a) in [
        ("D1", 38.0),
        ("D2", 35.0),
        ("D3", 40.0),
        ("D4", 20.0),
        ("V1", 39.0),
        ("W1", 30.0),
        ("W2", 40.0),
    ] {
        let s = app
            .ok(
                Some(&evaluator),
                SCORE,
                score(u, json!({ "appraisedScore": a })),
            )
            .await;
        assert_eq!(s["setParScore"]["appraisedScore"], a);
    }
    let s = app
        .ok(
            Some(&d1),
            SCORE,
            score(
                "D1",
                json!({ "selfScore": 40, "note": "Đã ban hành kế hoạch đúng hạn" }),
            ),
        )
        .await;
    assert_eq!(s["setParScore"]["selfScore"], 40.0);
    assert_eq!(s["setParScore"]["appraisedScore"], 38.0);
    let b = app
        .gql(
            Some(&d1),
            SCORE,
            score("D1", json!({ "appraisedScore": 40 })),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app
        .gql(Some(&d1), SCORE, score("D2", json!({ "selfScore": 40 })))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app
        .gql(
            Some(&evaluator),
            SCORE,
            score("D1", json!({ "appraisedScore": 41 })),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "input.appraisedScore");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("A1"),
        "{b}"
    );
    let mut computed = score("D1", json!({ "appraisedScore": 3 }));
    computed["i"]["criterion"] = json!("S1");
    let b = app.gql(Some(&evaluator), SCORE, computed).await;
    assert_eq!(error_field(&b), "input.criterion", "{b}");

    // Deductions: evaluators only, with a reason; a withdrawn one stays on record.
    let deduct = |u: &str, c: &str, pts: f64, reason: &str| json!({ "i": { "year": 2026, "unit": ids[u], "criterion": c, "points": pts, "reason": reason } });
    let b = app
        .gql(Some(&d1), DEDUCT, deduct("D3", "A1", 5.0, "Tự ý"))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app
        .gql(
            Some(&evaluator),
            DEDUCT,
            deduct("D3", "A1", 41.0, "Quá nhiều"),
        )
        .await;
    assert_eq!(error_field(&b), "input.points", "{b}");
    // A retry with the same key returns the first deduction, not a second one.
    let mut keyed = deduct("D3", "A1", 5.0, "Chậm gửi báo cáo CCHC quý III");
    keyed["i"]["idempotencyKey"] = json!("snv-d3-a1");
    let first = app.ok(Some(&evaluator), DEDUCT, keyed.clone()).await;
    let retry = app.ok(Some(&evaluator), DEDUCT, keyed.clone()).await;
    assert_eq!(
        first["addParDeduction"]["id"],
        retry["addParDeduction"]["id"]
    );
    keyed["i"]["points"] = json!(4.0);
    assert_eq!(
        error_code(&app.gql(Some(&evaluator), DEDUCT, keyed).await),
        "CONFLICT"
    );
    let wrong = app
        .ok(
            Some(&evaluator),
            DEDUCT,
            deduct("D1", "T1", 2.0, "Nhầm đơn vị"),
        )
        .await["addParDeduction"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        Some(&evaluator),
        "mutation($id: ID!) { removeParDeduction(id: $id, reason: \"Trừ nhầm\") { removed } }",
        json!({ "id": wrong }),
    )
    .await;

    // Before computing, only evaluators see the table; anonymous callers see nothing.
    let tv = |b: &str| json!({ "y": 2026, "b": b });
    // A year the caller may not see yet is no table (null), as any lookup.
    assert!(app.ok(None, TABLE, tv("DEPARTMENT")).await["parIndex"].is_null());
    let c = app
        .ok(Some(&evaluator), COMPUTE, json!({ "y": 2026 }))
        .await["computeParIndex"]
        .clone();
    assert_eq!(c["recomputed"], true);
    assert_eq!(c["units"], 7);
    assert_eq!(c["missingAppraisals"], 0);
    assert_eq!(c["period"]["status"], "COMPUTED");

    // By hand. D1: 38 + S1 20×3/4 + S2 10×4/4 + T1 15×2/4 + T2 5×1/2 + C1 10×2/2 = 83.
    // D2: 35 + 0 + 0 (no rating) + 15 + 5 + 10 (nothing to count) = 65; D3: 40 − 5 + 30 = 65
    // (a tie); D4: 20 + 30 = 50. V1: 39 + 30 = 69. W2: 40 + 30 = 70. W1: 30 + the lower bound of
    // 1 of 1 on both components + 15 + 5 + 0 (its one complaint late).
    let dept = app.ok(Some(&evaluator), TABLE, tv("DEPARTMENT")).await["parIndex"].clone();
    assert_eq!(dept["blockSize"], 4);
    assert_eq!(dept["status"], "COMPUTED");
    let order: Vec<(&str, f64, &str, i64)> = dept["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["unit"]["code"].as_str().unwrap(),
                e["total"].as_f64().unwrap(),
                e["band"].as_str().unwrap(),
                e["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("D1", 83.0, "Khá", 1),
            ("D2", 65.0, "Trung bình", 2),
            ("D3", 65.0, "Trung bình", 2),
            ("D4", 50.0, "Trung bình", 4)
        ]
    );
    assert_eq!(
        entry(&dept, "D1")["areas"],
        json!([
            { "code": "A", "points": 38.0, "max": 40.0 },
            { "code": "S", "points": 25.0, "max": 30.0 },
            { "code": "T", "points": 10.0, "max": 20.0 },
            { "code": "C", "points": 10.0, "max": 10.0 }
        ])
    );
    assert_eq!(entry(&dept, "D3")["areas"][0]["points"], 35.0);
    assert_eq!(entry(&dept, "D1")["previousTotal"], 80.5);
    assert_eq!(entry(&dept, "D2")["previousTotal"], Value::Null);
    let vert = app.ok(Some(&evaluator), TABLE, tv("VERTICAL_AGENCY")).await["parIndex"].clone();
    assert_eq!(vert["ranked"], false);
    assert_eq!(vert["blockSize"], 1);
    assert_eq!(entry(&vert, "V1")["total"], 69.0);
    assert_eq!(entry(&vert, "V1")["band"], "Trung bình");
    assert_eq!(entry(&vert, "V1")["rank"], Value::Null);
    let lb = wilson(1.0, 1.0);
    let w1_total = round2(30.0 + 20.0 * lb + 10.0 * lb + 15.0 + 5.0);
    let communes = app.ok(Some(&evaluator), TABLE, tv("COMMUNE")).await["parIndex"].clone();
    assert_eq!(communes["entries"][0]["unit"]["code"], "W2", "{communes}");
    assert_eq!(entry(&communes, "W2")["total"], 70.0);
    assert_eq!(entry(&communes, "W2")["rank"], 1);
    assert_eq!(entry(&communes, "W1")["total"], w1_total);
    assert_eq!(entry(&communes, "W1")["rank"], 2);
    assert_eq!(entry(&communes, "W1")["band"], "Trung bình");

    // The evaluator's dashboards, one query each: satisfaction by unit, dossiers by unit.
    let sat = app
        .ok(
            Some(&evaluator),
            "{ satisfaction(groupBy: UNIT) { groups { key unit { code } overall { answers } components { component answers satisfiedShare sufficient } } } }",
            json!({}),
        )
        .await;
    let groups = sat["satisfaction"]["groups"].as_array().unwrap();
    let codes: Vec<&str> = groups
        .iter()
        .map(|g| g["unit"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["D1", "W1"]);
    assert_eq!(groups[0]["key"], ids["D1"].as_str());
    assert_eq!(groups[0]["overall"]["answers"], 8);
    let official = groups[0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "OFFICIAL")
        .unwrap();
    assert_eq!(official["answers"], 4);
    assert_eq!(official["satisfiedShare"], 75.0);
    let months = app
        .ok(
            None,
            "{ satisfaction(groupBy: MONTH) { groups { month overall { answers } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        months["satisfaction"]["groups"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        months["satisfaction"]["groups"][0]["overall"]["answers"],
        10
    );
    let stats_q = "{ dossierStatsByUnit { unit { code } stats { total completedOnTime late apologiesAtHandover apologiesMissing delaysExcused } } }";
    let by_unit = app.ok(Some(&evaluator), stats_q, json!({})).await;
    assert_eq!(
        by_unit["dossierStatsByUnit"],
        json!([
            { "unit": { "code": "D1" }, "stats": { "total": 5, "completedOnTime": 2, "late": 3, "apologiesAtHandover": 1, "apologiesMissing": 1, "delaysExcused": 1 } },
            { "unit": { "code": "W1" }, "stats": { "total": 1, "completedOnTime": 1, "late": 0, "apologiesAtHandover": 0, "apologiesMissing": 0, "delaysExcused": 0 } }
        ])
    );
    let mine = app.ok(Some(&w1), stats_q, json!({})).await;
    assert_eq!(mine["dossierStatsByUnit"].as_array().unwrap().len(), 1);
    assert_eq!(mine["dossierStatsByUnit"][0]["unit"]["code"], "W1");
    assert_eq!(
        error_code(&app.gql(None, stats_q, json!({})).await),
        "UNAUTHENTICATED"
    );

    // W1's breakdown, as its official: the insufficient sample says so, and the late complaint
    // is the row behind the lost points.
    let bv = |u: &str| json!({ "y": 2026, "u": ids[u] });
    let b = app.ok(Some(&w1), BREAKDOWN, bv("W1")).await["parBreakdown"].clone();
    assert_eq!(b["total"], w1_total);
    let s1 = criterion(&b, "S1");
    assert_eq!(s1["sufficient"], false);
    assert_eq!(s1["counted"], 1);
    assert_eq!(s1["lowerBound"], round2(100.0 * lb));
    assert_eq!(s1["points"], round2(20.0 * lb));
    assert!(
        s1["explanation"]
            .as_str()
            .unwrap()
            .contains("cỡ mẫu tối thiểu 3"),
        "{s1}"
    );
    let c1 = criterion(&b, "C1");
    assert_eq!(
        (
            c1["counted"].clone(),
            c1["good"].clone(),
            c1["points"].clone()
        ),
        (json!(1), json!(0), json!(0.0))
    );
    assert_eq!(criterion(&b, "T1")["counted"], 1);
    let rows = app
        .ok(
            Some(&w1),
            "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u, rowsOf: [\"C1\", \"S1\", \"T1\", \"A1\"]) { criteria { code rows { totalCount edges { node { kind code good score } } } } } }",
            bv("W1"),
        )
        .await;
    let crit = |code: &str| {
        rows["parBreakdown"]["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        crit("C1")["rows"]["edges"][0]["node"],
        json!({ "kind": "COMPLAINT", "code": late_code, "good": false, "score": null })
    );
    assert_eq!(crit("S1")["rows"]["totalCount"], 1);
    assert_eq!(crit("S1")["rows"]["edges"][0]["node"]["score"], 5);
    assert_eq!(crit("T1")["rows"]["edges"][0]["node"]["code"], "W1-01");
    assert_eq!(crit("A1")["rows"]["totalCount"], 0);

    // D1's breakdown: counts behind every computed point, the excused delay left out, the
    // improvement plan in order of points lost, the withdrawn deduction and the audit.
    let b = app.ok(Some(&d1), BREAKDOWN, bv("D1")).await["parBreakdown"].clone();
    assert_eq!(b["total"], 83.0);
    assert_eq!(b["rank"], 1);
    assert_eq!(b["blockSize"], 4);
    let t1 = criterion(&b, "T1");
    assert_eq!(
        (
            t1["counted"].clone(),
            t1["good"].clone(),
            t1["excluded"].clone(),
            t1["share"].clone(),
            t1["points"].clone()
        ),
        (json!(4), json!(2), json!(1), json!(50.0), json!(7.5))
    );
    let t2 = criterion(&b, "T2");
    assert_eq!(
        (
            t2["counted"].clone(),
            t2["good"].clone(),
            t2["points"].clone()
        ),
        (json!(2), json!(1), json!(2.5))
    );
    let s1 = criterion(&b, "S1");
    assert_eq!(
        (
            s1["counted"].clone(),
            s1["good"].clone(),
            s1["share"].clone(),
            s1["sufficient"].clone()
        ),
        (json!(4), json!(3), json!(75.0), json!(true))
    );
    assert_eq!(criterion(&b, "C1")["counted"], 2);
    assert_eq!(criterion(&b, "A1")["selfScore"], 40.0);
    assert_eq!(criterion(&b, "A1")["appraisedScore"], 38.0);
    assert_eq!(criterion(&b, "T")["points"], 10.0);
    let plan: Vec<&str> = b["improvementPlan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(plan, ["T1", "S1", "T2", "A1"]);
    assert_eq!(b["deducted"], 0.0);
    assert_eq!(b["deductions"][0]["removed"], true);
    assert_eq!(b["deductions"][0]["removalReason"], "Trừ nhầm");
    let actions: Vec<&str> = b["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            // The evaluator's acceptance of D1-03's apology at hand-over is in the record.
            "REVIEW_ACCEPTED",
            "APPRAISAL",
            "SELF_SCORE",
            "DEDUCTION_ADDED",
            "DEDUCTION_REMOVED"
        ]
    );
    let t1_rows = app
        .ok(
            Some(&evaluator),
            "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u, rowsOf: [\"T1\"]) { criteria { code rows(first: 10) { edges { node { code good } } } } } }",
            bv("D1"),
        )
        .await;
    let t1_rows: Vec<(String, bool)> = t1_rows["parBreakdown"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "T1")
        .unwrap()["rows"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["code"].as_str().unwrap().to_string(),
                e["node"]["good"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        t1_rows,
        [
            ("D1-03".to_string(), false),
            ("D1-04".to_string(), false),
            ("D1-01".to_string(), true),
            ("D1-02".to_string(), true)
        ]
    );
    let d3 = app.ok(Some(&evaluator), BREAKDOWN, bv("D3")).await["parBreakdown"].clone();
    assert_eq!(d3["deducted"], 5.0);
    assert_eq!(d3["deductions"].as_array().unwrap().len(), 1);
    assert_eq!(
        d3["deductions"][0]["reason"],
        "Chậm gửi báo cáo CCHC quý III"
    );

    // Another unit's official sees neither the unpublished breakdown nor its rows.
    assert!(app.ok(Some(&w2), BREAKDOWN, bv("D1")).await["parBreakdown"].is_null());
    assert!(app.ok(None, BREAKDOWN, bv("D1")).await["parBreakdown"].is_null());
    // Once computed, a unit no longer changes its self-assessment.
    let b = app
        .gql(Some(&d1), SCORE, score("D1", json!({ "selfScore": 39 })))
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // Publishing freezes the year.
    let published = app
        .ok(
            Some(&evaluator),
            "mutation { publishParIndex(year: 2026) { status publishedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(published["publishParIndex"]["status"], "PUBLISHED");
    let frozen = app.ok(None, TABLE, tv("DEPARTMENT")).await["parIndex"].clone();
    assert_eq!(frozen["entries"], dept["entries"]);

    // New ratings, a renamed unit and another computation change nothing in that year.
    let d2 = app.script_token(Role::Official, Some("D2")).await;
    dossier(&app, &d2, "D2-01", "D2", false).await;
    rate(&app, "D2-01", 5, 5).await;
    app.ok(
        Some(&admin),
        "mutation($id: ID!) { updateUnit(id: $id, input: {name: \"Sở Mới Sau Sắp Xếp\"}) { name } }",
        json!({ "id": ids["D4"] }),
    )
    .await;
    let again = app
        .ok(Some(&evaluator), COMPUTE, json!({ "y": 2026 }))
        .await["computeParIndex"]
        .clone();
    assert_eq!(again["recomputed"], false);
    assert_eq!(again["period"]["status"], "PUBLISHED");
    let after = app.ok(None, TABLE, tv("DEPARTMENT")).await["parIndex"].clone();
    assert_eq!(after["entries"], dept["entries"]);
    assert_eq!(entry(&after, "D4")["unit"]["name"], "Đơn vị D4");

    // An evaluator cannot change a published year.
    let b = app
        .gql(
            Some(&evaluator),
            SCORE,
            score("D2", json!({ "appraisedScore": 40 })),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    let b = app
        .gql(
            Some(&evaluator),
            DEDUCT,
            deduct("D2", "A1", 1.0, "Sau khi công bố"),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    let b = app
        .gql(
            Some(&evaluator),
            "mutation { publishParIndex(year: 2026) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // Published: everyone reads the breakdown, but the rows stay with the unit's staff.
    let public = app.ok(None, BREAKDOWN, bv("D1")).await["parBreakdown"].clone();
    assert_eq!(public["total"], 83.0);
    assert_eq!(public["audit"], json!([]));
    let rows_q = "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u, rowsOf: [\"T1\"]) { criteria { rows { totalCount } } } }";
    assert_eq!(
        error_code(&app.gql(None, rows_q, bv("D1")).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(Some(&w2), rows_q, bv("D1")).await),
        "FORBIDDEN"
    );

    // Open data: CSV with a BOM, one row per unit, and JSON.
    let csv = app
        .client
        .get(app.url("/open-data/par-index/2026.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "year,block,unit_code,unit_name,total,band,rank,block_size,previous_total,area_A,area_S,area_T,area_C"
    );
    assert_eq!(lines.len(), 8, "{text}");
    assert_eq!(
        lines[1],
        "2026,DEPARTMENT,D1,Đơn vị D1,83.00,Khá,1,4,80.50,38.00,25.00,10.00,10.00"
    );
    assert!(
        lines.contains(
            &"2026,VERTICAL_AGENCY,V1,Đơn vị V1,69.00,Trung bình,,1,,39.00,0.00,20.00,10.00"
        ),
        "{text}"
    );
    let j: Value = app
        .client
        .get(app.url("/open-data/par-index/2026.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["rows"].as_array().unwrap().len(), 7);
    assert_eq!(j["rows"][0]["unitCode"], "D1");
    assert_eq!(j["rows"][0]["total"], 83.0);
    let missing = app
        .client
        .get(app.url("/open-data/par-index/2024.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_imported_2022_year_reproduces_the_reference_article() {
    let app = TestApp::spawn().await;
    let tv = |b: &str| json!({ "y": 2022, "b": b });
    let dept = app.ok(None, TABLE, tv("DEPARTMENT")).await["parIndex"].clone();
    assert_eq!(dept["status"], "PUBLISHED");
    assert_eq!(dept["blockSize"], 26);
    assert_eq!(dept["ranked"], true);
    let row = |t: &Value, code: &str| {
        let e = entry(t, code);
        (
            e["unit"]["name"].as_str().unwrap().to_string(),
            e["total"].as_f64().unwrap(),
            e["band"].as_str().unwrap().to_string(),
            e["rank"].as_i64(),
        )
    };
    assert_eq!(
        row(&dept, "STP"),
        ("Sở Tư pháp".into(), 97.57, "Tốt".into(), Some(1))
    );
    assert_eq!(
        row(&dept, "ITPC"),
        (
            "Trung tâm Xúc tiến Thương mại và Đầu tư".into(),
            85.18,
            "Tốt".into(),
            Some(26)
        )
    );
    assert_eq!(
        dept["entries"].as_array().unwrap().len(),
        2,
        "no invented figure: {dept}"
    );
    let vert = app.ok(None, TABLE, tv("VERTICAL_AGENCY")).await["parIndex"].clone();
    assert_eq!(
        (vert["blockSize"].clone(), vert["ranked"].clone()),
        (json!(7), json!(false))
    );
    assert_eq!(
        row(&vert, "CHQ"),
        ("Cục Hải quan".into(), 95.17, "Tốt".into(), None)
    );
    assert_eq!(
        row(&vert, "BHXH"),
        ("Bảo hiểm Xã hội".into(), 88.12, "Tốt".into(), None)
    );
    let dist = app.ok(None, TABLE, tv("DISTRICT")).await["parIndex"].clone();
    assert_eq!(dist["blockSize"], 22);
    assert_eq!(
        row(&dist, "QBTA"),
        ("Quận Bình Tân".into(), 96.53, "Tốt".into(), Some(1))
    );
    assert_eq!(
        row(&dist, "Q5"),
        ("Quận 5".into(), 86.22, "Tốt".into(), Some(22))
    );
    assert_eq!(dist["entries"][0]["unit"]["code"], "QBTA");

    let b = app
        .ok(
            None,
            "query($u: ID!) { parBreakdown(year: 2022, unit: $u) { imported total band rank blockSize criteria { code } } }",
            json!({ "u": app.unit_id("Q5").await }),
        )
        .await;
    assert_eq!(
        b["parBreakdown"],
        json!({ "imported": true, "total": 86.22, "band": "Tốt", "rank": 22, "blockSize": 22, "criteria": [] })
    );

    // The CSV says the same.
    let body = app
        .client
        .get(app.url("/open-data/par-index/2022.csv"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    for line in [
        "2022,DEPARTMENT,STP,Sở Tư pháp,97.57,Tốt,1,26,",
        "2022,DEPARTMENT,ITPC,Trung tâm Xúc tiến Thương mại và Đầu tư,85.18,Tốt,26,26,",
        "2022,VERTICAL_AGENCY,CHQ,Cục Hải quan,95.17,Tốt,,7,",
        "2022,VERTICAL_AGENCY,BHXH,Bảo hiểm Xã hội,88.12,Tốt,,7,",
        "2022,DISTRICT,QBTA,Quận Bình Tân,96.53,Tốt,1,22,",
        "2022,DISTRICT,Q5,Quận 5,86.22,Tốt,22,22,",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    assert_eq!(text.lines().count(), 7);

    // An imported year is read-only, even for an evaluator.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let b = app
        .gql(
            Some(&evaluator),
            SCORE,
            json!({ "i": { "year": 2022, "unit": app.unit_id("STP").await, "criterion": "1.1", "appraisedScore": 1 } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT", "{b}");
    let b = app
        .gql(
            Some(&evaluator),
            "mutation { openParPeriod(input: {year: 2022}) { year } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
}

#[tokio::test]
async fn a_year_opens_with_the_default_template_and_refuses_bad_ones() {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let bad = |t: &str| json!({ "i": { "year": 2026, "template": t } });
    let b = app
        .gql(
            Some(&evaluator),
            OPEN,
            bad(r#"{"criteria":[{"code":"X","name":"x","max":99,"source":"APPRAISED"}]}"#),
        )
        .await;
    assert_eq!(error_field(&b), "input.template", "{b}");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("99"),
        "{b}"
    );
    let b = app
        .gql(
            Some(&evaluator),
            OPEN,
            bad(
                r#"{"criteria":[{"code":"X","name":"x","max":100,"source":"SATISFACTION(MOOD)"}]}"#,
            ),
        )
        .await;
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("X"),
        "{b}"
    );
    let b = app
        .gql(
            Some(&evaluator),
            OPEN,
            json!({ "i": { "year": 2026, "bands": [ { "name": "Tốt", "min": 80 } ] } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.bands", "{b}");
    // Nothing was written by the refused attempts.
    assert!(
        app.ok(None, TABLE, json!({ "y": 2026, "b": "COMMUNE" }))
            .await["parIndex"]
            .is_null()
    );

    let p = app
        .ok(Some(&evaluator), OPEN, json!({ "i": { "year": 2026 } }))
        .await["openParPeriod"]
        .clone();
    let areas: Vec<&Value> = p["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"].as_str().unwrap().len() == 1)
        .collect();
    assert_eq!(areas.len(), 8);
    let sat: f64 = p["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"] == "SATISFACTION")
        .map(|c| c["max"].as_f64().unwrap())
        .sum();
    assert!((sat - 32.0).abs() < 1e-9, "{sat}");
    assert_eq!(p["bands"][0], json!({ "name": "Tốt", "min": 80.0 }));
    // The 2026 units are the city's of today: the wards, not the abolished districts.
    let codes: Vec<&str> = p["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"P.CHOLON") && codes.contains(&"STP"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"Q5") && !codes.contains(&"SKHDT"),
        "{codes:?}"
    );

    // Computing the demo year works over the synthetic feedback, and says what is missing.
    let c = app
        .ok(Some(&evaluator), COMPUTE, json!({ "y": 2026 }))
        .await["computeParIndex"]
        .clone();
    assert!(c["missingAppraisals"].as_u64().unwrap() > 0, "{c}");
    let official = app.login("q5.canbo", "gopy-official-demo").await;
    let b = app
        .gql(
            Some(&official),
            "mutation { publishParIndex(year: 2026) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
}

/// The running tallies the index sums agree with the ratings themselves, after the demo seed
/// and after ratings submitted through the API.
#[tokio::test]
async fn the_tallies_agree_with_the_ratings() {
    let app = TestApp::spawn().await;
    assert!(assert_tallies_agree(&app).await > 10);
    let official = app.login("stp.canbo", "gopy-official-demo").await;
    app.record_dossier(
        &official,
        "STP-TALLY-1",
        "STP",
        "2.000488",
        "2026-11-30T09:00:00+07:00",
    )
    .await;
    app.complete_dossier(&official, "STP-TALLY-1").await;
    let code = app.rating_code("STP-TALLY-1").await;
    app.ok(
        None,
        "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }",
        json!({ "i": { "dossierCode": "STP-TALLY-1", "ratingCode": code,
                       "scores": [ { "component": "ACCESS", "score": 2 }, { "component": "RESULT", "score": 5 } ] } }),
    )
    .await;
    assert_tallies_agree(&app).await;
}

/// Compares the running tallies with the ratings themselves; returns the (unit, component) pairs.
pub async fn assert_tallies_agree(app: &TestApp) -> usize {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::ExprTrait;
    let db = &app.state.db;
    let mut raw = portal::ratings::stats::tally_select(entity::rating::Column::UnitId, "unit_id");
    raw.and_where(
        sea_orm::sea_query::Expr::col((entity::rating::Entity, entity::rating::Column::Verified))
            .eq(true),
    );
    let mut expected = std::collections::BTreeMap::new();
    for row in db.query_all(&raw).await.unwrap() {
        let (c, t) = portal::ratings::stats::tally_of(&row).unwrap().unwrap();
        let u: String = row.try_get("", "unit_id").unwrap();
        expected.insert(
            (u, format!("{c:?}")),
            (t.answers as i64, t.score_sum as i64, t.satisfied as i64),
        );
    }
    let mut got: std::collections::BTreeMap<(String, String), (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    for t in entity::rating_tally::Entity::find()
        .filter(entity::rating_tally::Column::Verified.eq(true))
        .all(db)
        .await
        .unwrap()
    {
        let e = got
            .entry((t.unit_id, format!("{:?}", t.component)))
            .or_default();
        e.0 += t.answers;
        e.1 += t.score_sum;
        e.2 += t.satisfied;
    }
    assert_eq!(got, expected);
    expected.len()
}

/// A district carries its wards' figures; an open, overdue dossier with a timely apology counts
/// as apologised and an excused open one as left out; deductions never exceed a criterion;
/// no future year opens; the CSV never hands a spreadsheet a formula; breakdowns weigh like
/// searches.
#[tokio::test]
async fn wards_count_for_their_district_and_open_late_dossiers_are_counted_right() {
    let app = bare_app().await;
    let admin = app.script_token(Role::Admin, None).await;
    let evaluator = app.script_token(Role::Evaluator, None).await;
    let qt = unit(&app, &admin, "QT", "DISTRICT").await;
    let pt = app
        .ok(
            Some(&admin),
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
            json!({ "i": { "code": "PT", "name": "Phường Thử", "block": "COMMUNE", "parent": qt, "validFrom": "2026-01-01" } }),
        )
        .await["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        Some(&admin),
        "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id } }",
        json!({ "i": { "code": "9.000001", "name": "Thủ tục thử nghiệm", "field": "Thử nghiệm", "level": "COMMUNE",
                       "processingDays": 5, "units": [qt, pt] } }),
    )
    .await;
    let official = app.script_token(Role::Official, Some("PT")).await;
    // PT-01: received recently, apologised in time, and (time passes) now overdue and open.
    app.record_dossier(
        &official,
        "PT-01",
        "PT",
        "9.000001",
        "2026-11-30T09:00:00+07:00",
    )
    .await;
    app.ok(
        Some(&official),
        "mutation($dossier: ID!) { issueApology(id: $dossier, reason: \"Chờ xác minh\", newDueAt: \"2026-12-28T17:00:00+07:00\") { apologyStatus } }",
        json!({ "dossier": app.dossier_id("PT-01").await }),
    )
    .await;
    let past = portal::clock::now() - chrono::Duration::days(1);
    entity::dossier::Entity::update_many()
        .col_expr(
            entity::dossier::Column::OriginalDueAt,
            sea_orm::sea_query::Expr::value(past),
        )
        .filter(entity::dossier::Column::Code.eq("PT-01"))
        .exec(&app.state.db)
        .await
        .unwrap();
    // PT-02: completed late without an apology. PT-03: open, overdue, excused.
    dossier(&app, &official, "PT-02", "PT", true).await;
    app.record_dossier(
        &official,
        "PT-03",
        "PT",
        "9.000001",
        "2026-03-02T09:00:00+07:00",
    )
    .await;
    app.ok(
        Some(&official),
        "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Chờ người nộp bổ sung\") { apologyStatus } }",
        json!({ "dossier": app.dossier_id("PT-03").await }),
    )
    .await;

    let template = r#"{"criteria": [
      {"code": "T1", "name": "Đúng hạn", "max": 50, "source": "TIMELINESS"},
      {"code": "T2", "name": "Xin lỗi", "max": 50, "source": "APOLOGY"}]}"#;
    let b = app
        .gql(
            Some(&evaluator),
            OPEN,
            json!({ "i": { "year": 2027, "template": template } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.year", "{b}");
    let b = app
        .gql(
            Some(&evaluator),
            OPEN,
            json!({ "i": { "year": 2026, "template": template.replace("Đúng hạn", "Đúng\\nhạn") } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.template", "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("một dòng"),
        "{b}"
    );
    let p = app
        .ok(
            Some(&evaluator),
            OPEN,
            json!({ "i": { "year": 2026, "template": template } }),
        )
        .await;
    let codes: Vec<&str> = p["openParPeriod"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["QT"], "the ward is scored through its district");

    // Deductions on one criterion add up to its maximum at most.
    let deduct = |c: &str, pts: f64| json!({ "i": { "year": 2026, "unit": qt, "criterion": c, "points": pts, "reason": "Chậm báo cáo" } });
    let mut keyed = deduct("T1", 30.0);
    keyed["i"]["idempotencyKey"] = json!("qt-t1");
    let first = app.ok(Some(&evaluator), DEDUCT, keyed.clone()).await;
    let b = app.gql(Some(&evaluator), DEDUCT, deduct("T1", 25.0)).await;
    assert_eq!(error_field(&b), "input.points", "{b}");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("30"),
        "{b}"
    );
    // A retry of the first is still its first answer, cap or not.
    let again = app.ok(Some(&evaluator), DEDUCT, keyed).await;
    assert_eq!(
        again["addParDeduction"]["id"],
        first["addParDeduction"]["id"]
    );
    let b = app.gql(Some(&evaluator), DEDUCT, deduct("T2", 0.004)).await;
    assert_eq!(error_field(&b), "input.points", "{b}");
    // Two deductions at once cannot pass the cap together.
    let (x, y) = tokio::join!(
        app.gql(Some(&evaluator), DEDUCT, deduct("T2", 30.0)),
        app.gql(Some(&evaluator), DEDUCT, deduct("T2", 30.0))
    );
    let accepted = [&x, &y]
        .iter()
        .filter(|b| b.get("errors").is_none())
        .count();
    assert_eq!(accepted, 1, "{x}\n{y}");
    let refused = if x.get("errors").is_some() { &x } else { &y };
    assert_eq!(error_field(refused), "input.points", "{refused}");

    app.ok(Some(&evaluator), COMPUTE, json!({ "y": 2026 }))
        .await;
    let b = app
        .ok(
            Some(&evaluator),
            "query($u: ID!) { parBreakdown(year: 2026, unit: $u, rowsOf: [\"T2\"]) { total criteria { code counted good excluded points rows { edges { node { code good } } } } } }",
            json!({ "u": qt }),
        )
        .await["parBreakdown"]
        .clone();
    // T1: PT-01 (open, overdue) and PT-02 (late) counted, none on time, PT-03 left out: 0.
    // T2: of those two late ones PT-01 was apologised in time: 50 × 1/2 = 25. Less 30: 0.
    let t1 = criterion(&b, "T1");
    assert_eq!(
        (
            t1["counted"].clone(),
            t1["good"].clone(),
            t1["excluded"].clone(),
            t1["points"].clone()
        ),
        (json!(2), json!(0), json!(1), json!(0.0))
    );
    let t2 = criterion(&b, "T2");
    assert_eq!(
        (
            t2["counted"].clone(),
            t2["good"].clone(),
            t2["points"].clone()
        ),
        (json!(2), json!(1), json!(25.0))
    );
    assert_eq!(
        t2["rows"]["edges"],
        json!([ { "node": { "code": "PT-02", "good": false } }, { "node": { "code": "PT-01", "good": true } } ])
    );
    assert_eq!(b["total"], 0.0);
    // Rows are listed for the criteria named in rowsOf only, ten at most: each list reads the
    // tables behind its criterion.
    assert!(t1["rows"].is_null(), "{t1}");
    let eleven: Vec<String> = (0..11).map(|i| format!("\"X{i}\"")).collect();
    let b11 = app
        .gql(
            Some(&evaluator),
            &format!(
                "query($u: ID!) {{ parBreakdown(year: 2026, unit: $u, rowsOf: [{}]) {{ total }} }}",
                eleven.join(", ")
            ),
            json!({ "u": qt }),
        )
        .await;
    assert_eq!(error_field(&b11), "rowsOf", "{b11}");

    // Fifty breakdowns in one request weigh too much.
    let many: String = (0..50)
        .map(|i| format!("b{i}: parBreakdown(year: 2026, unit: \"{qt}\") {{ total }} "))
        .collect();
    let b = app
        .gql(Some(&evaluator), &format!("{{ {many} }}"), json!({}))
        .await;
    assert!(
        b["errors"][0]["extensions"]["cost"].as_u64().unwrap() > 5000,
        "{b}"
    );
    assert!(
        b["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap()
            .starts_with('b'),
        "the heaviest is one of the breakdowns: {b}"
    );

    // A unit name that a spreadsheet would run as a formula is written as text.
    app.ok(
        Some(&admin),
        "mutation($id: ID!) { updateUnit(id: $id, input: {name: \"=HYPERLINK(\\\"http://x\\\")\"}) { name } }",
        json!({ "id": qt }),
    )
    .await;
    app.ok(
        Some(&evaluator),
        "mutation { publishParIndex(year: 2026) { status } }",
        json!({}),
    )
    .await;
    // The period kept the name of the year; the rename happened before publication but after
    // opening, so the CSV shows the name of that year.
    let text = app
        .client
        .get(app.url("/open-data/par-index/2026.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(",QT,Đơn vị QT,"), "{text}");
    let alias = app
        .client
        .get(app.url("/open-data/par-index/02026.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(alias.status(), 404);
    let csv = portal::par::open_data::csv(&portal::par::open_data::OpenTable {
        year: 2026,
        imported: false,
        source: None,
        published_at: None,
        rows: vec![portal::par::open_data::OpenRow {
            year: 2026,
            block: "COMMUNE".into(),
            unit_code: "X".into(),
            unit_name: "=HYPERLINK(\"http://x\")".into(),
            total: 1.0,
            band: "@Tốt".into(),
            rank: None,
            block_size: None,
            previous_total: None,
            areas: vec![],
        }],
    })
    .unwrap();
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",1.00,'@Tốt,"),
        "{csv}"
    );
}
