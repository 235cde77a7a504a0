//! Trust: each rule of who may see and do what, and each limit, with a test that tries to break
//! it — another unit's official, a stranger replaying someone's request or holding only a
//! dossier code, markup and invisible text, one request asking for thousands of things, a body
//! too large, a client behind a load balancer, and GraphiQL with no internet.

use std::net::IpAddr;

use portal::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code title contact { name phone email } } }";

fn complaint_input(unit: &str, title: &str, phone: &str) -> Value {
    json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "title": title,
                   "body": "Hồ sơ quá hạn mà chưa có kết quả.",
                   "contact": { "name": "Trần Thị Bí Mật", "phone": phone } } })
}

/// Sends a request as if through a load balancer that saw the client at `client`.
async fn gql_from(app: &TestApp, client: &str, token: Option<&str>, q: &str, v: Value) -> Value {
    app.gql_full(token, q, v, &[("x-forwarded-for", client)])
        .await
        .1
}

/// The assigned unit's official takes the complaint in hand and answers it.
async fn accept_and_answer(app: &TestApp, official: &str, id: &Value, answer: &str, publish: bool) {
    app.ok(
        Some(official),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let a = app
        .ok(
            Some(official),
            "mutation($id: ID!, $a: String!, $p: Boolean) { answerComplaint(id: $id, answer: $a, publish: $p) { published } }",
            json!({ "id": id, "a": answer, "p": publish }),
        )
        .await;
    assert_eq!(a["answerComplaint"]["published"], publish);
}

/// Files a complaint (as `token`) that must succeed; returns it.
async fn file(app: &TestApp, token: Option<&str>, unit: &str, title: &str, phone: &str) -> Value {
    app.ok(token, FILE, complaint_input(unit, title, phone))
        .await["fileComplaint"]
        .clone()
}

fn behind_proxy(c: &mut portal::Config) {
    c.trusted_proxies = portal::client_addr::parse_list("127.0.0.1/32").unwrap();
}

#[tokio::test]
async fn a_duplicate_never_opens_another_units_complaint() {
    let app = TestApp::spawn().await;
    let stp = app.unit_id("STP").await;
    let q5 = app.unit_id("P.CHOLON").await;
    let q5_official = app.login("q5.canbo", "gopy-official-demo").await;
    let admin = app.admin().await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;

    let original = file(&app, None, &stp, "Sở Tư pháp trễ hẹn", "0911000111").await;
    // Sở Tư pháp answers without publishing.
    let stp_official = app.script_token(Role::Official, Some("STP")).await;
    accept_and_answer(
        &app,
        &stp_official,
        &original["id"],
        "Trả lời nội bộ",
        false,
    )
    .await;
    let mine = file(&app, Some(&citizen), &q5, "Quận 5 trễ hẹn", "0911000222").await;

    // Another unit's official may not name that original.
    let mark = "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status duplicateOf { code contact { phone } answer events { action } } } }";
    let b = app
        .gql(
            Some(&q5_official),
            mark,
            json!({ "id": mine["id"], "of": original["id"] }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    assert!(
        b["data"].is_null() || b["data"]["markDuplicate"].is_null(),
        "{b}"
    );

    // An admin may; then every caller sees the original only as they would by asking for it.
    let m = app
        .ok(
            Some(&admin),
            mark,
            json!({ "id": mine["id"], "of": original["id"] }),
        )
        .await;
    assert_eq!(
        m["markDuplicate"]["duplicateOf"]["contact"]["phone"],
        "0911000111"
    );
    let via_link = "query($id: ID!) { complaint(id: $id) { status duplicateOf { code contact { phone } answer events { action actor } } } }";
    for (who, token) in [
        ("Q5 official", &q5_official),
        ("the citizen filer", &citizen),
    ] {
        let c = app
            .ok(Some(token), via_link, json!({ "id": mine["id"] }))
            .await;
        assert_eq!(c["complaint"]["status"], "DUPLICATE", "{who}: {c}");
        // The unpublished original is not theirs to see: nothing of it comes through the link.
        assert!(
            c["complaint"]["duplicateOf"].is_null(),
            "{who} reads another unit's unpublished complaint through duplicateOf: {c}"
        );
    }
    // The filer follows the steps of their case, but not which official account took them.
    let steps = "query($id: ID!) { complaint(id: $id) { events { action actor actorRole } } }";
    let seen_by_filer = app
        .ok(Some(&citizen), steps, json!({ "id": mine["id"] }))
        .await;
    let seen_by_unit = app
        .ok(Some(&q5_official), steps, json!({ "id": mine["id"] }))
        .await;
    let last = |v: &Value| {
        v["complaint"]["events"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };
    assert_eq!(last(&seen_by_filer)["action"], "DUPLICATE");
    assert_eq!(last(&seen_by_filer)["actorRole"], "ADMIN");
    assert!(last(&seen_by_filer)["actor"].is_null(), "{seen_by_filer}");
    assert!(last(&seen_by_unit)["actor"].is_string(), "{seen_by_unit}");
    // An evaluator sees which official acted, never which citizen filed.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let seen_by_evaluator = app
        .ok(Some(&evaluator), steps, json!({ "id": mine["id"] }))
        .await;
    let events = seen_by_evaluator["complaint"]["events"].as_array().unwrap();
    assert_eq!(events[0]["action"], "FILED");
    assert!(events[0]["actor"].is_null(), "{seen_by_evaluator}");
    assert!(events.last().unwrap()["actor"].is_string());

    // Asked directly, the official gets the same: nothing.
    let direct = app
        .ok(
            Some(&q5_official),
            "query($id: ID!) { complaint(id: $id) { id } }",
            json!({ "id": original["id"] }),
        )
        .await;
    assert!(direct["complaint"].is_null(), "{direct}");

    // A published original comes through the link in the public view: the published answer,
    // no contact, no events, no identities.
    let published = file(&app, None, &stp, "Sở Tư pháp chậm trả lời", "0911000333").await;
    accept_and_answer(&app, &stp_official, &published["id"], "Đã xử lý", true).await;
    let again = file(
        &app,
        Some(&citizen),
        &q5,
        "Quận 5 lại trễ hẹn",
        "0911000222",
    )
    .await;
    app.ok(
        Some(&admin),
        mark,
        json!({ "id": again["id"], "of": published["id"] }),
    )
    .await;
    let c = app
        .ok(Some(&q5_official), via_link, json!({ "id": again["id"] }))
        .await;
    let orig = &c["complaint"]["duplicateOf"];
    assert_eq!(orig["code"], published["code"], "{c}");
    assert_eq!(orig["answer"], "Đã xử lý");
    assert!(orig["contact"].is_null(), "{c}");
    assert_eq!(orig["events"], json!([]), "{c}");
}

#[tokio::test]
async fn a_replayed_retry_key_returns_nothing_of_the_first_request() {
    let app = TestApp::spawn_configured(behind_proxy).await;
    let unit = app.unit_id("P.CHOLON").await;
    let mut first_input = complaint_input(&unit, "Trễ hẹn cấp phép", "0912000333");
    first_input["i"]["idempotencyKey"] = json!("retry-777");
    let first = gql_from(&app, "1.1.1.1", None, FILE, first_input.clone()).await;
    let first = first["data"]["fileComplaint"].clone();
    assert_eq!(first["contact"]["phone"], "0912000333");

    // The same client retrying gets the first result, not a second complaint.
    let retry = gql_from(&app, "1.1.1.1", None, FILE, first_input.clone()).await;
    assert_eq!(retry["data"]["fileComplaint"]["id"], first["id"], "{retry}");

    // The same client with another body: CONFLICT, and nothing of the first.
    let mut changed = first_input.clone();
    changed["i"]["title"] = json!("Một phản ánh khác");
    let b = gql_from(&app, "1.1.1.1", None, FILE, changed).await;
    assert_eq!(error_code(&b), "CONFLICT", "{b}");
    assert!(!b.to_string().contains("0912000333"), "{b}");

    // Another client with the key: an invalid body is refused as invalid, never answered
    // with the stored complaint.
    let mut invalid = first_input.clone();
    invalid["i"]["contact"] = json!({ "name": "X" });
    let b = gql_from(&app, "2.2.2.2", None, FILE, invalid).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(!b.to_string().contains("0912000333"), "{b}");
    // Another client with the same key and its own body files its own complaint.
    let mut theirs = complaint_input(&unit, "Phản ánh của người khác", "0912000444");
    theirs["i"]["idempotencyKey"] = json!("retry-777");
    let other = gql_from(&app, "2.2.2.2", None, FILE, theirs).await;
    let other = &other["data"]["fileComplaint"];
    assert_ne!(other["id"], first["id"]);
    assert_eq!(other["contact"]["phone"], "0912000444");
    // Even with the very same body, another client learns nothing of the first complaint.
    let copy = gql_from(&app, "3.3.3.3", None, FILE, first_input.clone()).await;
    assert_ne!(copy["data"]["fileComplaint"]["id"], first["id"], "{copy}");
    assert_ne!(
        copy["data"]["fileComplaint"]["code"], first["code"],
        "{copy}"
    );
    // A signed-in caller is another owner too.
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let signed = gql_from(&app, "1.1.1.1", Some(&citizen), FILE, first_input).await;
    assert_ne!(
        signed["data"]["fileComplaint"]["id"], first["id"],
        "{signed}"
    );

    // Script tokens of two units share a subject, not their keys.
    let q5_script = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let stp_script = app.script_token(Role::Official, Some("STP")).await;
    let mut scripted = complaint_input(&unit, "Phản ánh qua hệ thống", "0912000555");
    scripted["i"]["idempotencyKey"] = json!("script-k1");
    let by_q5 = app.ok(Some(&q5_script), FILE, scripted.clone()).await;
    let by_stp = app.ok(Some(&stp_script), FILE, scripted).await;
    assert_ne!(
        by_q5["fileComplaint"]["id"], by_stp["fileComplaint"]["id"],
        "another unit's script got the first complaint back"
    );

    // Ratings: a key replayed with another body is CONFLICT.
    let official = app.script_token(Role::Official, Some("SDL")).await;
    let d = app
        .record_dossier(
            &official,
            "TR-RATE-1",
            "SDL",
            "1.001432",
            "2026-11-02T09:00:00+07:00",
        )
        .await;
    app.complete_dossier(&official, "TR-RATE-1").await;
    let code = rating_code(&app, &official, "TR-RATE-1").await;
    assert_eq!(d["code"], "TR-RATE-1");
    let rate = "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { id scores { component score } } }";
    let r1 = json!({ "i": { "dossierCode": "TR-RATE-1", "ratingCode": code, "scores": [{ "component": "ACCESS", "score": 5 }], "idempotencyKey": "rate-1" } });
    let a = app.ok(None, rate, r1.clone()).await;
    let again = app.ok(None, rate, r1.clone()).await;
    assert_eq!(a["submitRating"]["id"], again["submitRating"]["id"]);
    let mut r2 = r1.clone();
    r2["i"]["scores"] = json!([{ "component": "ACCESS", "score": 1 }]);
    assert_eq!(error_code(&app.gql(None, rate, r2).await), "CONFLICT");
}

/// The rating code of a dossier as its receipt printed it, after checking that the staff of
/// its unit cannot read it back: the answer of `recordDossier` was the only place it showed.
async fn rating_code(app: &TestApp, staff: &str, dossier: &str) -> String {
    let d = app
        .ok(
            Some(staff),
            "query($c: String!) { dossier: dossierByCode(code: $c) { code ratingCode } }",
            json!({ "c": dossier }),
        )
        .await;
    assert_eq!(d["dossier"]["code"], dossier, "{d}");
    assert!(
        d["dossier"]["ratingCode"].is_null(),
        "staff read a rating code after the receipt: {d}"
    );
    app.rating_code(dossier).await
}

#[tokio::test]
async fn only_the_filer_rates_a_dossier() {
    let app = TestApp::spawn().await;
    let official = app.script_token(Role::Official, Some("SDL")).await;
    app.record_dossier(
        &official,
        "TR-PROOF-1",
        "SDL",
        "1.001432",
        "2026-11-02T09:00:00+07:00",
    )
    .await;
    app.complete_dossier(&official, "TR-PROOF-1").await;
    let rate =
        "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified unit { code } } }";
    let with = |code: Option<&str>| json!({ "i": { "dossierCode": "TR-PROOF-1", "ratingCode": code, "scores": [{ "component": "RESULT", "score": 5 }] } });
    // A stranger with the dossier code alone, or a wrong rating code, may not rate it.
    assert_eq!(
        error_code(&app.gql(None, rate, with(None)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, rate, with(Some("AAAAAAAA"))).await),
        "FORBIDDEN"
    );
    // The rating code is not public: the dossier's public view does not show it.
    let public = app
        .ok(
            None,
            "query { dossier: dossierByCode(code: \"TR-PROOF-1\") { code ratingCode } }",
            json!({}),
        )
        .await;
    assert_eq!(public["dossier"]["code"], "TR-PROOF-1");
    assert!(public["dossier"]["ratingCode"].is_null(), "{public}");
    let other_unit = app.script_token(Role::Official, Some("P.CHOLON")).await;
    let other = app
        .ok(
            Some(&other_unit),
            "query { dossier: dossierByCode(code: \"TR-PROOF-1\") { ratingCode } }",
            json!({}),
        )
        .await;
    assert!(other["dossier"]["ratingCode"].is_null(), "{other}");

    // Evaluators audit the ratings: they do not see the code, and staff never rate.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let seen = app
        .ok(
            Some(&evaluator),
            "query { dossier: dossierByCode(code: \"TR-PROOF-1\") { filerKind ratingCode } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["dossier"]["filerKind"], "CITIZEN");
    assert!(seen["dossier"]["ratingCode"].is_null(), "{seen}");
    let staff_code = rating_code(&app, &official, "TR-PROOF-1").await;
    for staff in [&evaluator, &official] {
        let b = app.gql(Some(staff), rate, with(Some(&staff_code))).await;
        assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    }
    // Nor at a kiosk, without a dossier: an unverified rating of their own unit still moves
    // its published satisfaction.
    let kiosk = json!({ "i": { "unit": app.unit_id("SDL").await, "channel": "KIOSK",
                              "scores": [{ "component": "OFFICIAL", "score": 5 }] } });
    let b = app
        .gql(
            Some(&official),
            "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { id } }",
            kiosk.clone(),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    let ok = app
        .ok(
            None,
            "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }",
            kiosk,
        )
        .await;
    assert_eq!(ok["submitRating"]["verified"], false);

    // The filer, with the code printed on the receipt (typed in lower case with a space).
    let code = rating_code(&app, &official, "TR-PROOF-1").await;
    assert_eq!(code.len(), 8);
    let typed = format!("{} {}", &code[..4].to_lowercase(), &code[4..]);
    let ok = app.ok(None, rate, with(Some(&typed))).await;
    assert_eq!(ok["submitRating"]["verified"], true);
    assert_eq!(ok["submitRating"]["unit"]["code"], "SDL");

    // A one-stop-shop system that prints its own rating code gives it when recording.
    let unit = app.unit_id("SDL").await;
    let procedure = app.procedure_id("1.001432").await;
    let record =
        "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code ratingCode } }";
    let own = |code: &str, rc: &str| json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN", "receivedAt": "2026-11-02T09:00:00+07:00", "ratingCode": rc } });
    assert_eq!(
        error_field(
            &app.gql(Some(&official), record, own("TR-OWN-0", "ab1"))
                .await
        ),
        "input.ratingCode"
    );
    let r = app
        .ok(Some(&official), record, own("TR-OWN-1", "qx7-k2m9"))
        .await;
    assert_eq!(r["recordDossier"]["ratingCode"], "QX7K2M9");
    app.complete_dossier(&official, "TR-OWN-1").await;
    let mut by_own = with(Some("QX7K2M9"));
    by_own["i"]["dossierCode"] = json!("TR-OWN-1");
    assert_eq!(
        app.ok(None, rate, by_own).await["submitRating"]["verified"],
        true
    );

    // A signed-in business rates the dossier it filed without the code.
    app.ok(
        Some(&official),
        "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
        json!({ "i": { "code": "TR-BIZ-1", "unit": unit, "procedure": procedure, "filerKind": "BUSINESS", "taxCode": portal::seed::DEMO_TAX_CODE, "receivedAt": "2026-11-02T09:00:00+07:00" } }),
    )
    .await;
    app.complete_dossier(&official, "TR-BIZ-1").await;
    let business = app.login("congty.demo", "gopy-business-demo").await;
    let biz = json!({ "i": { "dossierCode": "TR-BIZ-1", "scores": [{ "component": "ACCESS", "score": 4 }] } });
    let r = app.ok(Some(&business), rate, biz.clone()).await;
    assert_eq!(r["submitRating"]["verified"], true);
    // A signed-in citizen needs the rating code like anyone else.
    let mut second = biz.clone();
    second["i"]["dossierCode"] = json!("TR-PROOF-1");
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    assert_eq!(
        error_code(&app.gql(Some(&citizen), rate, second).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn wrong_rating_codes_and_contacts_are_limited_per_code() {
    let app = TestApp::spawn_configured(|c| {
        behind_proxy(c);
        c.code_guesses_per_hour = 3;
    })
    .await;
    let official = app.script_token(Role::Official, Some("SDL")).await;
    app.record_dossier(
        &official,
        "TR-GUESS-1",
        "SDL",
        "1.001432",
        "2026-11-02T09:00:00+07:00",
    )
    .await;
    app.complete_dossier(&official, "TR-GUESS-1").await;
    let code = rating_code(&app, &official, "TR-GUESS-1").await;
    let rate = "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }";
    let with = |c: &str| json!({ "i": { "dossierCode": "TR-GUESS-1", "ratingCode": c, "scores": [{ "component": "RESULT", "score": 5 }] } });
    let stranger = "198.51.100.7";
    for g in ["AAAAAAA1", "AAAAAAA2", "AAAAAAA3"] {
        let b = gql_from(&app, stranger, None, rate, with(g)).await;
        assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    }
    // Past the limit even the right code waits at that address: guessing cannot go on…
    let b = gql_from(&app, stranger, None, rate, with(&code)).await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    // …but the stranger has not locked the real filer out.
    let b = gql_from(&app, "198.51.100.8", None, rate, with(&code)).await;
    assert_eq!(b["data"]["submitRating"]["verified"], true, "{b}");

    let unit = app.unit_id("P.CHOLON").await;
    let c = file(&app, None, &unit, "Tra cứu", "0913000555").await;
    let by_code = "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { code contact { phone } } }";
    // The right contact does not use up a guess.
    let right = app
        .ok(
            None,
            by_code,
            json!({ "c": c["code"], "k": "0913 000 555" }),
        )
        .await;
    assert_eq!(right["complaintByCode"]["contact"]["phone"], "0913000555");
    for k in ["0913000001", "0913000002", "0913000003"] {
        let b = gql_from(
            &app,
            stranger,
            None,
            by_code,
            json!({ "c": c["code"], "k": k }),
        )
        .await;
        assert!(b["data"]["complaintByCode"].is_null(), "{b}");
    }
    let b = gql_from(
        &app,
        stranger,
        None,
        by_code,
        json!({ "c": c["code"], "k": "0913000004" }),
    )
    .await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    // Ten times the limit from all addresses together, whatever the address.
    for n in 0..27 {
        let b = gql_from(
            &app,
            &format!("198.51.100.{}", 20 + n / 3),
            None,
            by_code,
            json!({ "c": c["code"], "k": format!("09130001{n:02}") }),
        )
        .await;
        assert!(b["data"]["complaintByCode"].is_null(), "{n}: {b}");
    }
    let b = gql_from(
        &app,
        "198.51.100.99",
        None,
        by_code,
        json!({ "c": c["code"], "k": "0913000200" }),
    )
    .await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
}

#[tokio::test]
async fn sign_in_failures_count_per_account_and_at_once() {
    let app = TestApp::spawn_configured(|c| {
        behind_proxy(c);
        c.login_failures_per_account = 5;
    })
    .await;
    let reg =
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { username } } }";
    app.ok(
        None,
        reg,
        json!({ "i": { "username": "tran.van.b", "password": "mat-khau-dung-1", "displayName": "Trần Văn B", "phone": "0914000666" } }),
    )
    .await;
    app.confirm_contacts("tran.van.b").await;
    let login = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    let as_ = |l: &str, p: &str| json!({ "i": { "login": l, "password": p } });
    let guesser = "203.0.113.50";
    // Five spellings of one phone number are one account's five failures.
    for spelling in [
        "0914000666",
        "+84 914 000 666",
        "0914.000.666",
        "84914000666",
        "tran.van.b",
    ] {
        let b = gql_from(&app, guesser, None, login, as_(spelling, "sai-mat-khau")).await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{spelling}: {b}");
    }
    let b = gql_from(
        &app,
        guesser,
        None,
        login,
        as_("(0914) 000-666", "mat-khau-dung-1"),
    )
    .await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    // The stranger's failures do not lock the holder out at their own address…
    let b = gql_from(
        &app,
        "203.0.113.51",
        None,
        login,
        as_("0914000666", "mat-khau-dung-1"),
    )
    .await;
    assert!(b["data"]["login"]["accessToken"].is_string(), "{b}");
    // …until failures from every address together reach ten times the limit.
    for n in 0..45 {
        let b = gql_from(
            &app,
            &format!("203.0.113.{}", 60 + n / 5),
            None,
            login,
            as_("tran.van.b", &format!("doan-{n}")),
        )
        .await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{n}: {b}");
    }
    let b = gql_from(
        &app,
        "203.0.113.99",
        None,
        login,
        as_("tran.van.b", "doan-cuoi"),
    )
    .await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");

    // Concurrent guesses at another account from one address: exactly the limit get an answer.
    app.ok(
        None,
        reg,
        json!({ "i": { "username": "le.thi.d", "password": "mat-khau-dung-2", "displayName": "Lê Thị D" } }),
    )
    .await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move {
            gql_from(
                app,
                "203.0.113.7",
                None,
                login,
                as_("le.thi.d", &format!("doan-sai-{i}")),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let tried = answers
        .iter()
        .filter(|b| error_code(b) == "UNAUTHENTICATED")
        .count();
    let limited = answers
        .iter()
        .filter(|b| error_code(b) == "RATE_LIMITED")
        .count();
    assert_eq!((tried, limited), (5, 15));
}

#[tokio::test]
async fn registrations_and_signed_in_submissions_are_limited() {
    let app = TestApp::spawn_configured(|c| {
        c.registrations_per_hour = 2;
        c.account_submissions_per_hour = 3;
    })
    .await;
    let reg = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    let user = |n: usize| json!({ "i": { "username": format!("nguoi.dung.{n}"), "password": "mat-khau-dai-du", "displayName": format!("Người dùng {n}") } });
    let token = app.ok(None, reg, user(1)).await["register"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(None, reg, user(2)).await;
    let b = app.gql(None, reg, user(3)).await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    // All or nothing: the refused registration wrote no account.
    let b = app
        .gql(
            None,
            "mutation { login(input: {login: \"nguoi.dung.3\", password: \"mat-khau-dai-du\"}) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");

    let unit = app.unit_id("P.CHOLON").await;
    for i in 0..3 {
        let f = app
            .ok(
                Some(&token),
                FILE,
                complaint_input(&unit, &format!("Phản ánh {i}"), "0915000777"),
            )
            .await;
        assert!(f["fileComplaint"]["code"].is_string());
    }
    let b = app
        .gql(
            Some(&token),
            FILE,
            complaint_input(&unit, "Phản ánh thứ tư", "0915000777"),
        )
        .await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let q = |unit: &str, n: usize| complaint_input(unit, &format!("Phản ánh số {n}"), "0916000888");
    // Behind a trusted proxy, two clients have their own limits.
    let app = TestApp::spawn_configured(|c| {
        behind_proxy(c);
        c.anonymous_submissions_per_hour = 2;
    })
    .await;
    let unit = app.unit_id("P.CHOLON").await;
    for n in 0..2 {
        let b = gql_from(&app, "203.0.113.1", None, FILE, q(&unit, n)).await;
        assert!(b["data"]["fileComplaint"]["code"].is_string(), "{b}");
    }
    let b = gql_from(&app, "203.0.113.1", None, FILE, q(&unit, 3)).await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    let b = gql_from(&app, "203.0.113.2", None, FILE, q(&unit, 4)).await;
    assert!(b["data"]["fileComplaint"]["code"].is_string(), "{b}");

    // From a peer that is not a trusted proxy, the header is ignored: one address, one limit.
    let app = TestApp::spawn_configured(|c| {
        c.trusted_proxies = vec![];
        c.anonymous_submissions_per_hour = 2;
    })
    .await;
    let unit = app.unit_id("P.CHOLON").await;
    for (n, client) in ["203.0.113.1", "203.0.113.2"].iter().enumerate() {
        let b = gql_from(&app, client, None, FILE, q(&unit, n)).await;
        assert!(b["data"]["fileComplaint"]["code"].is_string(), "{b}");
    }
    let b = gql_from(&app, "203.0.113.3", None, FILE, q(&unit, 9)).await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");
    let peer: IpAddr = "127.0.0.1".parse().unwrap();
    assert_eq!(
        portal::client_addr::client_ip(peer, &Default::default(), &[]),
        peer
    );
}

#[tokio::test]
async fn invisible_text_and_unit_cycles_are_bad_input() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("P.CHOLON").await;
    for invisible in ["\u{FFF9}\u{FFFB}", "\u{13430}\u{13431}", "\u{0600}"] {
        let b = app
            .gql(None, FILE, complaint_input(&unit, invisible, "0917000999"))
            .await;
        assert_eq!(error_field(&b), "input.title", "{invisible:?}: {b}");
    }
    let zw = "\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}";
    let b = app
        .gql(None, FILE, complaint_input(&unit, zw, "0917000999"))
        .await;
    assert_eq!(error_field(&b), "input.title", "{b}");
    let mut body = complaint_input(&unit, "Tiêu đề", "0917000999");
    body["i"]["body"] = json!(format!(" {zw}\u{00AD} "));
    assert_eq!(error_field(&app.gql(None, FILE, body).await), "input.body");
    let mut name = complaint_input(&unit, "Tiêu đề", "0917000999");
    name["i"]["contact"]["name"] = json!(zw);
    assert_eq!(
        error_field(&app.gql(None, FILE, name).await),
        "input.contact.name"
    );

    let admin = app.admin().await;
    let create = "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }";
    let a = app
        .ok(
            Some(&admin),
            create,
            json!({ "i": { "code": "CYC-A", "name": "Đơn vị A", "block": "DEPARTMENT" } }),
        )
        .await["createUnit"]["id"]
        .clone();
    let b_id = app
        .ok(Some(&admin), create, json!({ "i": { "code": "CYC-B", "name": "Đơn vị B", "block": "DEPARTMENT", "parent": a } }))
        .await["createUnit"]["id"]
        .clone();
    let upd = "mutation($id: ID!, $p: ID) { updateUnit(id: $id, input: {parent: $p}) { id } }";
    let b = app
        .gql(Some(&admin), upd, json!({ "id": a, "p": b_id }))
        .await;
    assert_eq!(error_field(&b), "input.parent", "{b}");
    let chain = app
        .ok(
            None,
            "query { unit: unitByCode(code: \"CYC-B\") { parent { code parent { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(chain["unit"]["parent"]["code"], "CYC-A");
    assert!(chain["unit"]["parent"]["parent"].is_null(), "{chain}");
}

#[tokio::test]
async fn dates_out_of_range_are_bad_input_not_a_crash() {
    let app = TestApp::spawn().await;
    let q = "query($f: SatisfactionFilter) { satisfaction(filter: $f) { ratings } }";
    for f in [
        json!({ "from": "-262143-01-01" }),
        json!({ "to": "+262142-12-31" }),
    ] {
        let (status, b) = app.gql_full(None, q, json!({ "f": f }), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    }
    let deadline = "query($f: DateTime!) { workingDayDeadline(days: 1, from: $f) }";
    for t in ["+262142-12-31T00:00:00Z", "-262143-01-01T00:00:00Z"] {
        let b = app.gql(None, deadline, json!({ "f": t })).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{t}: {b}");
    }
    let official = app.script_token(Role::Official, Some("SDL")).await;
    let unit = app.unit_id("SDL").await;
    let procedure = app.procedure_id("1.001432").await;
    let b = app
        .gql(
            Some(&official),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
            json!({ "i": { "code": "TR-FAR", "unit": unit, "procedure": procedure, "filerKind": "CITIZEN", "receivedAt": "-262143-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.receivedAt", "{b}");
    let ok = app
        .ok(
            None,
            q,
            json!({ "f": { "from": "2026-01-01", "to": "2027-01-01" } }),
        )
        .await;
    assert!(ok["satisfaction"]["ratings"].is_u64());
}

/// `n` aliased copies of `field` in one query.
fn aliased(n: usize, field: &str) -> String {
    let mut q = String::from("{");
    for i in 0..n {
        q.push_str(&format!(" a{i}: {field}"));
    }
    q.push('}');
    q
}

#[tokio::test]
async fn one_request_cannot_ask_for_thousands_of_things() {
    let app = TestApp::spawn().await;
    let searches = aliased(
        2400,
        "searchComplaints(filter: {query: \"giấy phép\"}) { totalCount edges { node { complaint { id } } } }",
    );
    let b = app.gql(None, &searches, json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(b["data"].is_null());
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PORTAL_MAX_ALIASES"),
        "{b}"
    );
    let typenames = aliased(20_000, "__typename");
    let b = app.gql(None, &typenames, json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(b["data"].is_null());

    // Fields without aliases are capped too, counted through fragments.
    let mut fragments =
        String::from("query { ...F9 } fragment F0 on Query { units(first: 1) { totalCount } }");
    for i in 1..10 {
        fragments.push_str(&format!(
            " fragment F{i} on Query {{ ...F{p} ...F{p} }}",
            p = i - 1
        ));
    }
    let b = app.gql(None, &fragments, json!({})).await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PORTAL_MAX_FIELDS"),
        "{b}"
    );

    // A chain of fragments each spreading the next twice stands for 2^40 selections: refused
    // at once, before anything walks it.
    let mut bomb = String::from("query { ...F0 }");
    for i in 0..40 {
        bomb.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    bomb.push_str(" fragment F40 on Query { __typename }");
    let b = app.gql(None, &bomb, json!({})).await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PORTAL_MAX_FIELDS"),
        "{b}"
    );
    // Values nested thousands deep would overflow the parser's stack: refused unparsed, by POST
    // and by GET, and the server stays up.
    let deep = format!(
        "{{ __typename(x: {}1{}) }}",
        "[".repeat(3000),
        "]".repeat(3000)
    );
    let b = app.gql(None, &deep, json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    let r = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", deep.as_str())])
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.expect("JSON");
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    let ok = app.ok(None, "{ me { role } }", json!({})).await;
    assert!(ok["me"].is_null());

    // Declared variables are capped too (each unused one would add an error to the answer).
    let vars: Vec<String> = (0..500).map(|i| format!("$v{i}: Int")).collect();
    let b = app
        .gql(
            None,
            &format!("query({}) {{ me {{ role }} }}", vars.join(", ")),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert_eq!(b["errors"].as_array().unwrap().len(), 1, "{b}");

    // A search costs far more than a field: a dozen of them is over the budget, though the
    // aliases are few.
    let dozen = aliased(
        12,
        "searchComplaints(filter: {query: \"giấy phép\"}) { totalCount edges { node { complaint { id title } } } }",
    );
    let b = app.gql(None, &dozen, json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    let two = aliased(
        2,
        "searchComplaints(filter: {query: \"giấy phép\"}) { totalCount edges { node { complaint { id title } } } }",
    );
    let ok = app.ok(None, &two, json!({})).await;
    assert!(ok["a0"]["totalCount"].is_u64());

    // A list costs by its `first`: two pages of 100 complaints with their details are over
    // the budget, the same two pages of 5 are not.
    let node = "id code kind category status title body receivedAt forwardDueAt forwardedAt \
        forwardedLate answerDueAt overdue answer answeredAt answeredLate published publishedAt \
        rejectionReason filerSatisfied filerComment reopenCount closedAt allowedActions \
        unit { id code name shortName block } assignedUnit { id code name shortName block } \
        procedure { id code name }";
    let pages = |n: usize| {
        aliased(
            2,
            &format!("complaints(first: {n}) {{ totalCount edges {{ node {{ {node} }} }} }}"),
        )
    };
    let b = app.gql(None, &pages(100), json!({})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    let ok = app.ok(None, &pages(5), json!({})).await;
    assert!(ok["a0"]["edges"].as_array().unwrap().len() <= 5);
    assert!(ok["a1"]["totalCount"].is_u64());
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_answered_with_an_error() {
    // A sign-in checks a password with Argon2 (tens of milliseconds): far past 1 ms.
    let app =
        TestApp::spawn_configured(|c| c.request_timeout = std::time::Duration::from_millis(1))
            .await;
    let b = app
        .gql(
            None,
            "mutation { login(input: {login: \"admin\", password: \"gopy-admin-demo\"}) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PORTAL_REQUEST_TIMEOUT"),
        "{b}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_read_and_answered_with_413() {
    let app = TestApp::spawn_configured(|c| c.body_limit = 4096).await;
    let big = format!(
        "{{\"query\":\"{{ me {{ role }} }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("the client reads the answer instead of a broken pipe");
    assert_eq!(resp.status().as_u16(), 413);
    let b: Value = resp.json().await.expect("a JSON body");
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "body");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PORTAL_BODY_LIMIT")
    );
    // The connection stays usable, and a body within the limit still works.
    let ok = app
        .ok(None, "{ units(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(ok["units"]["totalCount"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn every_answer_is_json_unknown_paths_and_methods_too() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/no-such-path"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let b: Value = r.json().await.expect("JSON");
    assert_eq!(error_code(&b), "NOT_FOUND");
    let r = app.client.delete(app.url("/graphql")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let b: Value = r.json().await.expect("JSON");
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
}

#[tokio::test]
async fn graphiql_loads_with_no_network_beyond_the_server() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("GraphiQL"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"),
        "{page}"
    );
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in page.split(attr).skip(1) {
            refs.push(part.split('"').next().unwrap().to_string());
        }
    }
    assert_eq!(refs.len(), 4, "{refs:?}");
    for r in refs {
        assert!(r.starts_with("/graphiql/"), "{r}");
        let resp = app.client.get(app.url(&r)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{r}");
        assert!(resp.bytes().await.unwrap().len() > 1000, "{r} is empty");
    }
}

#[tokio::test]
async fn production_turns_off_graphiql_introspection_and_other_origins() {
    let app = TestApp::spawn_configured(|c| {
        c.production = true;
        c.graphiql = false;
        c.introspection = false;
        c.cors_origins = vec![];
    })
    .await;
    let b = app
        .gql(
            None,
            "{ __schema { queryType { name } } __type(name: \"Complaint\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert!(b["data"]["__schema"].is_null(), "{b}");
    assert!(b["data"]["__type"].is_null(), "{b}");
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_ne!(page.status().as_u16(), 200);
    let sdl = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(sdl.status().as_u16(), 404);
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    // The API itself works.
    let ok = app
        .ok(None, "{ units(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(ok["units"]["totalCount"].as_u64().unwrap() > 0);
}
