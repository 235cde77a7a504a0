//! Complaints: the lifecycle to a published answer with its event log, forwarding, reopening,
//! rejection and duplicates, who sees the filer's contact, idempotent filing, and the number of
//! SQL statements a page costs.

use std::sync::atomic::Ordering;

use portal::auth::Role;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestApp, error_code, error_field};

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code status title answerDueAt forwardDueAt contact { name phone email } } }";
const VIEW: &str =
    "id code status title answer published overdue reopenCount rejectionReason allowedActions
    contact { name phone email } unit { code } assignedUnit { code } duplicateOf { code }
    events { action fromStatus toStatus actorRole note fromUnit { code } toUnit { code } }";

fn input(unit: &str, title: &str) -> Value {
    json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "title": title,
                   "body": "Hồ sơ của tôi quá hạn mười ngày mà chưa có kết quả.",
                   "contact": { "name": "Lê Thị C", "phone": "0903 123 456" } } })
}

async fn file(app: &TestApp, token: Option<&str>, unit_code: &str, title: &str) -> Value {
    let unit = app.unit_id(unit_code).await;
    app.ok(token, FILE, input(&unit, title)).await["fileComplaint"].clone()
}

async fn get(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let q = format!("query($id: ID!) {{ complaint(id: $id) {{ {VIEW} }} }}");
    app.ok(token, &q, json!({ "id": id })).await["complaint"].clone()
}

async fn step(app: &TestApp, token: &str, mutation: &str, args: Value) -> Value {
    app.gql(Some(token), mutation, args).await
}

const ACCEPT: &str = "mutation($id: ID!) { acceptComplaint(id: $id) { status } }";
const ANSWER: &str = "mutation($id: ID!, $a: String!, $p: Boolean) { answerComplaint(id: $id, answer: $a, publish: $p) { status published answer } }";
const CLOSE: &str = "mutation($id: ID!) { closeComplaint(id: $id) { status } }";
const RATE: &str = "mutation($i: RateComplaintAnswerInput!) { rateComplaintAnswer(input: $i) { status reopenCount filerSatisfied } }";

#[tokio::test]
async fn a_complaint_goes_from_filing_to_a_closed_published_answer() {
    let app = TestApp::spawn().await;
    let c = file(&app, None, "P.CHOLON", "Hồ sơ cấp phép xây dựng trễ hẹn").await;
    let id = c["id"].as_str().unwrap().to_string();
    let code = c["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("GY-") && code.len() == 12, "{code}");
    assert_eq!(c["status"], "RECEIVED");
    assert_eq!(c["contact"]["phone"], "0903123456");
    assert!(
        c["answerDueAt"]
            .as_str()
            .unwrap()
            .ends_with("T17:00:00+07:00")
    );

    // Before the answer is published nobody else sees it.
    assert!(get(&app, None, &id).await.is_null());
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    assert!(get(&app, Some(&stp), &id).await.is_null());

    // Another unit's official cannot act on it.
    let b = step(&app, &stp, ACCEPT, json!({ "id": id })).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app.gql(None, ACCEPT, json!({ "id": id })).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED");

    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let inbox = get(&app, Some(&q5), &id).await;
    assert_eq!(
        inbox["contact"]["name"], "Lê Thị C",
        "the assigned unit sees the contact"
    );
    assert_eq!(
        inbox["allowedActions"],
        json!([
            "ACCEPT",
            "REJECT",
            "ASSIGN",
            "MARK_DUPLICATE",
            "CLASSIFY",
            "LINK_TO_DIALOGUE",
            "RECORD_COMMITMENT"
        ])
    );

    assert_eq!(
        step(&app, &q5, ACCEPT, json!({ "id": id })).await["data"]["acceptComplaint"]["status"],
        "ACCEPTED"
    );
    let a = step(
        &app,
        &q5,
        ANSWER,
        json!({ "id": id, "a": "Đơn vị đã cấp phép và xin lỗi người dân." }),
    )
    .await;
    assert_eq!(
        a["data"]["answerComplaint"],
        json!({ "status": "ANSWERED", "published": true, "answer": "Đơn vị đã cấp phép và xin lỗi người dân." })
    );

    // The public sees the published answer, never who filed it.
    let public = app
        .ok(
            None,
            &format!("query($c: String!) {{ complaintByCode(code: $c) {{ {VIEW} }} }}"),
            json!({ "c": code.to_lowercase() }),
        )
        .await["complaintByCode"]
        .clone();
    assert_eq!(public["answer"], "Đơn vị đã cấp phép và xin lỗi người dân.");
    assert!(public["contact"].is_null());
    assert_eq!(public["events"], json!([]));
    let as_stp = get(&app, Some(&stp), &id).await;
    assert_eq!(as_stp["status"], "ANSWERED");
    assert!(
        as_stp["contact"].is_null(),
        "another unit's official sees no contact"
    );
    let listed = app
        .ok(
            None,
            "{ complaints(first: 100) { edges { node { id contact { phone } } } } }",
            json!({}),
        )
        .await;
    let found = listed["complaints"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == id.as_str())
        .cloned();
    assert!(found.is_some_and(|e| e["node"]["contact"].is_null()));

    // The filer, without an account, proves themselves with the phone and rates the answer.
    let filer_view = app
        .ok(
            None,
            &format!("query($c: String!, $k: String) {{ complaintByCode(code: $c, contact: $k) {{ {VIEW} }} }}"),
            json!({ "c": code, "k": "+84903123456" }),
        )
        .await["complaintByCode"]
        .clone();
    assert_eq!(filer_view["contact"]["name"], "Lê Thị C");
    let b = app
        .gql(
            None,
            RATE,
            json!({ "i": { "id": id, "contact": "0999999999", "satisfied": true } }),
        )
        .await;
    assert_eq!(
        error_code(&b),
        "FORBIDDEN",
        "a stranger cannot rate the answer"
    );
    let r = app
        .ok(None, RATE, json!({ "i": { "id": id, "contact": "0903123456", "satisfied": true, "comment": "Cảm ơn" } }))
        .await;
    assert_eq!(r["rateComplaintAnswer"]["status"], "CLOSED");

    let done = get(&app, Some(&q5), &id).await;
    let events: Vec<(String, Value, String)> = done["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["fromStatus"].clone(),
                e["toStatus"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            ("FILED".into(), Value::Null, "RECEIVED".into()),
            ("ACCEPTED".into(), json!("RECEIVED"), "ACCEPTED".into()),
            ("ANSWERED".into(), json!("ACCEPTED"), "ANSWERED".into()),
            ("RATED".into(), json!("ANSWERED"), "CLOSED".into()),
        ]
    );
    assert_eq!(done["events"][1]["actorRole"], "OFFICIAL");
    // A closed complaint takes no more steps of its lifecycle; it may still be reclassified,
    // brought to a dialogue and committed to.
    assert_eq!(
        done["allowedActions"],
        json!(["CLASSIFY", "LINK_TO_DIALOGUE", "RECORD_COMMITMENT"])
    );
    let b = step(&app, &q5, CLOSE, json!({ "id": id })).await;
    assert_eq!(error_code(&b), "CONFLICT");
}

#[tokio::test]
async fn illegal_transitions_say_what_is_allowed() {
    let app = TestApp::spawn().await;
    let c = file(&app, None, "P.CHOLON", "Phản ánh thử").await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let b = step(&app, &q5, ANSWER, json!({ "id": c["id"], "a": "Trả lời" })).await;
    assert_eq!(error_code(&b), "CONFLICT");
    let msg = b["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("Không thể trả lời phản ánh mới tiếp nhận") && msg.contains("nhận xử lý"),
        "{msg}"
    );
    assert_eq!(b["errors"][0]["extensions"]["status"], "RECEIVED");
    assert_eq!(b["errors"][0]["extensions"]["allowedActions"][0], "ACCEPT");
    let (_, en) = app
        .gql_full(
            Some(&q5),
            CLOSE,
            json!({ "id": c["id"] }),
            &[("accept-language", "en")],
        )
        .await;
    // In words, with the state and what it allows as data.
    let e = &en["errors"][0];
    assert_eq!(
        e["message"],
        "An item that is just received cannot be closed. It can be: accepted, rejected, forwarded, marked a duplicate.",
        "{en}"
    );
    assert_eq!(e["extensions"]["code"], "CONFLICT");
    assert_eq!(e["extensions"]["status"], "RECEIVED");
    assert_eq!(
        e["extensions"]["allowedActions"],
        json!(["ACCEPT", "REJECT", "ASSIGN", "MARK_DUPLICATE"])
    );
    // Nothing changed.
    assert_eq!(
        get(&app, Some(&q5), c["id"].as_str().unwrap()).await["status"],
        "RECEIVED"
    );
}

#[tokio::test]
async fn forwarding_hands_the_complaint_and_its_contact_to_the_other_unit() {
    let app = TestApp::spawn().await;
    let c = file(&app, None, "P.CHOLON", "Nhầm đơn vị").await;
    let id = c["id"].as_str().unwrap();
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let q1 = app.unit_id("P.BENTHANH").await;
    let assign = "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u, note: \"Thuộc thẩm quyền Quận 1\") { status assignedUnit { code } } }";
    let b = step(
        &app,
        &q5,
        assign,
        json!({ "id": id, "u": app.unit_id("P.CHOLON").await }),
    )
    .await;
    assert_eq!(error_field(&b), "unit");
    let b = step(&app, &q5, assign, json!({ "id": id, "u": q1 })).await;
    assert_eq!(
        b["data"]["assignComplaint"],
        json!({ "status": "RECEIVED", "assignedUnit": { "code": "P.BENTHANH" } }),
        "{b}"
    );

    // Quận 5 no longer acts on it nor sees the contact; Quận 1 does.
    assert_eq!(
        error_code(&step(&app, &q5, ACCEPT, json!({ "id": id })).await),
        "FORBIDDEN"
    );
    assert!(get(&app, Some(&q5), id).await.is_null());
    let q1_official = app.script_token(Role::Official, Some("P.BENTHANH")).await;
    let seen = get(&app, Some(&q1_official), id).await;
    assert_eq!(seen["contact"]["phone"], "0903123456");
    assert_eq!(seen["unit"]["code"], "P.CHOLON");
    let fwd = &seen["events"][1];
    assert_eq!(fwd["action"], "FORWARDED");
    assert_eq!(fwd["fromUnit"]["code"], "P.CHOLON");
    assert_eq!(fwd["toUnit"]["code"], "P.BENTHANH");
    assert_eq!(fwd["note"], "Thuộc thẩm quyền Quận 1");
    assert_eq!(
        step(&app, &q1_official, ACCEPT, json!({ "id": id })).await["data"]["acceptComplaint"]["status"],
        "ACCEPTED"
    );
}

#[tokio::test]
async fn an_unsatisfied_filer_reopens_once() {
    let app = TestApp::spawn().await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    // Signed in and without a contact: the account's e-mail is used.
    let c = app
        .ok(
            Some(&citizen),
            FILE,
            json!({ "i": { "kind": "PETITION", "category": "REGULATION", "unit": unit, "title": "Kiến nghị đơn giản hóa thủ tục",
                           "body": "Đề nghị bỏ yêu cầu bản sao chứng thực." } }),
        )
        .await["fileComplaint"]
        .clone();
    assert_eq!(c["contact"]["email"], "nguyenvana@demo.gopy.vn");
    let id = c["id"].as_str().unwrap();
    let mine = app
        .ok(
            Some(&citizen),
            "{ myComplaints { totalCount edges { node { id contact { email } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myComplaints"]["totalCount"], 1);
    assert_eq!(mine["myComplaints"]["edges"][0]["node"]["id"], id);

    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    step(&app, &q5, ACCEPT, json!({ "id": id })).await;
    step(&app, &q5, ANSWER, json!({ "id": id, "a": "Trả lời lần 1" })).await;
    let r = app
        .ok(
            Some(&citizen),
            RATE,
            json!({ "i": { "id": id, "satisfied": false, "comment": "Chưa thỏa đáng" } }),
        )
        .await;
    assert_eq!(
        r["rateComplaintAnswer"],
        json!({ "status": "ACCEPTED", "reopenCount": 1, "filerSatisfied": false })
    );
    step(&app, &q5, ANSWER, json!({ "id": id, "a": "Trả lời lần 2" })).await;
    let r = app
        .ok(
            Some(&citizen),
            RATE,
            json!({ "i": { "id": id, "satisfied": false } }),
        )
        .await;
    assert_eq!(
        r["rateComplaintAnswer"]["status"], "ANSWERED",
        "reopened once only"
    );
    // Another citizen is not the filer.
    let other = app.login("congty.demo", "gopy-business-demo").await;
    assert_eq!(
        error_code(
            &app.gql(
                Some(&other),
                RATE,
                json!({ "i": { "id": id, "satisfied": true } })
            )
            .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        step(&app, &q5, CLOSE, json!({ "id": id })).await["data"]["closeComplaint"]["status"],
        "CLOSED"
    );
    let events = get(&app, Some(&citizen), id).await["events"].clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "FILED", "ACCEPTED", "ANSWERED", "REOPENED", "ANSWERED", "RATED", "CLOSED"
        ]
    );
}

#[tokio::test]
async fn rejection_other_legal_tracks_and_duplicates() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("P.CHOLON").await;
    // A khiếu nại is received, flagged, and its filer told where it should go.
    let b = app
        .ok(
            None,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { status legalTrack { track notice } } }",
            input(&unit, "Khiếu nại quyết định xử phạt"),
        )
        .await;
    assert_eq!(b["fileComplaint"]["status"], "RECEIVED");
    assert_eq!(b["fileComplaint"]["legalTrack"]["track"], "COMPLAINT");
    assert!(
        b["fileComplaint"]["legalTrack"]["notice"]
            .as_str()
            .unwrap()
            .contains("Ban Tiếp công dân"),
        "{b}"
    );

    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let a = file(&app, None, "P.CHOLON", "Phản ánh A").await;
    let reject = "mutation($id: ID!, $r: RejectionReason!, $n: String) { rejectComplaint(id: $id, reason: $r, note: $n) { status rejectionReason } }";
    let b = step(&app, &q5, reject, json!({ "id": a["id"], "r": "OTHER" })).await;
    assert_eq!(error_field(&b), "note");
    let r = step(
        &app,
        &q5,
        reject,
        json!({ "id": a["id"], "r": "COMPLAINT_OR_DENUNCIATION" }),
    )
    .await;
    assert_eq!(r["data"]["rejectComplaint"]["status"], "REJECTED");
    assert!(
        r["data"]["rejectComplaint"]["rejectionReason"]
            .as_str()
            .unwrap()
            .contains("Luật Khiếu nại")
    );

    let orig = file(&app, None, "P.CHOLON", "Phản ánh gốc").await;
    let dup = file(&app, None, "P.CHOLON", "Phản ánh lặp lại").await;
    let mark = "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status duplicateOf { code } } }";
    assert_eq!(
        error_field(&step(&app, &q5, mark, json!({ "id": dup["id"], "of": dup["id"] })).await),
        "of"
    );
    let m = step(
        &app,
        &q5,
        mark,
        json!({ "id": dup["id"], "of": orig["id"] }),
    )
    .await;
    assert_eq!(m["data"]["markDuplicate"]["status"], "DUPLICATE", "{m}");
    assert_eq!(
        m["data"]["markDuplicate"]["duplicateOf"]["code"],
        orig["code"]
    );
}

#[tokio::test]
async fn filing_validates_normalises_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("P.CHOLON").await;
    let mut no_contact = input(&unit, "Thiếu liên hệ");
    no_contact["i"]["contact"] = json!({ "name": "Ẩn danh" });
    assert_eq!(
        error_field(&app.gql(None, FILE, no_contact).await),
        "input.contact"
    );
    let mut no_name = input(&unit, "Thiếu tên");
    no_name["i"]["contact"] = json!({ "phone": "0903123456" });
    assert_eq!(
        error_field(&app.gql(None, FILE, no_name).await),
        "input.contact.name"
    );
    assert_eq!(
        error_field(&app.gql(None, FILE, input(&unit, &"a".repeat(201))).await),
        "input.title"
    );
    let mut long = input(&unit, "Nội dung dài");
    long["i"]["body"] = json!("b".repeat(10_001));
    assert_eq!(error_field(&app.gql(None, FILE, long).await), "input.body");
    let mut bad_dossier = input(&unit, "Hồ sơ không tồn tại");
    bad_dossier["i"]["dossierCode"] = json!("NO-SUCH");
    assert_eq!(
        error_field(&app.gql(None, FILE, bad_dossier).await),
        "input.dossierCode"
    );
    // A dossier of another unit is refused.
    let mut other_unit = input(&unit, "Hồ sơ đơn vị khác");
    other_unit["i"]["dossierCode"] = json!("DEMO-STP-0001");
    assert_eq!(
        error_field(&app.gql(None, FILE, other_unit).await),
        "input.dossierCode"
    );

    // Text arrives decomposed (NFD) and is stored composed (NFC).
    let nfd: String = "Trễ hẹn cấp giấy phép".nfd().collect();
    let mut keyed = input(&unit, &nfd);
    keyed["i"]["idempotencyKey"] = json!("mobile-retry-42");
    keyed["i"]["dossierCode"] = json!("DEMO-P.CHOLON-0001");
    let first = app.ok(None, FILE, keyed.clone()).await["fileComplaint"].clone();
    assert_eq!(first["title"], "Trễ hẹn cấp giấy phép");
    let again = app.ok(None, FILE, keyed).await["fileComplaint"].clone();
    assert_eq!(again["code"], first["code"]);
    let admin = app.admin().await;
    let all = app
        .ok(Some(&admin), "query($u: ID) { complaints(filter: {assignedUnit: $u, status: RECEIVED}, first: 100) { totalCount edges { node { title dossier { code } } } } }", json!({ "u": unit }))
        .await;
    let titles: Vec<&str> = all["complaints"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles
            .iter()
            .filter(|t| **t == "Trễ hẹn cấp giấy phép")
            .count(),
        1,
        "{titles:?}"
    );
}

#[tokio::test]
async fn contacts_are_seen_by_the_filer_the_assigned_unit_and_admins_only() {
    let app = TestApp::spawn().await;
    let c = file(&app, None, "P.CHOLON", "Ai được xem liên hệ").await;
    let id = c["id"].as_str().unwrap();
    let admin = app.admin().await;
    assert_eq!(
        get(&app, Some(&admin), id).await["contact"]["phone"],
        "0903123456"
    );
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let ev = get(&app, Some(&evaluator), id).await;
    assert_eq!(ev["title"], "Ai được xem liên hệ");
    assert!(
        ev["contact"].is_null(),
        "evaluators read complaints without contacts"
    );
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    assert!(get(&app, Some(&citizen), id).await.is_null());
    // A wrong phone proves nothing, and says so on the contact.
    let q = "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { contact { name } } }";
    let b = app
        .gql(None, q, json!({ "c": c["code"], "k": "0903123457" }))
        .await;
    assert_eq!(error_field(&b), "contact", "{b}");
    assert!(b["data"]["complaintByCode"].is_null());
    let bad = app.gql(None, q, json!({ "c": "not-a-valid-code" })).await;
    assert_eq!(error_field(&bad), "code");
    // The evaluator cannot act.
    assert_eq!(
        error_code(&step(&app, &evaluator, ACCEPT, json!({ "id": id })).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn a_page_of_50_complaints_costs_a_bounded_number_of_statements() {
    // Statements are counted server-wide: no notification worker polling beside them.
    let app = TestApp::spawn_configured(|c| c.notify.worker = false).await;
    let admin = app.admin().await;
    let unit = app.unit_id("P.CHOLON").await;
    let procedure = app.procedure_id("1.009994").await;
    for i in 1..=50 {
        let mut inp = input(&unit, &format!("Phản ánh số {i}"));
        // Every fifth has a procedure only; the others a dossier (with its procedure).
        if i % 5 != 0 {
            inp["i"]["dossierCode"] = json!(format!("DEMO-P.CHOLON-{:04}", (i - 1) % 40 + 1));
        } else {
            inp["i"]["procedure"] = json!(procedure);
        }
        app.ok(Some(&admin), FILE, inp).await;
    }
    let q = "query($u: ID, $f: Int) { complaints(filter: {assignedUnit: $u, status: RECEIVED}, first: $f) { totalCount edges { node {
        code unit { name } assignedUnit { name } procedure { code name units { code } }
        dossier { code dueAt procedure { code } unit { code } } events { action } contact { phone } } } } }";
    let count = |first: i32| {
        let app = &app;
        let admin = admin.clone();
        let unit = unit.clone();
        async move {
            let before = app.state.sql_statements.load(Ordering::SeqCst);
            let page = app
                .ok(Some(&admin), q, json!({ "u": unit, "f": first }))
                .await;
            (
                app.state.sql_statements.load(Ordering::SeqCst) - before,
                page,
            )
        }
    };
    let (small, _) = count(5).await;
    let (used, page) = count(50).await;
    let edges = page["complaints"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    assert!(
        edges
            .iter()
            .filter(|e| e["node"]["dossier"]["code"].is_string())
            .count()
            >= 40
    );
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["procedure"]["code"].is_string())
    );
    // About one statement per kind of nested data, whatever the page size: 50 rows cost about
    // what 5 do, not ten times as much (a DataLoader's batch window may split a batch in two
    // when polling 50 rows' fields takes longer than the window, as on a debug build).
    assert!(
        used < small * 2,
        "5 rows ran {small} statements, 50 rows {used}"
    );
    assert!(
        used <= 20,
        "a page of 50 complaints ran {used} SQL statements"
    );
}

#[tokio::test]
async fn a_district_official_acts_on_its_wards_complaints_and_a_ward_official_on_its_own_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let q5 = app.unit_id("P.CHOLON").await;
    let ward = app
        .ok(
            Some(&admin),
            "mutation($p: ID) { createUnit(input: {code: \"Q5-P2\", name: \"Phường 2, Quận 5\", block: DISTRICT, parent: $p}) { id } }",
            json!({ "p": q5 }),
        )
        .await["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let in_ward =
        app.ok(None, FILE, input(&ward, "Phản ánh ở phường")).await["fileComplaint"].clone();
    let in_district = file(&app, None, "P.CHOLON", "Phản ánh ở quận").await;

    // The district's official sees and acts on the ward's complaint.
    let district = app.login("q5.canbo", "gopy-official-demo").await;
    assert_eq!(
        get(&app, Some(&district), in_ward["id"].as_str().unwrap()).await["contact"]["phone"],
        "0903123456"
    );
    assert_eq!(
        step(&app, &district, ACCEPT, json!({ "id": in_ward["id"] })).await["data"]["acceptComplaint"]
            ["status"],
        "ACCEPTED"
    );

    // The ward's official acts on the ward's complaints, not on the district's.
    let ward_official = app.script_token(Role::Official, Some("Q5-P2")).await;
    assert!(
        get(
            &app,
            Some(&ward_official),
            in_district["id"].as_str().unwrap()
        )
        .await
        .is_null()
    );
    assert_eq!(
        error_code(
            &step(
                &app,
                &ward_official,
                ACCEPT,
                json!({ "id": in_district["id"] })
            )
            .await
        ),
        "FORBIDDEN"
    );
    let listed = app
        .ok(
            Some(&ward_official),
            "{ complaints(first: 100) { totalCount edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["complaints"]["totalCount"], 1);
    assert_eq!(
        listed["complaints"]["edges"][0]["node"]["title"],
        "Phản ánh ở phường"
    );
}
