//! Personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): the notice and consent per purpose,
//! none by default; withdrawal; each kind of the data subject's request end to end, anonymous
//! and signed in, with due dates across a holiday; deletion that leaves the PAR figures as they
//! were; the retention sweep on two servers at once; the log of staff reads of contacts; masking
//! of published text; the breach register; and links that must not reveal what views hide.

use portal::auth::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestApp, error_code, error_field};

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }";
const BY_CODE: &str = "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { id title body answer publishedName anonymisedAt contact { name phone email } consents { id purpose granted standing noticeVersion channel recordedAt withdrawnAt } } }";
const SUBMIT: &str = "mutation($i: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $i) { id code kind status receivedAt acknowledgeDueAt acknowledgedAt dueAt completedAt overdue complaintCode aboutAccount copy } }";
const DECIDE: &str = "mutation($id: ID!, $i: DecidePrivacyRequestInput!) { decidePrivacyRequest(id: $id, input: $i) { status outcomeNote completedAt steps { action actorRole note } } }";
const PHONE: &str = "0903 123 456";

async fn notice_version(app: &TestApp) -> i64 {
    app.ok(None, "{ privacyNotice { version } }", json!({}))
        .await["privacyNotice"]["version"]
        .as_i64()
        .unwrap()
}

/// Files an anonymous complaint about `unit_code` with the filer's choices.
async fn file(app: &TestApp, unit_code: &str, body: &str, consents: Value) -> (String, String) {
    let unit = app.unit_id(unit_code).await;
    let v = notice_version(app).await;
    let c = app
        .ok(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                "title": "Hồ sơ trễ hẹn", "body": body,
                "contact": { "name": "Lê Thị C", "phone": PHONE },
                "privacy": { "noticeVersion": v, "consents": consents, "channel": "MOBILE" } } }),
        )
        .await["fileComplaint"]
        .clone();
    (
        c["id"].as_str().unwrap().to_string(),
        c["code"].as_str().unwrap().to_string(),
    )
}

async fn as_filer(app: &TestApp, code: &str) -> Value {
    app.ok(None, BY_CODE, json!({ "c": code, "k": PHONE }))
        .await["complaintByCode"]
        .clone()
}

async fn dpo(app: &TestApp) -> String {
    let admin = app.admin().await;
    let unit = app.unit_id("SNV").await;
    app.ok(
        Some(&admin),
        "mutation($i: CreateStaffAccountInput!) { createStaffAccount(input: $i) { id role } }",
        json!({ "i": { "username": "dpo.snv", "password": "dpo-password-123", "displayName": "Cán bộ bảo vệ dữ liệu",
                       "role": "DATA_PROTECTION", "unit": unit } }),
    )
    .await;
    app.login("dpo.snv", "dpo-password-123").await
}

async fn answer(app: &TestApp, official: &str, id: &str, text: &str) {
    app.ok(
        Some(official),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    app.ok(
        Some(official),
        "mutation($id: ID!, $a: String!) { answerComplaint(id: $id, answer: $a, publish: true) { status published } }",
        json!({ "id": id, "a": text }),
    )
    .await;
}

fn consent<'a>(c: &'a Value, purpose: &str) -> &'a Value {
    c["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["purpose"] == purpose)
        .unwrap_or_else(|| panic!("no {purpose} in {c}"))
}

#[tokio::test]
async fn consent_is_asked_per_purpose_with_none_by_default_and_withdrawn_at_once() {
    let app = TestApp::spawn().await;
    let n = app
        .ok(
            None,
            "{ privacyNotice { version text textEn retainContactDays purposes { purpose needsConsent } } }",
            json!({}),
        )
        .await["privacyNotice"]
        .clone();
    assert_eq!(n["version"], 1);
    assert_eq!(n["retainContactDays"], 365);
    assert!(n["text"].as_str().unwrap().contains("91/2025/QH15"), "{n}");
    assert!(n["textEn"].as_str().unwrap().contains("365 days"), "{n}");
    assert_eq!(
        n["purposes"],
        json!([{ "purpose": null, "needsConsent": false },
               { "purpose": "CONTACT_ABOUT_OUTCOME", "needsConsent": true },
               { "purpose": "PUBLISH_NAME", "needsConsent": true }])
    );

    // Nothing ticked: both purposes recorded as refused, with the notice version and channel.
    let (_, plain) = file(&app, "P.CHOLON", "Hồ sơ quá hạn mười ngày.", json!([])).await;
    let c = as_filer(&app, &plain).await;
    assert_eq!(c["consents"].as_array().unwrap().len(), 2, "{c}");
    for p in ["CONTACT_ABOUT_OUTCOME", "PUBLISH_NAME"] {
        let x = consent(&c, p);
        assert_eq!(
            (x["granted"].clone(), x["standing"].clone()),
            (json!(false), json!(false))
        );
        assert_eq!(x["noticeVersion"], 1);
        assert_eq!(x["channel"], "MOBILE");
    }

    // Each purpose on its own.
    let (id, code) = file(
        &app,
        "P.CHOLON",
        "Hồ sơ quá hạn mười ngày.",
        json!(["CONTACT_ABOUT_OUTCOME", "PUBLISH_NAME"]),
    )
    .await;
    let c = as_filer(&app, &code).await;
    assert_eq!(consent(&c, "CONTACT_ABOUT_OUTCOME")["standing"], true);
    assert_eq!(consent(&c, "PUBLISH_NAME")["standing"], true);

    // An outdated notice is refused, and nothing is written.
    let before = entity::complaint::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let unit = app.unit_id("P.CHOLON").await;
    let b = app
        .gql(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "OTHER", "unit": unit, "title": "T", "body": "B",
                "contact": { "name": "A", "phone": PHONE }, "privacy": { "noticeVersion": 0 } } }),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "input.privacy.noticeVersion");
    assert_eq!(
        entity::complaint::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        before
    );

    // The name is published with the answer only because the filer consented.
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    answer(&app, &q5, &id, "Đơn vị đã trả kết quả.").await;
    let (plain_id, _) = (
        as_filer(&app, &plain).await["id"]
            .as_str()
            .unwrap()
            .to_string(),
        (),
    );
    answer(&app, &q5, &plain_id, "Đơn vị đã trả kết quả.").await;
    let public = |id: String| {
        let app = &app;
        async move {
            app.ok(
                None,
                "query($id: ID!) { complaint(id: $id) { publishedName contact { phone } consents { id } } }",
                json!({ "id": id }),
            )
            .await["complaint"]
                .clone()
        }
    };
    let p = public(id.clone()).await;
    assert_eq!(p["publishedName"], "Lê Thị C");
    assert!(p["contact"].is_null());
    assert_eq!(p["consents"], json!([]));
    assert!(public(plain_id).await["publishedName"].is_null());

    // Withdrawal: a stranger with a wrong contact learns nothing; the filer's takes effect at
    // once and the name goes from the public view.
    let cid = consent(&c, "PUBLISH_NAME")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let w = "mutation($id: ID!, $k: String) { withdrawConsent(id: $id, contact: $k) { purpose standing withdrawnAt } }";
    let b = app
        .gql(None, w, json!({ "id": cid, "k": "0912000111" }))
        .await;
    assert_eq!(error_code(&b), "NOT_FOUND");
    let done = app.ok(None, w, json!({ "id": cid, "k": PHONE })).await["withdrawConsent"].clone();
    assert_eq!(done["standing"], false);
    assert!(done["withdrawnAt"].is_string());
    assert!(public(id.clone()).await["publishedName"].is_null());
    let c = as_filer(&app, &code).await;
    assert_eq!(consent(&c, "PUBLISH_NAME")["standing"], false);
    assert_eq!(consent(&c, "CONTACT_ABOUT_OUTCOME")["standing"], true);

    // Registration records its choices the same way.
    let b = app
        .ok(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            json!({ "i": { "username": "tranthid", "password": "mat-khau-dai-123", "displayName": "Trần Thị D",
                           "email": "d@example.vn", "privacy": { "noticeVersion": 1, "consents": ["CONTACT_ABOUT_OUTCOME"] } } }),
        )
        .await;
    let token = b["register"]["accessToken"].as_str().unwrap().to_string();
    let mine = app
        .ok(
            Some(&token),
            "{ myConsents { purpose granted channel } }",
            json!({}),
        )
        .await["myConsents"]
        .clone();
    assert_eq!(
        mine,
        json!([{ "purpose": "CONTACT_ABOUT_OUTCOME", "granted": true, "channel": "WEB" },
               { "purpose": "PUBLISH_NAME", "granted": false, "channel": "WEB" }])
    );
}

#[tokio::test]
async fn every_request_kind_runs_end_to_end_with_its_deadlines_across_a_holiday() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The Monday after the suite's Friday is made a holiday, and so is the Monday a 15-day
    // request would fall due on.
    for d in ["2026-12-07", "2026-12-21"] {
        app.ok(
            Some(&admin),
            "mutation($d: Date!) { addHoliday(date: $d, name: \"Nghỉ bù (thử)\") { date } }",
            json!({ "d": d }),
        )
        .await;
    }
    let dpo = dpo(&app).await;
    let (id, code) = file(
        &app,
        "P.CHOLON",
        "Hồ sơ quá hạn mười ngày.",
        json!(["CONTACT_ABOUT_OUTCOME"]),
    )
    .await;
    let submit = |kind: &str, extra: Value| {
        let mut i = json!({ "kind": kind, "complaintCode": code, "contact": PHONE });
        for (k, v) in extra.as_object().unwrap() {
            i[k] = v.clone();
        }
        json!({ "i": i })
    };

    // ACCESS, anonymous: carried out at once, with the copy of everything about the item.
    let r = app.ok(None, SUBMIT, submit("ACCESS", json!({}))).await["submitPrivacyRequest"].clone();
    assert!(r["code"].as_str().unwrap().starts_with("DL-"), "{r}");
    assert_eq!(r["status"], "DONE");
    assert_eq!(r["complaintCode"], code);
    assert_eq!(r["aboutAccount"], false);
    // Received Friday 4 December: acknowledged within 2 working days (Monday is a holiday, so
    // Wednesday); carried out within 10 days (Monday 14).
    assert_eq!(r["acknowledgeDueAt"], "2026-12-09T17:00:00+07:00");
    assert_eq!(r["dueAt"], "2026-12-14T17:00:00+07:00");
    let copy = &r["copy"];
    assert_eq!(copy["complaints"][0]["code"], code);
    assert_eq!(copy["complaints"][0]["contact"]["phone"], "0903123456");
    assert_eq!(copy["consents"].as_array().unwrap().len(), 2);
    assert!(copy["account"].is_null());

    // A wrong contact: the same error as an unknown code, nothing recorded.
    let b = app
        .gql(
            None,
            SUBMIT,
            json!({ "i": { "kind": "COPY", "complaintCode": code, "contact": "0912999888" } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.contact");
    let b = app
        .gql(
            None,
            SUBMIT,
            json!({ "i": { "kind": "COPY", "complaintCode": "GY-0000-0000", "contact": PHONE } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.contact");
    let b = app
        .gql(None, SUBMIT, json!({ "i": { "kind": "COPY" } }))
        .await;
    assert_eq!(error_field(&b), "input.complaintCode");

    // CORRECTION: waits for data-protection staff, who carry it out; the unit then reads the
    // corrected phone.
    let r = app
        .ok(
            None,
            SUBMIT,
            submit(
                "CORRECTION",
                json!({ "correction": { "phone": "0912 000 111" } }),
            ),
        )
        .await["submitPrivacyRequest"]
        .clone();
    assert_eq!(r["status"], "RECEIVED");
    assert!(r["copy"].is_null());
    let corr = r["id"].as_str().unwrap().to_string();
    // Neither an official nor the public reads the queue.
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let queue = "query($f: PrivacyRequestFilter) { privacyRequests(filter: $f) { totalCount edges { node { code kind status dueAt } } } }";
    assert_eq!(
        error_code(&app.gql(Some(&q5), queue, json!({})).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, queue, json!({})).await),
        "UNAUTHENTICATED"
    );
    let q = app
        .ok(
            Some(&dpo),
            queue,
            json!({ "f": { "status": ["RECEIVED"] } }),
        )
        .await;
    assert_eq!(q["privacyRequests"]["totalCount"], 1, "{q}");
    app.ok(
        Some(&dpo),
        "mutation($id: ID!) { acknowledgePrivacyRequest(id: $id) { status acknowledgedAt } }",
        json!({ "id": corr }),
    )
    .await;
    let d = app
        .ok(
            Some(&dpo),
            DECIDE,
            json!({ "id": corr, "i": { "decision": "CARRY_OUT" } }),
        )
        .await["decidePrivacyRequest"]
        .clone();
    assert_eq!(d["status"], "DONE");
    let actions: Vec<&str> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "REQUEST_RECEIVED",
            "REQUEST_ACKNOWLEDGED",
            "REQUEST_CARRIED_OUT"
        ]
    );
    let seen = app
        .ok(
            Some(&q5),
            "query($id: ID!) { complaint(id: $id) { contact { phone } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["complaint"]["contact"]["phone"], "0912000111");
    // The filer now proves themselves with the corrected phone.
    let k = "0912000111";

    // RESTRICTION: 15 days, whose last day (Saturday 19) rolls to the next working day (Monday
    // 21 is a holiday, so Tuesday 22); extended once, with a reason; then carried out, and the
    // unit no longer reads the contact.
    let r = app
        .ok(
            None,
            SUBMIT,
            json!({ "i": { "kind": "RESTRICTION", "complaintCode": code, "contact": k } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    assert_eq!(r["dueAt"], "2026-12-22T17:00:00+07:00");
    let rid = r["id"].as_str().unwrap().to_string();
    let ext = "mutation($id: ID!, $i: ExtendPrivacyRequestInput!) { extendPrivacyRequest(id: $id, input: $i) { dueAt extendedAt extensionReason status } }";
    let b = app
        .gql(
            Some(&dpo),
            ext,
            json!({ "id": rid, "i": { "days": 16, "reason": "Cần xác minh" } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.days");
    let e = app
        .ok(
            Some(&dpo),
            ext,
            json!({ "id": rid, "i": { "days": 15, "reason": "Cần xác minh với đơn vị" } }),
        )
        .await["extendPrivacyRequest"]
        .clone();
    assert_eq!(e["dueAt"], "2027-01-04T17:00:00+07:00", "{e}");
    assert_eq!(e["status"], "ACKNOWLEDGED");
    let b = app
        .gql(
            Some(&dpo),
            ext,
            json!({ "id": rid, "i": { "days": 1, "reason": "Lần nữa" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    // The person follows it by code, and reads the reason.
    let follow = app
        .ok(
            None,
            "query($c: String!, $k: String) { privacyRequestByCode(code: $c, contact: $k) { status extensionReason dueAt } }",
            json!({ "c": r["code"], "k": k }),
        )
        .await;
    assert_eq!(
        follow["privacyRequestByCode"]["extensionReason"],
        "Cần xác minh với đơn vị"
    );
    // A stranger reads nothing of it.
    let stranger = app
        .ok(
            None,
            "query($c: String!, $k: String) { privacyRequestByCode(code: $c, contact: $k) { status } }",
            json!({ "c": r["code"], "k": "0987654321" }),
        )
        .await;
    assert!(stranger["privacyRequestByCode"].is_null());
    app.ok(
        Some(&dpo),
        DECIDE,
        json!({ "id": rid, "i": { "decision": "CARRY_OUT" } }),
    )
    .await;
    let seen = app
        .ok(
            Some(&q5),
            "query($id: ID!) { complaint(id: $id) { status contact { phone } restrictedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert!(seen["complaint"]["contact"].is_null(), "{seen}");
    assert!(seen["complaint"]["restrictedAt"].is_string());
    // The filer still reads their own contact.
    let mine = app.ok(None, BY_CODE, json!({ "c": code, "k": k })).await;
    assert_eq!(mine["complaintByCode"]["contact"]["phone"], k);

    // A refusal needs a reason.
    let r = app
        .ok(None, SUBMIT, json!({ "i": { "kind": "OBJECTION", "complaintCode": code, "contact": k, "details": "Không muốn bị liên hệ" } }))
        .await["submitPrivacyRequest"]
        .clone();
    let oid = r["id"].as_str().unwrap().to_string();
    let b = app
        .gql(
            Some(&dpo),
            DECIDE,
            json!({ "id": oid, "i": { "decision": "REFUSE" } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.note");
    // OBJECTION carried out: the consent withdrawn.
    app.ok(
        Some(&dpo),
        DECIDE,
        json!({ "id": oid, "i": { "decision": "CARRY_OUT", "note": "Đã dừng liên hệ" } }),
    )
    .await;
    let c = app.ok(None, BY_CODE, json!({ "c": code, "k": k })).await["complaintByCode"].clone();
    assert_eq!(consent(&c, "CONTACT_ABOUT_OUTCOME")["standing"], false);
    // A decided request is not decided again.
    let b = app
        .gql(
            Some(&dpo),
            DECIDE,
            json!({ "id": oid, "i": { "decision": "REFUSE", "note": "x" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // WITHDRAWAL of everything, signed in, at once; COPY signed in holds the account and what
    // it filed, and nothing of anyone else.
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    let own = app
        .ok(
            Some(&citizen),
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "OTHER", "unit": unit, "title": "Của tôi", "body": "Nội dung của tôi.",
                           "privacy": { "noticeVersion": 1, "consents": ["CONTACT_ABOUT_OUTCOME"] } } }),
        )
        .await["fileComplaint"]["code"]
        .clone();
    let w = app
        .ok(
            Some(&citizen),
            SUBMIT,
            json!({ "i": { "kind": "WITHDRAWAL" } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    assert_eq!(
        (w["status"].clone(), w["aboutAccount"].clone()),
        (json!("DONE"), json!(true))
    );
    let r = app
        .ok(
            Some(&citizen),
            SUBMIT,
            json!({ "i": { "kind": "COPY", "idempotencyKey": "copy-1" } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    let again = app
        .ok(
            Some(&citizen),
            SUBMIT,
            json!({ "i": { "kind": "COPY", "idempotencyKey": "copy-1" } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    assert_eq!(again["id"], r["id"], "a retry makes no second request");
    let copy = &r["copy"];
    assert_eq!(copy["account"]["username"], "nguyenvana");
    let codes: Vec<&str> = copy["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&own.as_str().unwrap()), "{codes:?}");
    assert!(
        !codes.contains(&code.as_str()),
        "another person's item is not in the copy"
    );
    let text = copy.to_string();
    assert!(
        !text.contains("0903123456") && !text.contains("Lê Thị C"),
        "{text}"
    );
    assert!(
        copy["consents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["withdrawnAt"].is_string() || c["granted"] == false),
        "everything withdrawn: {copy}"
    );
    assert!(!copy["signIns"].as_array().unwrap().is_empty());
    assert_eq!(
        app.ok(
            Some(&citizen),
            "{ myPrivacyRequests { totalCount edges { node { kind } } } }",
            json!({})
        )
        .await["myPrivacyRequests"]["totalCount"],
        2
    );
    // Another citizen does not read it by id or code.
    let other = app.login("congty.demo", "gopy-business-demo").await;
    let b = app
        .ok(
            Some(&other),
            "query($id: ID!) { privacyRequest(id: $id) { code } }",
            json!({ "id": r["id"] }),
        )
        .await;
    assert!(b["privacyRequest"].is_null());
    let b = app
        .ok(
            Some(&other),
            "query($c: String!) { privacyRequestByCode(code: $c) { code copy } }",
            json!({ "c": r["code"] }),
        )
        .await;
    assert!(b["privacyRequestByCode"].is_null());
    // Data-protection staff read the request, never the copy.
    let b = app
        .ok(
            Some(&dpo),
            "query($id: ID!) { privacyRequest(id: $id) { code copy } }",
            json!({ "id": r["id"] }),
        )
        .await;
    assert_eq!(b["privacyRequest"]["code"], r["code"]);
    assert!(b["privacyRequest"]["copy"].is_null());

    // DELETION, signed in: the account is deleted in place and its sign-in stops working.
    // Its inbox goes with it: the acknowledgement of its item is there first.
    let me = app
        .ok(Some(&citizen), "{ me { subject } }", json!({}))
        .await["me"]["subject"]
        .as_str()
        .unwrap()
        .to_string();
    let inbox = || {
        entity::notification::Entity::find()
            .filter(entity::notification::Column::AccountId.eq(me.as_str()))
            .count(&app.state.db)
    };
    let started = std::time::Instant::now();
    while inbox().await.unwrap() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "no inbox entry"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = app
        .ok(
            Some(&citizen),
            SUBMIT,
            json!({ "i": { "kind": "DELETION" } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    assert_eq!(r["dueAt"], "2026-12-24T17:00:00+07:00");
    app.ok(
        Some(&dpo),
        DECIDE,
        json!({ "id": r["id"], "i": { "decision": "CARRY_OUT" } }),
    )
    .await;
    let b = app
        .gql(Some(&citizen), "{ me { username } }", json!({}))
        .await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    let acc = entity::account::Entity::find()
        .filter(entity::account::Column::Username.eq("nguyenvana"))
        .one(&app.state.db)
        .await
        .unwrap();
    assert!(acc.is_none(), "the user name is gone");
    assert_eq!(
        inbox().await.unwrap(),
        0,
        "the inbox is gone with the account"
    );
    let item = entity::complaint::Entity::find()
        .filter(entity::complaint::Column::Code.eq(own.as_str().unwrap()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        item.anonymised_at.is_some()
            && item.contact_email.is_none()
            && item.filer_account_id.is_none()
    );
}

#[tokio::test]
async fn deletion_leaves_the_par_figures_of_the_year_as_they_were() {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let dpo = dpo(&app).await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let (id, code) = file(
        &app,
        "P.CHOLON",
        "Hồ sơ trễ hẹn, gọi 0903 123 456.",
        json!([]),
    )
    .await;
    answer(&app, &q5, &id, "Đã giải quyết.").await;
    let year = 2026;
    app.ok(
        Some(&evaluator),
        "mutation($i: OpenParPeriodInput!) { openParPeriod(input: $i) { year } }",
        json!({ "i": { "year": year } }),
    )
    .await;
    let unit = app.unit_id("P.CHOLON").await;
    let figures = || async {
        app.ok(
            Some(&evaluator),
            "mutation($y: Int!) { computeParIndex(year: $y) { units } }",
            json!({ "y": year }),
        )
        .await;
        app.ok(
            Some(&evaluator),
            "query($y: Int!, $u: ID!) { parBreakdown(year: $y, unit: $u) { total criteria { code counted good points } } }",
            json!({ "y": year, "u": unit }),
        )
        .await["parBreakdown"]
            .clone()
    };
    let before = figures().await;
    assert!(
        before["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["counted"].as_u64().unwrap_or(0) > 0),
        "{before}"
    );
    let r = app
        .ok(
            None,
            SUBMIT,
            json!({ "i": { "kind": "DELETION", "complaintCode": code, "contact": PHONE } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    app.ok(
        Some(&dpo),
        DECIDE,
        json!({ "id": r["id"], "i": { "decision": "CARRY_OUT" } }),
    )
    .await;
    assert_eq!(figures().await, before);
    // The item stays, without identity: no contact, the phone in its text masked for good.
    let seen = app
        .ok(
            Some(&q5),
            "query($id: ID!) { complaint(id: $id) { status body contact { phone } anonymisedAt } }",
            json!({ "id": id }),
        )
        .await["complaint"]
        .clone();
    assert_eq!(seen["status"], "ANSWERED");
    assert!(seen["contact"].is_null());
    assert!(seen["anonymisedAt"].is_string());
    assert!(
        !seen["body"].as_str().unwrap().contains("123 456"),
        "{seen}"
    );
}

#[tokio::test]
async fn a_retention_sweep_on_two_servers_at_once_anonymises_each_item_once() {
    let app = TestApp::spawn_configured(|c| {
        c.retain_contact_days = 30;
        c.retention_sweep_secs = 0;
    })
    .await;
    let beside = app.db.beside();
    let mut config = crate::helpers::test_config(&beside);
    config.retain_contact_days = 30;
    config.retention_sweep_secs = 0;
    let second = TestApp::spawn_with(config, beside, false).await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let mut ids = vec![];
    for i in 0..6 {
        let (id, _) = file(
            &app,
            "P.CHOLON",
            &format!("Phản ánh số {i}, điện thoại 0903 123 456."),
            json!([]),
        )
        .await;
        answer(&app, &q5, &id, "Đã trả lời.").await;
        ids.push(id);
    }
    // Four ended 31 days ago; two are recent.
    let long_ago = portal::clock::now() - chrono::Duration::days(31);
    entity::complaint::Entity::update_many()
        .col_expr(
            entity::complaint::Column::AnsweredAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .filter(entity::complaint::Column::Id.is_in(ids[..4].to_vec()))
        .exec(&app.state.db)
        .await
        .unwrap();
    // A dialogue that ended 31 days ago: its businesses' contact persons go too.
    let contact = entity::dialogue_business::Entity::find()
        .filter(entity::dialogue_business::Column::ContactName.is_not_null())
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the demo has a dialogue with a contact person");
    entity::dialogue::Entity::update_many()
        .col_expr(
            entity::dialogue::Column::ClosedAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .filter(entity::dialogue::Column::Id.eq(contact.dialogue_id.clone()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let due = portal::privacy::retention::due(&app.state.db, 30, portal::clock::now())
        .await
        .unwrap();
    let old_demo = due.due - 4;
    let (a, b) = tokio::join!(
        portal::privacy::retention::sweep(&app.state.db, 30, |_, _| {}),
        portal::privacy::retention::sweep(&second.state.db, 30, |_, _| {}),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.anonymised + b.anonymised, 4 + old_demo, "{a:?} {b:?}");
    assert!(
        a.dialogue_contacts + b.dialogue_contacts >= 1,
        "{a:?} {b:?}"
    );
    let cleared = entity::dialogue_business::Entity::find()
        .filter(entity::dialogue_business::Column::DialogueId.eq(contact.dialogue_id.clone()))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(cleared.iter().all(|b| b.contact_name.is_none()
        && b.contact_phone.is_none()
        && b.contact_email.is_none()));
    let steps = entity::privacy_event::Entity::find()
        .filter(entity::privacy_event::Column::Action.eq("RETENTION_ANONYMISED"))
        .filter(entity::privacy_event::Column::ComplaintId.is_in(ids.clone()))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(steps.len(), 4, "one step per item");
    let rows = entity::complaint::Entity::find()
        .filter(entity::complaint::Column::Id.is_in(ids.clone()))
        .all(&app.state.db)
        .await
        .unwrap();
    for r in rows {
        let old = ids[..4].contains(&r.id);
        assert_eq!(r.contact_phone.is_none(), old, "{r:?}");
        assert_eq!(r.anonymised_at.is_some(), old);
        assert_eq!(!r.body.contains("0903 123 456"), old, "{}", r.body);
    }
    // Nothing left, and a second sweep does nothing.
    let again = portal::privacy::retention::sweep(&app.state.db, 30, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (again.due, again.anonymised, again.dialogue_contacts),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn staff_reads_of_a_contact_are_logged_without_the_contact_and_shown_in_the_copy() {
    let app = TestApp::spawn().await;
    let dpo = dpo(&app).await;
    let (id, code) = file(&app, "P.CHOLON", "Hồ sơ trễ hẹn.", json!([])).await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    // The filer's own reads are not staff reads.
    as_filer(&app, &code).await;
    let read = "query($id: ID!) { complaint(id: $id) { title contact { phone } } }";
    for _ in 0..2 {
        let c = app.ok(Some(&q5), read, json!({ "id": id })).await;
        assert_eq!(c["complaint"]["contact"]["phone"], "0903123456");
    }
    // A read of the title only is no read of the contact.
    app.ok(
        Some(&q5),
        "query($id: ID!) { complaint(id: $id) { title } }",
        json!({ "id": id }),
    )
    .await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let e = app.ok(Some(&evaluator), read, json!({ "id": id })).await;
    assert!(e["complaint"]["contact"].is_null());
    let log = "query($f: ContactReadFilter) { contactReads(filter: $f) { totalCount edges { node { field readerRole readerAccountId readerUnit { code } complaintCode at } } } }";
    assert_eq!(
        error_code(&app.gql(Some(&q5), log, json!({})).await),
        "FORBIDDEN"
    );
    let l = app
        .ok(Some(&dpo), log, json!({ "f": { "complaint": id } }))
        .await["contactReads"]
        .clone();
    assert_eq!(l["totalCount"], 2, "{l}");
    let row = &l["edges"][0]["node"];
    assert_eq!(row["field"], "Complaint.contact");
    assert_eq!(row["readerRole"], "OFFICIAL");
    assert_eq!(row["readerUnit"]["code"], "P.CHOLON");
    assert_eq!(row["complaintCode"], code);
    let stored = entity::contact_read::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        !format!("{stored:?}").contains("0903123456"),
        "the log holds no contact"
    );
    // The person sees the log in their copy: by role and unit, not by account.
    let r = app
        .ok(
            None,
            SUBMIT,
            json!({ "i": { "kind": "COPY", "complaintCode": code, "contact": PHONE } }),
        )
        .await["submitPrivacyRequest"]
        .clone();
    let reads = r["copy"]["contactReads"].as_array().unwrap();
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0]["readerRole"], "OFFICIAL");
    assert_eq!(reads[0]["complaintCode"], code);
    assert!(
        !r["copy"]
            .to_string()
            .contains(row["readerAccountId"].as_str().unwrap())
    );
}

#[tokio::test]
async fn published_text_masks_personal_data_until_staff_decide_otherwise() {
    let app = TestApp::spawn().await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let nfd: String = "Gọi cho tôi: không chín một hai ba bốn năm sáu bảy tám."
        .nfd()
        .collect();
    let body = format!(
        "Tôi ở số 12 Nguyễn Huệ, CCCD 079123456789, e-mail le.c@example.vn, điện thoại 0912 345 678. \
         Số máy bàn ０２８３８２９１２３４. {nfd} Hoặc khong chin mot hai ba bon nam sau bay tam. \
         Hồ sơ quá hạn 12 ngày tại Phường 5."
    );
    let (id, _) = file(&app, "P.CHOLON", &body, json!([])).await;
    answer(
        &app,
        &q5,
        &id,
        "Đã liên hệ anh theo số 0909 888 777 và giải quyết xong.",
    )
    .await;
    let public = || async {
        app.ok(
            None,
            "query($id: ID!) { complaint(id: $id) { body answer personalData { field } } }",
            json!({ "id": id }),
        )
        .await["complaint"]
            .clone()
    };
    let p = public().await;
    let b = p["body"].as_str().unwrap();
    for hidden in [
        "079123456789",
        "le.c@example.vn",
        "0912 345 678",
        "０２８３８２９１２３４",
        "12 Nguyễn Huệ",
        "bảy tám",
        "bon nam sau",
    ] {
        assert!(!b.contains(hidden), "{hidden:?} is published: {b}");
    }
    assert!(
        b.contains("quá hạn 12 ngày") && b.contains("Phường 5"),
        "{b}"
    );
    assert!(
        !p["answer"].as_str().unwrap().contains("0909 888 777"),
        "{p}"
    );
    assert_eq!(
        p["personalData"],
        json!([]),
        "the public does not see what was masked"
    );

    // Staff see every piece and whether it is masked; unmask a false positive, mask a name.
    let s = app
        .ok(Some(&q5), "query($id: ID!) { complaint(id: $id) { body personalData { field kind text masked source } } }", json!({ "id": id }))
        .await["complaint"]
        .clone();
    assert_eq!(s["body"], body.nfc().collect::<String>());
    let pieces = s["personalData"].as_array().unwrap();
    let kinds: Vec<&str> = pieces.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    for k in ["PHONE", "EMAIL", "ID_NUMBER", "ADDRESS"] {
        assert!(kinds.contains(&k), "{k} not found in {pieces:?}");
    }
    assert!(
        pieces
            .iter()
            .all(|p| p["masked"] == true && p["source"] == "DETECTED")
    );
    assert!(pieces.iter().any(|p| p["field"] == "ANSWER"));
    let email = pieces.iter().find(|p| p["kind"] == "EMAIL").unwrap()["text"].clone();
    let set = "mutation($id: ID!, $i: SetComplaintMasksInput!) { setComplaintMasks(id: $id, input: $i) { id } }";
    app.ok(
        Some(&q5),
        set,
        json!({ "id": id, "i": { "unmask": [{ "field": "BODY", "text": email }], "mask": [{ "field": "BODY", "text": "Phường 5" }] } }),
    )
    .await;
    let b = public().await["body"].as_str().unwrap().to_string();
    assert!(
        b.contains("le.c@example.vn") && !b.contains("Phường 5"),
        "{b}"
    );
    // An ID number is never published, nor the filer's own contact.
    let id_number = pieces.iter().find(|p| p["kind"] == "ID_NUMBER").unwrap()["text"].clone();
    let b = app
        .gql(
            Some(&q5),
            set,
            json!({ "id": id, "i": { "unmask": [{ "field": "BODY", "text": id_number }] } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.unmask[0].text", "{b}");
    // The public's searches do not match what the public view masks, digit by digit or whole.
    app.settle().await;
    for q in ["0912", "0912345678", "079123456789", "example"] {
        let n = app
            .ok(None, "query($q: String) { complaints(filter: { query: $q }) { totalCount } s: searchComplaints(filter: { query: $q }) { totalCount } }", json!({ "q": q }))
            .await;
        assert_eq!(
            (
                n["complaints"]["totalCount"].clone(),
                n["s"]["totalCount"].clone()
            ),
            (json!(0), json!(0)),
            "{q}: {n}"
        );
    }
    // Only text that is there, and only by the unit handling it.
    let bad = app
        .gql(
            Some(&q5),
            set,
            json!({ "id": id, "i": { "mask": [{ "field": "BODY", "text": "không có" }] } }),
        )
        .await;
    assert_eq!(error_field(&bad), "input.mask[0].text");
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let b = app
        .gql(
            Some(&stp),
            set,
            json!({ "id": id, "i": { "mask": [{ "field": "BODY", "text": "Hồ sơ" }] } }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    // Search highlights read the masked text too.
    app.settle().await;
    let hits = app
        .ok(None, "query { searchComplaints(filter: { query: \"quá hạn\" }) { edges { node { complaint { id } highlights { body } } } } }", json!({}))
        .await;
    for e in hits["searchComplaints"]["edges"].as_array().unwrap() {
        if e["node"]["complaint"]["id"] == id {
            assert!(
                !e["node"]["highlights"]["body"]
                    .to_string()
                    .contains("079123456789"),
                "{e}"
            );
        }
    }
}

#[tokio::test]
async fn the_breach_register_keeps_the_72_hour_clock() {
    let app = TestApp::spawn().await;
    let dpo = dpo(&app).await;
    let secs =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let discovered = secs(portal::clock::now() - chrono::Duration::hours(80));
    let rec = "mutation($i: RecordBreachInput!) { recordBreach(input: $i) { id reportDueAt overdue reportedAt } }";
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let i = json!({ "i": { "description": "Một bảng tính danh sách người phản ánh bị gửi nhầm.", "discoveredAt": discovered, "peopleAffected": 12 } });
    assert_eq!(
        error_code(&app.gql(Some(&citizen), rec, i.clone()).await),
        "FORBIDDEN"
    );
    let b = app.ok(Some(&dpo), rec, i).await["recordBreach"].clone();
    assert_eq!(b["overdue"], true);
    assert!(b["reportedAt"].is_null());
    let due = chrono::DateTime::parse_from_rfc3339(b["reportDueAt"].as_str().unwrap()).unwrap();
    let disc = chrono::DateTime::parse_from_rfc3339(&discovered).unwrap();
    assert_eq!(due - disc, chrono::Duration::hours(72));
    let rep = "mutation($id: ID!, $i: ReportBreachInput!) { reportBreach(id: $id, input: $i) { reportedAt reportedTo overdue } }";
    let early = secs(portal::clock::now() - chrono::Duration::hours(100));
    let bad = app
        .gql(
            Some(&dpo),
            rep,
            json!({ "id": b["id"], "i": { "reportedAt": early, "reportedTo": "A05" } }),
        )
        .await;
    assert_eq!(error_field(&bad), "input.reportedAt");
    let r = app
        .ok(Some(&dpo), rep, json!({ "id": b["id"], "i": { "reportedAt": portal::clock::now().to_rfc3339(), "reportedTo": "Cục A05, Bộ Công an" } }))
        .await["reportBreach"]
        .clone();
    assert_eq!(r["reportedTo"], "Cục A05, Bộ Công an");
    assert_eq!(r["overdue"], true, "reported after 80 hours: late");
    let list = app
        .ok(
            Some(&dpo),
            "{ breaches { totalCount edges { node { peopleAffected } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["breaches"]["totalCount"], 1);
}

#[tokio::test]
async fn links_do_not_reveal_what_views_hide() {
    let app = TestApp::spawn().await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    // A published complaint about a dossier: the public view hides which dossier, and a search
    // by the dossier's code finds nothing for the public (nor counts it).
    let official = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let unit = app.unit_id("P.CHOLON").await;
    let d = app
        .record_dossier(
            &official,
            "PRIV-0001",
            "P.CHOLON",
            "1.001193",
            "2026-11-02T09:00:00+07:00",
        )
        .await;
    let dossier_code = d["code"].as_str().unwrap().to_string();
    let c = app
        .ok(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "dossierCode": dossier_code,
                           "title": "Trễ hẹn hồ sơ", "body": "Hồ sơ trễ hẹn ba ngày.", "contact": { "name": "A", "phone": PHONE } } }),
        )
        .await["fileComplaint"]
        .clone();
    let id = c["id"].as_str().unwrap().to_string();
    answer(&app, &q5, &id, "Đã xử lý.").await;
    app.settle().await;
    let q = "query($q: String) { searchComplaints(filter: { query: $q }) { totalCount edges { node { complaint { id } } } } }";
    let public = app.ok(None, q, json!({ "q": dossier_code })).await;
    assert_eq!(public["searchComplaints"]["totalCount"], 0, "{public}");
    let list = app
        .ok(
            None,
            "query($q: String) { complaints(filter: { query: $q }) { totalCount } }",
            json!({ "q": dossier_code }),
        )
        .await;
    assert_eq!(list["complaints"]["totalCount"], 0);
    let staff = app.ok(Some(&q5), q, json!({ "q": dossier_code })).await;
    assert_eq!(
        staff["searchComplaints"]["edges"][0]["node"]["complaint"]["id"], id,
        "{staff}"
    );

    // A duplicate's filer does not read the original's tracking code in the notes.
    let (dup, dup_code) = file(&app, "P.CHOLON", "Trùng nội dung.", json!([])).await;
    app.ok(
        Some(&q5),
        "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status } }",
        json!({ "id": dup, "of": id }),
    )
    .await;
    let seen = app
        .ok(None, "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { events { note } } }", json!({ "c": dup_code, "k": PHONE }))
        .await;
    assert!(
        !seen.to_string().contains(c["code"].as_str().unwrap()),
        "{seen}"
    );

    // Staff who know the filer's phone get no filer's view with it, and make no request about
    // the filer's data with it.
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let seen = app
        .ok(Some(&stp), "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { contact { phone } } }", json!({ "c": dup_code, "k": PHONE }))
        .await;
    assert!(
        seen["complaintByCode"].is_null() || seen["complaintByCode"]["contact"].is_null(),
        "{seen}"
    );
    let b = app
        .gql(
            Some(&q5),
            SUBMIT,
            json!({ "i": { "kind": "COPY", "complaintCode": dup_code, "contact": PHONE } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.contact", "{b}");

    // A name that reorders what a reader sees is refused.
    let b = app
        .gql(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "OTHER", "unit": unit, "title": "T", "body": "B",
                           "contact": { "name": "Lê \u{202E}C", "phone": PHONE } } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.contact.name", "{b}");

    // Guesses at an unknown code are counted like guesses at a known one: being refused as
    // too many says nothing about whether the code exists.
    let by_code =
        "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { id } }";
    let limit = app.state.config.code_guesses_per_hour;
    let mut last = Value::Null;
    for _ in 0..=limit {
        last = app
            .gql(
                None,
                by_code,
                json!({ "c": "GY-ZZZZ-ZZZZ", "k": "0912000999" }),
            )
            .await;
    }
    assert_eq!(error_code(&last), "RATE_LIMITED", "{last}");
}
