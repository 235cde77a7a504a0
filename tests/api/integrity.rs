//! No unit moves its own PAR score alone (DESIGN.md §7): the review's sequence of attacks, as
//! the official of phường Chợ Lớn on the demo, leaves the unit's total and rank as the facts
//! say; each request waits in the evaluator's queue with its effect, and accepting it moves the
//! total by exactly that effect once the year is computed again.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{OFFICE_ADDR, TestApp, error_code};

const YEAR: i32 = 2026;
const RECORD: &str = "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code ratingCode late dueAt originalDueAt parReview { kind status } } }";
const COMPUTE: &str = "mutation($y: Int!) { computeParIndex(year: $y) { period { status } } }";
const TABLE: &str = "query($y: Int!) { parIndex(year: $y, block: COMMUNE) { entries { unit { code } total rank } } }";
const QUEUE: &str = "query($f: ParReviewFilter) { parReviews(filter: $f, first: 8) { totalCount edges { node { id kind status code unit { code } claimedAt reason effect { before after change criteria { code before after } } } } } }";
const DECIDE: &str = "mutation($i: DecideParReviewInput!) { decideParReview(input: $i) { status decidedAt decisionReason } }";

/// Computes the year and returns the unit's total and rank in its block.
async fn standing(app: &TestApp, evaluator: &str, unit: &str) -> (f64, i64) {
    app.ok(Some(evaluator), COMPUTE, json!({ "y": YEAR })).await;
    let t = app.ok(Some(evaluator), TABLE, json!({ "y": YEAR })).await;
    let e = t["parIndex"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit"]["code"] == unit)
        .unwrap_or_else(|| panic!("{unit} is not in the table: {t}"))
        .clone();
    (e["total"].as_f64().unwrap(), e["rank"].as_i64().unwrap())
}

fn ago(days: i64) -> String {
    (portal::clock::now() - chrono::Duration::days(days)).to_rfc3339()
}

async fn record(
    app: &TestApp,
    official: &str,
    code: &str,
    unit: &str,
    due_at: Option<String>,
) -> Value {
    let procedure = app.procedure_id("1.001193").await;
    let d = app
        .ok(
            Some(official),
            RECORD,
            json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN",
                           "receivedAt": ago(20), "dueAt": due_at } }),
        )
        .await;
    app.keep_receipt(&d["recordDossier"]);
    d["recordDossier"].clone()
}

/// A complaint about the unit, filed by a citizen, whose deadlines have passed.
async fn overdue_complaint(app: &TestApp, unit: &str, title: &str) -> String {
    let c = app
        .ok(
            None,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id } }",
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "title": title,
                           "body": "Hồ sơ trễ hẹn mà chưa được thông báo lý do.",
                           "contact": { "name": "Trần Văn D", "phone": "0903 111 222" } } }),
        )
        .await;
    let id = c["fileComplaint"]["id"].as_str().unwrap().to_string();
    // Time passes: the complaint was filed weeks ago.
    let past = portal::clock::now() - chrono::Duration::days(20);
    entity::complaint::Entity::update_many()
        .col_expr(
            entity::complaint::Column::AnswerDueAt,
            sea_orm::sea_query::Expr::value(past),
        )
        .col_expr(
            entity::complaint::Column::ForwardDueAt,
            sea_orm::sea_query::Expr::value(past - chrono::Duration::days(5)),
        )
        .filter(entity::complaint::Column::Id.eq(id.clone()))
        .exec(&app.state.db)
        .await
        .unwrap();
    id
}

/// The demo with the year opened: the evaluator, the officials of phường Chợ Lớn and of Sở Tư
/// pháp, and the two units.
struct Scene {
    app: TestApp,
    evaluator: String,
    q5: String,
    stp: String,
    unit: String,
    other: String,
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    let other = app.unit_id("STP").await;
    app.ok(
        Some(&evaluator),
        "mutation($i: OpenParPeriodInput!) { openParPeriod(input: $i) { year } }",
        json!({ "i": { "year": YEAR } }),
    )
    .await;
    Scene {
        app,
        evaluator,
        q5,
        stp,
        unit,
        other,
    }
}

#[tokio::test]
async fn a_unit_cannot_raise_its_own_score_and_each_request_waits_for_the_evaluator() {
    let Scene {
        app,
        evaluator,
        q5,
        stp,
        unit,
        other,
    } = scene().await;

    // The facts: dossiers received three weeks ago for a one-day procedure, and complaints
    // whose deadlines have passed.
    let excuse = record(&app, &q5, "CL-EXCUSE", &unit, None).await;
    assert_eq!(excuse["late"], true);
    record(&app, &q5, "CL-BACKDATE", &unit, None).await;
    record(&app, &q5, "CL-HANDOVER", &unit, None).await;
    app.complete_dossier(&q5, "CL-HANDOVER").await;
    // Handed over three days ago, late and without an apology.
    entity::dossier::Entity::update_many()
        .col_expr(
            entity::dossier::Column::CompletedAt,
            sea_orm::sea_query::Expr::value(portal::clock::now() - chrono::Duration::days(3)),
        )
        .filter(entity::dossier::Column::Code.eq("CL-HANDOVER"))
        .exec(&app.state.db)
        .await
        .unwrap();
    // An appointment eleven months out for a one-day procedure: flagged, the index keeps the
    // statutory time.
    let far = record(
        &app,
        &q5,
        "CL-FAR",
        &unit,
        Some((portal::clock::now() + chrono::Duration::days(330)).to_rfc3339()),
    )
    .await;
    assert_eq!(far["late"], true, "{far}");
    assert_ne!(far["dueAt"], far["originalDueAt"], "{far}");
    assert_eq!(far["parReview"]["kind"], "LONG_APPOINTMENT", "{far}");
    app.complete_dossier(&q5, "CL-FAR").await;
    let rated = record(&app, &q5, "CL-RATE", &unit, None).await;
    app.complete_dossier(&q5, "CL-RATE").await;
    let reclassify = overdue_complaint(&app, &unit, "Chậm trả kết quả khai sinh").await;
    let reject = overdue_complaint(&app, &unit, "Cán bộ hẹn nhiều lần").await;
    let forward = overdue_complaint(&app, &unit, "Không được hướng dẫn").await;
    let (before, rank_before) = standing(&app, &evaluator, "P.CHOLON").await;

    // The attacks, with nothing but the unit's official account and anonymous requests.
    let d = app
        .ok(
            Some(&q5),
            "mutation($dossier: ID!) { excuseDelay(id: $dossier, reason: \"Người dân chậm bổ sung\") { apologyStatus parReview { kind status } } }",
            json!({ "dossier": app.dossier_id("CL-EXCUSE").await }),
        )
        .await;
    assert_eq!(d["excuseDelay"]["apologyStatus"], "MISSING", "{d}");
    assert_eq!(d["excuseDelay"]["parReview"]["status"], "PENDING", "{d}");
    let received = excuse["originalDueAt"].as_str().unwrap().to_string();
    let d = app
        .ok(
            Some(&q5),
            "mutation($dossier: ID!, $t: DateTime) { completeDossier(id: $dossier, completedAt: $t, reason: \"Quên cập nhật\") { late completedAt } }",
            json!({ "dossier": app.dossier_id("CL-BACKDATE").await, "t": received }),
        )
        .await;
    assert_eq!(
        d["completeDossier"]["late"], true,
        "counted as recorded: {d}"
    );
    let d = app
        .ok(
            Some(&q5),
            "mutation($dossier: ID!) { issueApology(id: $dossier, reason: \"Xin lỗi khi trả kết quả\") { apologyStatus apology { atHandover late } } }",
            json!({ "dossier": app.dossier_id("CL-HANDOVER").await }),
        )
        .await;
    assert_eq!(d["issueApology"]["apologyStatus"], "LATE", "{d}");
    assert_eq!(d["issueApology"]["apology"]["atHandover"], false, "{d}");
    app.ok(
        Some(&q5),
        "mutation($id: ID!) { classifyComplaint(id: $id, track: COMPLAINT, note: \"Khiếu nại\") { id } }",
        json!({ "id": reclassify }),
    )
    .await;
    app.ok(
        Some(&q5),
        "mutation($id: ID!) { rejectComplaint(id: $id, reason: OUT_OF_SCOPE) { status } }",
        json!({ "id": reject }),
    )
    .await;
    app.ok(
        Some(&q5),
        "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u) { assignedUnit { code } } }",
        json!({ "id": forward, "u": other }),
    )
    .await;
    // The rating code showed once, in the recording's answer: no query reads it again, and a
    // rating from the office's address is refused.
    let code = rated["ratingCode"].as_str().unwrap().to_string();
    let again = app
        .ok(
            Some(&q5),
            "query { dossier: dossierByCode(code: \"CL-RATE\") { code ratingCode } }",
            json!({}),
        )
        .await;
    assert_eq!(again["dossier"]["code"], "CL-RATE");
    assert!(again["dossier"]["ratingCode"].is_null(), "{again}");
    let rate = json!({ "i": { "dossierCode": "CL-RATE", "ratingCode": code,
                              "scores": [{ "component": "OFFICIAL", "score": 5 }, { "component": "RESULT", "score": 5 }] } });
    let (_, b) = app
        .gql_full(
            None,
            "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }",
            rate.clone(),
            &[("x-forwarded-for", OFFICE_ADDR)],
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");

    // Nothing moved: the facts stand until the evaluator decides.
    let (after, rank_after) = standing(&app, &evaluator, "P.CHOLON").await;
    assert_eq!((after, rank_after), (before, rank_before));

    // The queue: every request, with its effect; the unit reads its own, others nothing of it.
    let f = json!({ "f": { "year": YEAR, "unit": unit, "status": "PENDING" } });
    let q = app.ok(Some(&evaluator), QUEUE, f.clone()).await;
    let nodes: Vec<Value> = q["parReviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let mut kinds: Vec<&str> = nodes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "EARLY_COMPLETION",
            "EXCUSED_DELAY",
            "HANDOVER_APOLOGY",
            "LATE_FORWARD",
            "LATE_RECLASSIFICATION",
            "LATE_REJECTION",
            "LONG_APPOINTMENT"
        ],
        "{q}"
    );
    let early = nodes
        .iter()
        .find(|n| n["kind"] == "EARLY_COMPLETION")
        .unwrap();
    assert_eq!(early["claimedAt"], json!(received), "{early}");
    assert_eq!(early["reason"], "Quên cập nhật");
    let own = app.ok(Some(&q5), QUEUE, f.clone()).await;
    assert_eq!(own["parReviews"]["totalCount"], 7, "{own}");
    let theirs = app.ok(Some(&stp), QUEUE, f.clone()).await;
    assert_eq!(theirs["parReviews"]["totalCount"], 0, "{theirs}");
    let anonymous = app.gql(None, QUEUE, f.clone()).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    // A unit's official cannot accept its own request.
    let id = nodes[0]["id"].as_str().unwrap();
    let b = app
        .gql(
            Some(&q5),
            DECIDE,
            json!({ "i": { "id": id, "decision": "ACCEPT", "reason": "Đồng ý" } }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");

    // Each decision moves the total by exactly the effect shown, once computed again; a refusal
    // moves nothing.
    let mut total = after;
    let mut raised = 0.0;
    for listed in &nodes {
        // The effect as it stands now, after the decisions before it.
        let n = &app
            .ok(
                Some(&evaluator),
                "query($id: ID!) { parReview(id: $id) { id kind effect { before after change } } }",
                json!({ "id": listed["id"] }),
            )
            .await["parReview"];
        let refuse = n["kind"] == "LATE_FORWARD";
        let change = n["effect"]["change"]
            .as_f64()
            .unwrap_or_else(|| panic!("{n}"));
        assert_eq!(n["effect"]["before"].as_f64().unwrap(), total, "{n}");
        let d = app
            .ok(
                Some(&evaluator),
                DECIDE,
                json!({ "i": { "id": n["id"], "decision": if refuse { "REFUSE" } else { "ACCEPT" },
                               "reason": "Đã xem xét hồ sơ kèm theo" } }),
            )
            .await;
        assert_eq!(
            d["decideParReview"]["status"],
            if refuse { "REFUSED" } else { "ACCEPTED" }
        );
        let (now, _) = standing(&app, &evaluator, "P.CHOLON").await;
        let expected = if refuse { 0.0 } else { change };
        assert!(
            (now - total - expected).abs() < 0.006,
            "{}: {total} → {now}, shown {change}",
            n["kind"]
        );
        if !refuse {
            raised += change;
        }
        total = now;
    }
    assert!(
        raised > 0.0,
        "the accepted requests raised the total: {raised}"
    );
    // Decided once: a second decision is refused.
    let b = app
        .gql(
            Some(&evaluator),
            DECIDE,
            json!({ "i": { "id": id, "decision": "REFUSE", "reason": "Xem lại" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT", "{b}");
    // Every decision is in the year's audit of the unit.
    let audit = app
        .ok(
            Some(&evaluator),
            "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u) { audit { action detail } } }",
            json!({ "y": YEAR, "u": unit }),
        )
        .await;
    let decisions = audit["parBreakdown"]["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["action"]
                .as_str()
                .is_some_and(|x| x.starts_with("REVIEW_"))
        })
        .count();
    assert_eq!(decisions, 7, "{audit}");
}

#[tokio::test]
async fn evaluators_see_the_signals_of_a_unit_rating_itself() {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    // Five dossiers handed over and rated at once, from one address, with the same scores.
    for i in 0..5 {
        let code = format!("CL-SIG-{i}");
        record(&app, &q5, &code, &unit, None).await;
        app.complete_dossier(&q5, &code).await;
        let rc = app.rating_code(&code).await;
        app.ok(
            None,
            "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }",
            json!({ "i": { "dossierCode": code, "ratingCode": rc,
                           "scores": [{ "component": "OFFICIAL", "score": 5 }] } }),
        )
        .await;
    }
    let month = portal::clock::now_local().format("%Y-%m").to_string();
    let q = "query($m: String!, $u: ID) { ratingSignals(month: $m, unit: $u) { unit { code } month verified quick burst repeated touched touchedShare } }";
    let s = app
        .ok(Some(&evaluator), q, json!({ "m": month, "u": unit }))
        .await;
    let row = &s["ratingSignals"][0];
    assert_eq!(row["unit"]["code"], "P.CHOLON", "{s}");
    let verified = row["verified"].as_u64().unwrap();
    assert!(verified >= 5, "{s}");
    assert!(row["quick"].as_u64().unwrap() >= 5, "{s}");
    assert!(row["burst"].as_u64().unwrap() >= 5, "{s}");
    assert!(row["repeated"].as_u64().unwrap() >= 5, "{s}");
    assert!(row["touched"].as_u64().unwrap() >= 5, "{s}");
    // The unit's own officials do not read them, and a month is a month.
    let b = app.gql(Some(&q5), q, json!({ "m": month })).await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    let b = app
        .gql(Some(&evaluator), q, json!({ "m": "2026-13" }))
        .await;
    assert_eq!(crate::helpers::error_field(&b), "month", "{b}");
}

/// The counted and good items of a criterion of the unit, computed now.
async fn criterion(app: &TestApp, evaluator: &str, unit: &str, code: &str) -> (u64, u64) {
    app.ok(Some(evaluator), COMPUTE, json!({ "y": YEAR })).await;
    let b = app
        .ok(
            Some(evaluator),
            "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u) { criteria { code counted good } } }",
            json!({ "y": YEAR, "u": unit }),
        )
        .await;
    let c = b["parBreakdown"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {b}"))
        .clone();
    (c["counted"].as_u64().unwrap(), c["good"].as_u64().unwrap())
}

#[tokio::test]
async fn a_late_answer_stays_late_through_a_reopening_and_a_forward_and_return() {
    let Scene {
        app,
        evaluator,
        q5,
        stp,
        unit,
        other,
    } = scene().await;
    // Complaint handling is criterion 3.4 of the default template.
    let reopened = overdue_complaint(&app, &unit, "Trả lời chậm").await;
    let returned = overdue_complaint(&app, &unit, "Chuyển đi rồi trả về").await;
    let before = criterion(&app, &evaluator, &unit, "3.4").await;

    // Answered late; the filer reopens it, and the unit answers again within the new time.
    let act = |m: &str| format!("mutation($id: ID!) {{ {m} }}");
    app.ok(
        Some(&q5),
        &act("acceptComplaint(id: $id) { status }"),
        json!({ "id": reopened }),
    )
    .await;
    let a = app
        .ok(
            Some(&q5),
            &act("answerComplaint(id: $id, answer: \"Đã giải quyết.\") { answeredLate }"),
            json!({ "id": reopened }),
        )
        .await;
    assert_eq!(a["answerComplaint"]["answeredLate"], true, "{a}");
    let r = app
        .ok(
            None,
            "mutation($i: RateComplaintAnswerInput!) { rateComplaintAnswer(input: $i) { status } }",
            json!({ "i": { "id": reopened, "contact": "0903 111 222", "satisfied": false } }),
        )
        .await;
    assert_eq!(r["rateComplaintAnswer"]["status"], "ACCEPTED", "{r}");
    let a = app
        .ok(
            Some(&q5),
            &act("answerComplaint(id: $id, answer: \"Đã giải quyết lại.\") { answeredLate }"),
            json!({ "id": reopened }),
        )
        .await;
    assert_eq!(a["answerComplaint"]["answeredLate"], true, "{a}");

    // Forwarded away late, sent back, answered in the new time: one late item, not two.
    app.ok(
        Some(&q5),
        "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u) { id } }",
        json!({ "id": returned, "u": other }),
    )
    .await;
    app.ok(
        Some(&stp),
        "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u) { id } }",
        json!({ "id": returned, "u": unit }),
    )
    .await;
    app.ok(
        Some(&q5),
        &act("acceptComplaint(id: $id) { status }"),
        json!({ "id": returned }),
    )
    .await;
    app.ok(
        Some(&q5),
        &act("answerComplaint(id: $id, answer: \"Đã trả lời.\") { answeredLate }"),
        json!({ "id": returned }),
    )
    .await;
    let after = criterion(&app, &evaluator, &unit, "3.4").await;
    assert_eq!(after, before, "counted and on time, before and after");
}

#[tokio::test]
async fn staff_choose_no_rating_code_and_reasons_turn_no_text() {
    let app = TestApp::spawn().await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    let procedure = app.procedure_id("1.001193").await;
    let b = app
        .gql(
            Some(&q5),
            RECORD,
            json!({ "i": { "code": "CL-OWN", "unit": unit, "procedure": procedure, "filerKind": "CITIZEN",
                           "receivedAt": ago(20), "ratingCode": "aaaaaa" } }),
        )
        .await;
    assert_eq!(crate::helpers::error_field(&b), "input.ratingCode", "{b}");
    record(&app, &q5, "CL-BIDI", &unit, None).await;
    let b = app
        .gql(
            Some(&q5),
            "mutation($dossier: ID!, $r: String!) { excuseDelay(id: $dossier, reason: $r) { code } }",
            json!({ "dossier": app.dossier_id("CL-BIDI").await, "r": "Người dân chậm bổ sung \u{202E} 00.001 → 00.0 \u{202C}" }),
        )
        .await;
    assert_eq!(crate::helpers::error_field(&b), "reason", "{b}");
    // Refused whole: no excuse and no request were written.
    let d = app
        .ok(
            Some(&q5),
            "query { dossier: dossierByCode(code: \"CL-BIDI\") { delayExcuse { reason } parReview { kind } } }",
            json!({}),
        )
        .await;
    assert!(
        d["dossier"]["delayExcuse"].is_null() && d["dossier"]["parReview"].is_null(),
        "{d}"
    );
}

#[tokio::test]
async fn evaluators_see_dossiers_a_unit_records_and_completes_within_the_hour() {
    let Scene {
        app,
        evaluator,
        q5,
        unit,
        ..
    } = scene().await;
    let procedure = app.procedure_id("1.001193").await;
    for i in 0..3 {
        let code = format!("CL-QUICK-{i}");
        app.ok(
            Some(&q5),
            RECORD,
            json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN" } }),
        )
        .await;
        app.complete_dossier(&q5, &code).await;
    }
    let month = portal::clock::now_local().format("%Y-%m").to_string();
    let q = "query($m: String!, $u: ID) { dossierSignals(month: $m, unit: $u) { unit { code } month recorded byStaff quick quickShare } }";
    let s = app
        .ok(Some(&evaluator), q, json!({ "m": month, "u": unit }))
        .await;
    let row = &s["dossierSignals"][0];
    assert_eq!(row["unit"]["code"], "P.CHOLON", "{s}");
    assert_eq!(row["month"], month.as_str());
    assert!(row["byStaff"].as_u64().unwrap() >= 3, "{s}");
    assert!(row["quick"].as_u64().unwrap() >= 3, "{s}");
    assert!(row["recorded"].as_u64().unwrap() >= row["byStaff"].as_u64().unwrap());
    let b = app.gql(Some(&q5), q, json!({ "m": month })).await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    let b = app
        .gql(Some(&evaluator), q, json!({ "m": "03/2026" }))
        .await;
    assert_eq!(crate::helpers::error_field(&b), "month", "{b}");
}

/// Found by the review of issue 23: a unit's official cannot rate its own answer by typing the
/// filer's phone (staff read it in their view), and forwarding a complaint down to a sub-unit
/// and back gives no new time.
#[tokio::test]
async fn an_official_neither_rates_its_own_answer_nor_resets_deadlines_by_forwarding_in_circles() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let unit = app.unit_id("STP").await;
    let child = app
        .ok(
            Some(&admin),
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
            json!({ "i": { "code": "STP-PB1", "name": "Phòng Hành chính tư pháp", "block": "DEPARTMENT", "parent": unit } }),
        )
        .await["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let filed = app
        .ok(
            None,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id answerDueAt forwardDueAt } }",
            json!({ "i": { "kind": "FEEDBACK", "category": "GUIDANCE", "unit": unit, "title": "Hướng dẫn chưa rõ",
                           "body": "Cán bộ hướng dẫn chưa rõ thủ tục.", "contact": { "name": "Võ Văn G", "phone": "0912 000 111" } } }),
        )
        .await["fileComplaint"]
        .clone();
    let id = filed["id"].as_str().unwrap();
    // Days have passed since filing: the deadlines are close (as in the review's attack, a
    // week on). A new forwarding to a competent unit would give it ten working days anew.
    let soon = portal::clock::now() + chrono::Duration::days(2);
    entity::complaint::Entity::update_many()
        .col_expr(
            entity::complaint::Column::AnswerDueAt,
            sea_orm::sea_query::Expr::value(soon),
        )
        .col_expr(
            entity::complaint::Column::ForwardDueAt,
            sea_orm::sea_query::Expr::value(soon),
        )
        .filter(entity::complaint::Column::Id.eq(id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let before = app
        .ok(
            Some(&stp),
            "query($id: ID!) { complaint(id: $id) { answerDueAt forwardDueAt } }",
            json!({ "id": id }),
        )
        .await["complaint"]
        .clone();
    let assign = "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u) { answerDueAt forwardDueAt } }";
    let down = app
        .ok(Some(&stp), assign, json!({ "id": id, "u": child }))
        .await["assignComplaint"]
        .clone();
    let back = app
        .ok(Some(&stp), assign, json!({ "id": id, "u": unit }))
        .await["assignComplaint"]
        .clone();
    assert_eq!(down["answerDueAt"], before["answerDueAt"], "{down}");
    assert_eq!(back["answerDueAt"], before["answerDueAt"], "{back}");
    assert_eq!(back["forwardDueAt"], before["forwardDueAt"], "{back}");
    assert_ne!(before["answerDueAt"], filed["answerDueAt"]);

    for m in [
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đã hướng dẫn lại.\") { status } }",
    ] {
        app.ok(Some(&stp), m, json!({ "id": id })).await;
    }
    let rate = "mutation($i: RateComplaintAnswerInput!) { rateComplaintAnswer(input: $i) { status filerSatisfied } }";
    let input = json!({ "i": { "id": id, "contact": "0912000111", "satisfied": true } });
    assert_eq!(
        error_code(&app.gql(Some(&stp), rate, input.clone()).await),
        "FORBIDDEN"
    );
    let r = app.ok(None, rate, input).await;
    assert_eq!(r["rateComplaintAnswer"]["status"], "CLOSED");
    assert_eq!(r["rateComplaintAnswer"]["filerSatisfied"], true);
}
