//! Notifications against real servers: aiosmtpd (from PyPI) for e-mail, an HTTP receiver that
//! checks each webhook's signature, and a graphql-transport-ws client for the subscription.

use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field, test_config};

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }";
const INBOX: &str = "query($u: Boolean) { notifications(first: 20, unread: $u) { totalCount unreadCount edges { node { id kind subject body link read createdAt } } } }";
const DELIVERIES: &str = "query($f: NotificationDeliveryFilter) { notificationDeliveries(filter: $f, first: 50) { totalCount nodes { id kind channel status attempts lastError sentAt } } }";

/// The e-mails of the demo's outbox: the entries of its mailbox files (`<date>.mbox`), each
/// checked to begin with an mbox `From ` line.
fn outbox_mails(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "mbox") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("From "), "{}: not an mbox", p.display());
        for m in text.split("\n\nFrom ").filter(|m| !m.trim().is_empty()) {
            out.push(m.to_string());
        }
    }
    out
}

// ---------------------------------------------------------------- a real SMTP server

static PIP: Once = Once::new();

/// aiosmtpd, installed once if this machine lacks it (`.ci/run` installs it beforehand).
fn ensure_aiosmtpd() {
    PIP.call_once(|| {
        let has = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !has {
            let ok = std::process::Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "aiosmtpd==1.4.6"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "installing aiosmtpd (python3 -m pip install aiosmtpd) failed"
            );
        }
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An SMTP server (aiosmtpd) keeping each message it receives as JSON.
struct Smtp {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Smtp {
    async fn start() -> Smtp {
        Smtp::start_on(free_port()).await
    }

    async fn start_on(port: u16) -> Smtp {
        ensure_aiosmtpd();
        let dir = tempfile::tempdir().unwrap();
        let support = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support");
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.JsonSink"])
            .arg(dir.path())
            .env("PYTHONPATH", support)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Smtp { port, dir, child }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn mails(&self) -> Vec<Value> {
        let mut out = vec![];
        for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap());
            }
        }
        out
    }

    fn to(&self, address: &str) -> Vec<Value> {
        self.mails()
            .into_iter()
            .filter(|m| {
                m["rcptTos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == address)
            })
            .collect()
    }

    /// The first mail to `address` whose subject contains `needle`, waiting up to `secs`.
    async fn wait_for(&self, address: &str, needle: &str, secs: u64) -> Value {
        let started = Instant::now();
        loop {
            if let Some(m) = self
                .to(address)
                .into_iter()
                .find(|m| m["subject"].as_str().unwrap().contains(needle))
            {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "no mail to {address} with {needle:?} in {secs} s; got {:#?}",
                self.mails()
                    .iter()
                    .map(|m| (m["rcptTos"].clone(), m["subject"].clone()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the portal

async fn spawn_with_smtp(smtp_url: &str) -> TestApp {
    let url = smtp_url.to_string();
    TestApp::spawn_configured(move |c| {
        c.notify.smtp_url = Some(url);
        c.notify.public_url = Some("https://gopy.example.gov.vn".into());
        c.notify.retry_base = Duration::from_secs(1);
    })
    .await
}

async fn notice(app: &TestApp) -> i64 {
    app.ok(None, "{ privacyNotice { version } }", json!({}))
        .await["privacyNotice"]["version"]
        .as_i64()
        .unwrap()
}

/// Files an anonymous complaint about phường Chợ Lớn with `contact` and the consents given;
/// returns its id and tracking code.
async fn file(app: &TestApp, contact: Value, consents: Value, lang: &str) -> (String, String) {
    let unit = app.unit_id("P.CHOLON").await;
    let v = notice(app).await;
    let (_, b) = app
        .gql_full(
            None,
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                "title": "Hồ sơ đăng ký hộ kinh doanh trễ hẹn",
                "body": "Hồ sơ nộp ngày 20/11 đến nay chưa có kết quả, cán bộ hẹn lại nhiều lần.",
                "contact": contact,
                "privacy": { "noticeVersion": v, "consents": consents, "channel": "WEB" } } }),
            &[("accept-language", lang)],
        )
        .await;
    let c = &b["data"]["fileComplaint"];
    assert!(c["code"].is_string(), "{b}");
    (
        c["id"].as_str().unwrap().to_string(),
        c["code"].as_str().unwrap().to_string(),
    )
}

async fn official(app: &TestApp) -> String {
    app.login("q5.canbo", "gopy-official-demo").await
}

async fn accept_and_answer(app: &TestApp, q5: &str, id: &str) {
    let a = app
        .ok(
            Some(q5),
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(a["acceptComplaint"]["status"], "ACCEPTED");
    let a = app
        .ok(
            Some(q5),
            "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đơn vị đã trả kết quả và xin lỗi.\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(a["answerComplaint"]["status"], "ANSWERED");
}

/// Waits until the inbox of `token` holds an entry of `kind` whose subject contains `needle`.
async fn inbox_entry(app: &TestApp, token: &str, kind: &str, needle: &str) -> Value {
    let started = Instant::now();
    loop {
        let b = app.ok(Some(token), INBOX, json!({})).await;
        if let Some(n) = b["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .find(|n| n["kind"] == kind && n["subject"].as_str().unwrap().contains(needle))
        {
            return n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no {kind} entry with {needle:?}: {b}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn a_filer_who_consents_is_emailed_each_step_with_the_tracking_code() {
    let smtp = Smtp::start().await;
    let app = spawn_with_smtp(&smtp.url()).await;
    let (id, code) = file(
        &app,
        json!({ "name": "Lê Thị Cúc", "email": "cuc.le@example.com", "phone": "0903 123 456" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;

    let received = smtp.wait_for("cuc.le@example.com", &code, 15).await;
    assert!(
        received["subject"]
            .as_str()
            .unwrap()
            .contains("Đã tiếp nhận"),
        "{received}"
    );
    let body = received["body"].as_str().unwrap();
    assert!(body.contains(&format!("Mã: {code}")), "{body}");
    assert!(body.contains("Chợ Lớn"), "the unit: {body}");
    assert!(
        body.contains("Hạn tiếp theo: "),
        "the next deadline: {body}"
    );
    assert!(
        body.contains(&format!("https://gopy.example.gov.vn/complaints/{code}")),
        "{body}"
    );
    // Nobody's contact, the filer's own name included, nor the text of the item.
    for leak in ["Lê Thị Cúc", "0903", "cuc.le@", "trễ hẹn"] {
        assert!(!body.contains(leak), "{leak} in {body}");
    }
    let unsubscribe = received["headers"]["List-Unsubscribe"].as_str().unwrap();
    assert!(
        unsubscribe.starts_with("<https://gopy.example.gov.vn/notifications/unsubscribe?token=v1."),
        "{unsubscribe}"
    );
    assert_eq!(
        received["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );

    // The unit's official is told of the new item (their account's e-mail).
    let new_item = smtp.wait_for("q5.canbo@demo.gopy.vn", &code, 15).await;
    assert!(
        new_item["subject"]
            .as_str()
            .unwrap()
            .contains("mới cho đơn vị"),
        "{new_item}"
    );
    assert!(
        !new_item["body"].as_str().unwrap().contains("cuc.le@"),
        "{new_item}"
    );

    let q5 = official(&app).await;
    accept_and_answer(&app, &q5, &id).await;
    let accepted = smtp.wait_for("cuc.le@example.com", "được thụ lý", 15).await;
    assert!(accepted["subject"].as_str().unwrap().contains(&code));
    let answered = smtp
        .wait_for("cuc.le@example.com", "đã có trả lời", 15)
        .await;
    assert!(answered["subject"].as_str().unwrap().contains(&code));
    assert!(
        answered["body"].as_str().unwrap().contains("công khai"),
        "{answered}"
    );
    // One e-mail per step.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        smtp.to("cuc.le@example.com").len(),
        3,
        "{:#?}",
        smtp.to("cuc.le@example.com")
    );

    // In the filer's language: a filer writing in English is written to in English.
    let (_, code_en) = file(
        &app,
        json!({ "name": "Anna Smith", "email": "anna@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "en",
    )
    .await;
    let en = smtp.wait_for("anna@example.com", &code_en, 15).await;
    assert!(
        en["subject"]
            .as_str()
            .unwrap()
            .contains("Your feedback was received"),
        "{en}"
    );
    assert!(
        en["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Code: {code_en}")),
        "{en}"
    );
}

#[tokio::test]
async fn without_consent_nothing_is_sent_and_a_withdrawal_stops_what_is_queued() {
    let smtp = Smtp::start().await;
    let app = spawn_with_smtp(&smtp.url()).await;
    let q5 = official(&app).await;
    let (id, _) = file(
        &app,
        json!({ "name": "Trần Văn Bình", "email": "binh@example.com" }),
        json!([]),
        "vi",
    )
    .await;
    accept_and_answer(&app, &q5, &id).await;
    // A filer who consented, then withdrew: told of the receipt, of nothing after.
    let (id2, code2) = file(
        &app,
        json!({ "name": "Lâm Thị Châu", "email": "chau@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    smtp.wait_for("chau@example.com", &code2, 15).await;
    let consents = app
        .ok(None, "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { consents { id purpose } } }", json!({ "c": code2, "k": "chau@example.com" }))
        .await;
    let cid = consents["complaintByCode"]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "CONTACT_ABOUT_OUTCOME")
        .unwrap()["id"]
        .clone();
    app.ok(
        None,
        "mutation($id: ID!, $k: String) { withdrawConsent(id: $id, contact: $k) { withdrawnAt } }",
        json!({ "id": cid, "k": "chau@example.com" }),
    )
    .await;
    accept_and_answer(&app, &q5, &id2).await;
    // A later filer who consents: once their e-mail is out, the first filer's would be too.
    let (_, barrier) = file(
        &app,
        json!({ "name": "Phạm Thị Dung", "email": "dung@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    smtp.wait_for("dung@example.com", &barrier, 15).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        smtp.to("binh@example.com").is_empty(),
        "{:#?}",
        smtp.to("binh@example.com")
    );
    assert_eq!(
        smtp.to("chau@example.com").len(),
        1,
        "{:#?}",
        smtp.to("chau@example.com")
    );
    // The official was still told of both items.
    assert!(smtp.to("q5.canbo@demo.gopy.vn").len() >= 2);
}

#[tokio::test]
async fn a_stopped_smtp_server_delays_but_loses_nothing() {
    let port = free_port();
    // Nothing listens there yet.
    let app = spawn_with_smtp(&format!("smtp://127.0.0.1:{port}")).await;
    let admin = app.admin().await;
    let (_, code) = file(
        &app,
        json!({ "name": "Võ Thị Én", "email": "en.vo@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    // The failure is recorded, with its reason, and the message is kept for a retry.
    let started = Instant::now();
    let failed = loop {
        let d = app
            .ok(
                Some(&admin),
                DELIVERIES,
                json!({ "f": { "status": ["FAILED"], "kind": "COMPLAINT_RECEIVED" } }),
            )
            .await;
        if let Some(n) = d["notificationDeliveries"]["nodes"]
            .as_array()
            .unwrap()
            .first()
        {
            break n.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no failed delivery: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed["channel"], "EMAIL");
    assert!(
        failed["lastError"].as_str().unwrap().contains("SMTP"),
        "{failed}"
    );
    assert!(failed["sentAt"].is_null());
    // Failures are for admins only.
    let q5 = official(&app).await;
    let denied = app.gql(Some(&q5), DELIVERIES, json!({})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN", "{denied}");

    // The server comes up: the message goes out on a later try.
    let smtp = Smtp::start_on(port).await;
    let mail = smtp.wait_for("en.vo@example.com", &code, 30).await;
    assert!(mail["body"].as_str().unwrap().contains(&code));
    // Recorded as sent once the worker writes its batch down.
    let started = Instant::now();
    let node = loop {
        let sent = app
            .ok(
                Some(&admin),
                DELIVERIES,
                json!({ "f": { "status": ["SENT"], "kind": "COMPLAINT_RECEIVED" } }),
            )
            .await;
        if let Some(n) = sent["notificationDeliveries"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == failed["id"])
        {
            break n.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not recorded as sent: {sent}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(node["attempts"].as_i64().unwrap() >= 2, "{node}");
    assert!(node["sentAt"].is_string());
}

#[tokio::test]
async fn unsubscribing_needs_no_sign_in_and_a_forged_link_changes_nothing() {
    let smtp = Smtp::start().await;
    let app = spawn_with_smtp(&smtp.url()).await;
    let q5 = official(&app).await;
    let (id, code) = file(
        &app,
        json!({ "name": "Đỗ Văn Giang", "email": "giang@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    let mail = smtp.wait_for("giang@example.com", &code, 15).await;
    let link = mail["headers"]["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .replace("https://gopy.example.gov.vn", &app.addr);
    let token = link.split("token=").nth(1).unwrap().to_string();

    // Opening the link asks and changes nothing (mail scanners open links).
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("method=\"post\""));

    // Forged: another recipient with this signature, or the signature altered.
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let other = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode("account:someone|FILER_UPDATES|EMAIL");
    let mut altered_sig = parts[2].to_string();
    let last = altered_sig.pop().unwrap();
    altered_sig.push(if last == 'A' { 'B' } else { 'A' });
    for forged in [
        format!("v1.{other}.{}", parts[2]),
        format!("v1.{}.{altered_sig}", parts[1]),
        "v1.x.y".to_string(),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/notifications/unsubscribe?token={forged}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{forged}");
    }
    // Still subscribed: the acceptance is e-mailed.
    app.ok(
        Some(&q5),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    smtp.wait_for("giang@example.com", "được thụ lý", 15).await;

    // RFC 8058 one-click, with no sign-in.
    let r = app
        .client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Đã ngừng"));
    app.ok(
        Some(&q5),
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đã giải quyết.\") { status } }",
        json!({ "id": id }),
    )
    .await;
    let (_, barrier) = file(
        &app,
        json!({ "name": "Hà Văn Khoa", "email": "khoa@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    smtp.wait_for("khoa@example.com", &barrier, 15).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_giang: Vec<String> = smtp
        .to("giang@example.com")
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        to_giang.len(),
        2,
        "received and accepted only: {to_giang:?}"
    );
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_message_once() {
    let smtp = Smtp::start().await;
    let db = crate::helpers::TestDb::new().await;
    let configure = |d: &crate::helpers::TestDb| {
        let mut c = test_config(d);
        c.notify.smtp_url = Some(smtp.url());
        c.notify.retry_base = Duration::from_secs(1);
        c
    };
    let a = TestApp::spawn_with(configure(&db), db, true).await;
    let beside = a.db.beside();
    let b = TestApp::spawn_with(configure(&beside), beside, false).await;
    let mut codes = vec![];
    for i in 0..10 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (_, code) = file(
            app,
            json!({ "name": "Người phản ánh", "email": format!("filer{i}@example.com") }),
            json!(["CONTACT_ABOUT_OUTCOME"]),
            "vi",
        )
        .await;
        codes.push(code);
    }
    for (i, code) in codes.iter().enumerate() {
        smtp.wait_for(&format!("filer{i}@example.com"), code, 30)
            .await;
    }
    // Time for a second copy to show, if either server were to send one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (i, code) in codes.iter().enumerate() {
        let got = smtp.to(&format!("filer{i}@example.com"));
        assert_eq!(got.len(), 1, "{code}: {got:#?}");
    }
    let official_mails = smtp.to("q5.canbo@demo.gopy.vn");
    for code in &codes {
        let n = official_mails
            .iter()
            .filter(|m| m["subject"].as_str().unwrap().contains(code.as_str()))
            .count();
        assert_eq!(n, 1, "new item {code} told {n} times");
    }
}

// ---------------------------------------------------------------- webhooks

struct Hooks {
    url: String,
    got: Arc<Mutex<Vec<(Value, String, bool)>>>,
}

/// An HTTP receiver standing for the city's SMS gateway: it checks each request's signature.
async fn hooks(secret: &'static str) -> Hooks {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    let got: Arc<Mutex<Vec<(Value, String, bool)>>> = Default::default();
    let store = got.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let ts: i64 = headers
                    .get("x-gopy-timestamp")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let sig = headers
                    .get("x-gopy-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let ok = portal::notify::webhook::verify(
                    secret,
                    ts,
                    &body,
                    sig,
                    portal::clock::now().timestamp(),
                );
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                store.lock().unwrap().push((
                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                    key,
                    ok,
                ));
                if ok {
                    StatusCode::OK
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Hooks { url, got }
}

#[tokio::test]
async fn text_messages_go_to_the_gateway_signed_and_within_160_characters() {
    const SECRET: &str = "gateway-secret-of-the-city-0123";
    let h = hooks(SECRET).await;
    let url = h.url.clone();
    let app = TestApp::spawn_configured(move |c| {
        c.notify.sms_webhook = Some((url, SECRET.into()));
    })
    .await;
    let (_, code) = file(
        &app,
        json!({ "name": "Lý Văn Minh", "phone": "0912 345 678" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    let started = Instant::now();
    let (msg, key, ok) = loop {
        if let Some(m) = h.got.lock().unwrap().first().cloned() {
            break m;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no webhook");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(ok, "the signature checks out: {msg}");
    assert_eq!(msg["channel"], "SMS");
    assert_eq!(msg["kind"], "COMPLAINT_RECEIVED");
    assert_eq!(msg["id"], key, "the idempotency key is the message's id");
    assert_eq!(msg["to"], "+84912345678", "{msg}");
    let text = msg["text"].as_str().unwrap();
    assert!(text.chars().count() <= 160 && text.is_ascii(), "{text}");
    assert!(text.contains(&code) && text.starts_with("Gop Y"), "{text}");

    // Signed with another secret, the same request is refused by the gateway.
    let body = serde_json::to_vec(&msg).unwrap();
    let now = portal::clock::now().timestamp();
    let r = reqwest::Client::new()
        .post(&h.url)
        .header("x-gopy-timestamp", now.to_string())
        .header(
            "x-gopy-signature",
            portal::notify::webhook::sign("not-the-secret-at-all", now, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

// ---------------------------------------------------------------- the inbox, live

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(app: &TestApp, token: Option<&str>) -> (Ws, Value) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = app.addr.replace("http://", "ws://") + "/graphql/ws";
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let payload = match token {
        Some(t) => json!({ "token": t }),
        None => json!({}),
    };
    ws.send(
        json!({ "type": "connection_init", "payload": payload })
            .to_string()
            .into(),
    )
    .await
    .unwrap();
    let first = next_json(&mut ws, 5).await;
    (ws, first)
}

/// The next text frame as JSON (`{"closed": code}` when the server closes).
async fn next_json(ws: &mut Ws, secs: u64) -> Value {
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(Duration::from_secs(secs), ws.next()).await {
            Err(_) => return json!({ "timeout": true }),
            Ok(None) => return json!({ "closed": null }),
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).unwrap(),
            Ok(Some(Ok(Message::Close(f)))) => {
                return json!({ "closed": f.map(|f| u16::from(f.code)) });
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return json!({ "closed": e.to_string() }),
        }
    }
}

async fn subscribe(ws: &mut Ws) {
    ws.send(
        json!({ "id": "1", "type": "subscribe",
                "payload": { "query": "subscription { notifications { id kind subject body link } }" } })
        .to_string()
        .into(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_officials_subscription_gets_the_new_item_within_a_second() {
    let app = TestApp::spawn().await;
    let q5 = official(&app).await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let (mut ws, ack) = ws_connect(&app, Some(&q5)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    subscribe(&mut ws).await;
    let (mut other, ack) = ws_connect(&app, Some(&stp)).await;
    assert_eq!(ack["type"], "connection_ack");
    subscribe(&mut other).await;
    // Let both subscriptions start.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let filed = Instant::now();
    let (_, code) = file(
        &app,
        json!({ "name": "Mai Văn Nam", "phone": "0987 654 321" }),
        json!([]),
        "vi",
    )
    .await;
    // Items the start-up forwarded to the unit may come first.
    let msg = loop {
        let msg = next_json(&mut ws, 5).await;
        assert_eq!(msg["type"], "next", "{msg}");
        let s = msg["payload"]["data"]["notifications"]["subject"]
            .as_str()
            .unwrap()
            .to_string();
        if s.contains(&code) {
            break msg;
        }
    };
    let took = filed.elapsed();
    let n = &msg["payload"]["data"]["notifications"];
    assert_eq!(n["kind"], "NEW_ITEM");
    assert!(n["subject"].as_str().unwrap().contains(&code), "{n}");
    assert!(!n["body"].as_str().unwrap().contains("0987"), "{n}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    // Another unit's official hears nothing of it.
    loop {
        let m = next_json(&mut other, 2).await;
        if m["timeout"] == true {
            break;
        }
        assert!(!m.to_string().contains(&code), "{m}");
    }

    // The inbox keeps it; marking read is the owner's only.
    let entry = inbox_entry(&app, &q5, "NEW_ITEM", &code).await;
    assert_eq!(entry["read"], false);
    let theirs = app
        .ok(
            Some(&stp),
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { count } }",
            json!({ "ids": [entry["id"]] }),
        )
        .await;
    assert_eq!(theirs["markNotificationsRead"]["count"], 0);
    let mine = app
        .ok(
            Some(&q5),
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { count unreadCount } }",
            json!({ "ids": [entry["id"]] }),
        )
        .await;
    assert_eq!(mine["markNotificationsRead"]["count"], 1);
    let unread = app.ok(Some(&q5), INBOX, json!({ "u": true })).await;
    assert!(
        !unread["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == entry["id"]),
        "{unread}"
    );
    let stp_inbox = app.ok(Some(&stp), INBOX, json!({})).await;
    assert!(!stp_inbox.to_string().contains(&code), "{stp_inbox}");
}

#[tokio::test]
async fn the_websocket_takes_signed_in_subscriptions_only() {
    let app = TestApp::spawn().await;
    // No token, a forged one, one signed `none`: closed (1002, with the reason).
    let (_, none) = ws_connect(&app, None).await;
    assert_eq!(none["closed"], 1002, "{none}");
    let q5 = official(&app).await;
    let mut parts: Vec<String> = q5.split('.').map(str::to_string).collect();
    let forged = format!("{}.{}.{}", parts[0], parts[1], "c2lnbmF0dXJl");
    let (_, f) = ws_connect(&app, Some(&forged)).await;
    assert_eq!(f["closed"], 1002, "{f}");
    use base64::Engine;
    parts[0] =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    let (_, u) = ws_connect(&app, Some(&unsigned)).await;
    assert_eq!(u["closed"], 1002, "{u}");

    // A query over the socket is refused: queries and mutations go over HTTP.
    let (mut ws, ack) = ws_connect(&app, Some(&q5)).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(
        json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ complaints(first: 5) { totalCount } }" } })
            .to_string()
            .into(),
    )
    .await
    .unwrap();
    let r = next_json(&mut ws, 5).await;
    assert!(
        r["type"] == "error" || r["payload"]["errors"].is_array() || r["payload"].is_array(),
        "{r}"
    );
    assert!(r.to_string().contains("POST /graphql"), "{r}");
}

#[tokio::test]
async fn each_audience_is_told_and_chooses_its_channels() {
    let app = TestApp::spawn().await;
    let q5 = official(&app).await;

    // Officials: e-mail off for new items keeps the inbox; a kind of another role is refused.
    let s = app
        .ok(
            Some(&q5),
            "mutation($i: NotificationSettingsInput!) { setNotificationSettings(input: $i) { language preferences { kind channel enabled isDefault } } }",
            json!({ "i": { "language": "EN", "preferences": [{ "kind": "NEW_ITEM", "channel": "EMAIL", "enabled": false }] } }),
        )
        .await["setNotificationSettings"]
        .clone();
    assert_eq!(s["language"], "EN");
    let p = s["preferences"].as_array().unwrap();
    assert!(p.iter().any(|p| p["kind"] == "NEW_ITEM"
        && p["channel"] == "EMAIL"
        && p["enabled"] == false
        && p["isDefault"] == false));
    assert!(p.iter().any(|p| p["kind"] == "OVERDUE"
        && p["channel"] == "EMAIL"
        && p["enabled"] == true
        && p["isDefault"] == true));
    assert!(
        !p.iter().any(|p| p["kind"] == "DIALOGUE_INVITATION"),
        "officials are not invited"
    );
    let refused = app
        .gql(
            Some(&q5),
            "mutation($i: NotificationSettingsInput!) { setNotificationSettings(input: $i) { language } }",
            json!({ "i": { "preferences": [{ "kind": "NEW_ITEM", "channel": "SMS", "enabled": true }, { "kind": "REVIEW_REQUESTED", "channel": "EMAIL", "enabled": true }] } }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(error_field(&refused), "input.preferences[1].kind");
    let (_, code) = file(
        &app,
        json!({ "name": "Tạ Văn Phúc", "phone": "0909 000 111" }),
        json!([]),
        "vi",
    )
    .await;
    let entry = inbox_entry(&app, &q5, "NEW_ITEM", &code).await;
    assert!(
        entry["subject"]
            .as_str()
            .unwrap()
            .contains("A new item for your unit"),
        "in English now: {entry}"
    );
    let files = outbox_mails(&app.db.data_dir().join("outbox"));
    assert!(
        !files
            .iter()
            .any(|f| f.contains("q5.canbo@demo.gopy.vn") && f.contains(&code)),
        "no e-mail to the official who turned it off"
    );

    // Businesses: a dialogue invitation reaches the business's account.
    let biz = app.login("congty.demo", "gopy-business-demo").await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let stp_id = app.unit_id("STP").await;
    let starts = (portal::clock::now() + chrono::Duration::days(10)).to_rfc3339();
    app.ok(
        Some(&stp),
        "mutation($i: ScheduleDialogueInput!) { scheduleDialogue(input: $i) { id } }",
        json!({ "i": { "kind": "THEMATIC", "title": "Đối thoại về chứng thực điện tử", "topic": "Chứng thực bản sao điện tử từ bản chính",
                       "hostUnit": stp_id, "startsAt": starts, "location": "141 Pasteur", "public": false,
                       "businesses": [{ "taxCode": "0100109106" }] } }),
    )
    .await;
    let inv = inbox_entry(&app, &biz, "DIALOGUE_INVITATION", "").await;
    assert!(
        inv["body"]
            .as_str()
            .unwrap()
            .contains("Đối thoại về chứng thực điện tử"),
        "{inv}"
    );
    assert!(
        inv["body"].as_str().unwrap().contains("141 Pasteur"),
        "{inv}"
    );

    // Evaluators: a new request in the PAR review queue.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let unit = app.unit_id("P.CHOLON").await;
    let txn = portal::db::begin(&app.state.db).await.unwrap();
    portal::par::review::insert(
        &*txn,
        portal::par::review::Request {
            kind: portal::par::review::Kind::ExcusedDelay,
            unit_id: unit,
            dossier_id: None,
            complaint_id: None,
            code: "HS-NOTIFY-1".into(),
            claimed_at: None,
            due_at: portal::clock::now(),
            reason: "Chờ kết quả xác minh của cơ quan khác.".into(),
            requested_by: "test".into(),
        }
        .in_year(2026),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    app.state.notify_wake.wake();
    let r = inbox_entry(&app, &evaluator, "REVIEW_REQUESTED", "HS-NOTIFY-1").await;
    assert!(r["body"].as_str().unwrap().contains("Chợ Lớn"), "{r}");
    // Nobody else is told of it.
    let biz_inbox = app.ok(Some(&biz), INBOX, json!({})).await;
    assert!(!biz_inbox.to_string().contains("HS-NOTIFY-1"));
}

#[tokio::test]
async fn without_a_mail_server_the_demo_writes_emails_as_files() {
    let app = TestApp::spawn().await;
    let (_, code) = file(
        &app,
        json!({ "name": "Kiều Thị Oanh", "email": "oanh@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    let outbox = app.db.data_dir().join("outbox");
    let started = Instant::now();
    loop {
        let found = outbox_mails(&outbox)
            .into_iter()
            .find(|t| t.contains("To: oanh@example.com"));
        if let Some(t) = found {
            assert!(
                t.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
                "{t}"
            );
            assert!(
                t.contains(&code),
                "the code in the subject or the link: {t}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no e-mail in the mailbox files under {}",
            outbox.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn notify_test_sends_through_the_configured_channel_or_says_why_not() {
    let smtp = Smtp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |url: String| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_portal"));
        for v in [
            "DATABASE_URL",
            "PORTAL_ADDR",
            "JWT_SECRET",
            "PORTAL_CONFIG",
            "MEILI_URL",
            "RUST_LOG",
        ] {
            c.env_remove(v);
        }
        c.current_dir(dir.path())
            .env("PORTAL_SMTP_URL", url)
            .args([
                "notify",
                "test",
                "--to",
                "ops@example.gov.vn",
                "--channel",
                "email",
            ])
            .output()
            .unwrap()
    };
    let out = run(smtp.url());
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("sent a test EMAIL to ops@example.gov.vn via SMTP")
    );
    let mail = smtp.wait_for("ops@example.gov.vn", "thử nghiệm", 10).await;
    assert!(
        mail["body"].as_str().unwrap().contains("hoạt động"),
        "{mail}"
    );

    let out = run(format!("smtp://127.0.0.1:{}", free_port()));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("failed") && err.contains("SMTP"), "{err}");
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_expires() {
    // Tokens that live two seconds (the server allows five more of clock skew).
    let app = TestApp::spawn_configured(|c| c.access_token_ttl = Duration::from_secs(2)).await;
    let q5 = official(&app).await;
    let (mut ws, ack) = ws_connect(&app, Some(&q5)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    subscribe(&mut ws).await;
    let started = Instant::now();
    loop {
        let m = next_json(&mut ws, 15).await;
        if m["type"] == "complete" {
            assert_eq!(m["id"], "1");
            break;
        }
        assert!(m["type"] == "next", "{m}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still running: {m}"
        );
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "ended before the token expired: {took:?}"
    );
    // Signing in again with the expired token is refused.
    let (_, again) = ws_connect(&app, Some(&q5)).await;
    assert_eq!(again["closed"], 1002, "{again}");
}

#[tokio::test]
async fn a_subscriber_hears_of_an_item_whichever_server_took_it() {
    // Two servers on one database; the subscriber is on `b`, the item is filed on `a`. On
    // PostgreSQL only `a` runs a worker: the entry reaches `b` through NOTIFY. On SQLite (one
    // server's file) only `b` does, and hands it to its own subscriber.
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty());
    let db = crate::helpers::TestDb::new().await;
    let mut ca = test_config(&db);
    ca.notify.worker = postgres;
    let a = TestApp::spawn_with(ca, db, true).await;
    let beside = a.db.beside();
    let mut cb = test_config(&beside);
    cb.notify.worker = !postgres;
    let b = TestApp::spawn_with(cb, beside, false).await;
    let q5 = official(&b).await;
    let (mut ws, ack) = ws_connect(&b, Some(&q5)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    subscribe(&mut ws).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let filed = Instant::now();
    let (_, code) = file(
        &a,
        json!({ "name": "Quách Văn Sơn", "phone": "0911 222 333" }),
        json!([]),
        "vi",
    )
    .await;
    loop {
        let m = next_json(&mut ws, 5).await;
        assert_eq!(m["type"], "next", "{m}");
        let n = &m["payload"]["data"]["notifications"];
        if n["subject"].as_str().unwrap().contains(&code) {
            assert_eq!(n["kind"], "NEW_ITEM");
            break;
        }
    }
    assert!(
        filed.elapsed() < Duration::from_secs(2),
        "took {:?}",
        filed.elapsed()
    );
}

#[tokio::test]
async fn a_contact_gets_three_acknowledgements_a_day_however_many_filings_name_it() {
    let smtp = Smtp::start().await;
    let app = spawn_with_smtp(&smtp.url()).await;
    let mut codes = vec![];
    for _ in 0..4 {
        let (_, code) = file(
            &app,
            json!({ "name": "Ai đó", "email": "victim@example.com" }),
            json!(["CONTACT_ABOUT_OUTCOME"]),
            "vi",
        )
        .await;
        codes.push(code);
    }
    // Messages are sent a few at once, so which three of the four go first is not fixed.
    let started = Instant::now();
    while smtp.to("victim@example.com").len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "fewer than 3 acknowledgements to victim@example.com in 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, barrier) = file(
        &app,
        json!({ "name": "Người khác", "email": "other@example.com" }),
        json!(["CONTACT_ABOUT_OUTCOME"]),
        "vi",
    )
    .await;
    smtp.wait_for("other@example.com", &barrier, 15).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = smtp.to("victim@example.com");
    assert_eq!(got.len(), 3, "{got:#?}");
    let acknowledged = codes
        .iter()
        .filter(|c| {
            got.iter()
                .any(|m| m["subject"].as_str().unwrap().contains(c.as_str()))
        })
        .count();
    assert_eq!(
        acknowledged, 3,
        "three different filings acknowledged: {got:#?}"
    );
    let admin = app.admin().await;
    let d = app
        .ok(
            Some(&admin),
            DELIVERIES,
            json!({ "f": { "status": ["CANCELLED"], "kind": "COMPLAINT_RECEIVED" } }),
        )
        .await;
    let cancelled = &d["notificationDeliveries"]["nodes"][0];
    assert!(
        cancelled["lastError"]
            .as_str()
            .unwrap()
            .contains("3 acknowledgements"),
        "{d}"
    );
}

#[tokio::test]
async fn commitments_reach_a_citizen_filer_only_with_consent_and_without_links() {
    let smtp = Smtp::start().await;
    let app = spawn_with_smtp(&smtp.url()).await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let q5 = official(&app).await;
    let unit = app.unit_id("P.CHOLON").await;
    let v = notice(&app).await;
    let file_as_citizen = |consents: Value| {
        let unit = unit.clone();
        let citizen = citizen.clone();
        let app = &app;
        async move {
            app.ok(
                Some(&citizen),
                FILE,
                json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                    "title": "Giấy phép xây dựng trễ hẹn", "body": "Hồ sơ cấp phép xây dựng quá hạn hai tuần.",
                    "privacy": { "noticeVersion": v, "consents": consents, "channel": "WEB" } } }),
            )
            .await["fileComplaint"]
            .clone()
        }
    };
    let commit = |id: Value| {
        let unit = unit.clone();
        let q5 = q5.clone();
        let app = &app;
        async move {
            let due = (portal::clock::today() + chrono::Duration::days(10)).to_string();
            app.ok(
                Some(&q5),
                "mutation($c: ID!, $i: RecordCommitmentInput!) { recordCommitment(complaint: $c, input: $i) { id } }",
                json!({ "c": id, "i": { "unit": unit, "text": "Trả kết quả tại https://evil.example/phish trong tuần.", "dueOn": due } }),
            )
            .await;
        }
    };
    // Without consent: the inbox has it, the mailbox does not.
    let without = file_as_citizen(json!([])).await;
    commit(without["id"].clone()).await;
    let code = without["code"].as_str().unwrap();
    let entry = inbox_entry(&app, &citizen, "COMMITMENT_MADE", code).await;
    assert!(entry["body"].as_str().unwrap().contains("[…]"), "{entry}");
    assert!(
        !entry["body"].as_str().unwrap().contains("evil.example"),
        "{entry}"
    );
    // With consent: e-mailed too.
    let with = file_as_citizen(json!(["CONTACT_ABOUT_OUTCOME"])).await;
    commit(with["id"].clone()).await;
    let mail = smtp
        .wait_for("nguyenvana@demo.gopy.vn", "cam kết", 15)
        .await;
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains(with["code"].as_str().unwrap()),
        "{mail}"
    );
    assert!(
        !mail["body"].as_str().unwrap().contains("evil.example"),
        "{mail}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !smtp
            .to("nguyenvana@demo.gopy.vn")
            .iter()
            .any(|m| m["subject"].as_str().unwrap().contains(code)),
        "no e-mail about the item filed without consent"
    );
    // The citizen can turn them off.
    let s = app
        .ok(
            Some(&citizen),
            "mutation($i: NotificationSettingsInput!) { setNotificationSettings(input: $i) { preferences { kind channel enabled } } }",
            json!({ "i": { "preferences": [{ "kind": "COMMITMENT_MADE", "channel": "EMAIL", "enabled": false }] } }),
        )
        .await;
    assert!(s.to_string().contains("COMMITMENT_MADE"), "{s}");
}

#[tokio::test]
async fn a_connection_holds_few_subscriptions_and_none_after_logout() {
    let app = TestApp::spawn().await;
    let q5 = official(&app).await;
    let (mut ws, ack) = ws_connect(&app, Some(&q5)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    for i in 0..11 {
        ws.send(
            json!({ "id": format!("s{i}"), "type": "subscribe",
                    "payload": { "query": "subscription { notifications { id } }" } })
            .to_string()
            .into(),
        )
        .await
        .unwrap();
    }
    // One of the eleven is refused (they start at once, in any order); ten run.
    let mut refused = vec![];
    loop {
        let m = next_json(&mut ws, 3).await;
        if m["timeout"] == true {
            break;
        }
        if m["type"] == "error" || m["payload"]["errors"].is_array() {
            refused.push(m);
        }
    }
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].to_string().contains("10"), "{:?}", refused[0]);

    // After a logout, the connection takes no new subscription.
    app.ok(
        Some(&q5),
        "mutation { logout(everywhere: true) { __typename } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    ws.send(
        json!({ "id": "after", "type": "subscribe",
                "payload": { "query": "subscription { notifications { id } }" } })
        .to_string()
        .into(),
    )
    .await
    .unwrap();
    let m = loop {
        let m = next_json(&mut ws, 5).await;
        if m["id"] == "after" || m["timeout"] == true || m.get("closed").is_some() {
            break m;
        }
    };
    assert!(
        m["type"] == "error" || m["payload"]["errors"].is_array() || m.get("closed").is_some(),
        "{m}"
    );
}
