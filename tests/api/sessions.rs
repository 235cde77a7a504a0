//! Sessions that end: `logout` (one session or every one), `refreshToken` with rotation and
//! reuse detection, expiry with at most 5 seconds of leeway, and refresh tokens of disabled
//! accounts or made up refused with `UNAUTHENTICATED` in both languages.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portal::auth::{Claims, Role};
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, error_code};

const LOGIN: &str = "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt account { username } } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt account { username } } }";
const LOGOUT: &str = "mutation($e: Boolean) { logout(everywhere: $e) { sessionsEnded } }";
const ME: &str = "{ me { account { username } } }";

/// A session of the demo citizen: its `login` payload.
async fn sign_in(app: &TestApp) -> Value {
    let d = app
        .ok(
            None,
            LOGIN,
            json!({ "l": "nguyenvana", "p": "gopy-citizen-demo" }),
        )
        .await;
    d["login"].clone()
}

fn access(s: &Value) -> &str {
    s["accessToken"].as_str().expect("accessToken")
}

fn refresh_of(s: &Value) -> &str {
    s["refreshToken"].as_str().expect("refreshToken")
}

/// Whether an access token still signs its holder in (and as whom).
async fn me(app: &TestApp, token: &str) -> Result<String, (u16, Value)> {
    let (status, b) = app
        .gql_full(
            None,
            ME,
            json!({}),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    match b["data"]["me"]["account"]["username"].as_str() {
        Some(u) if status == 200 => Ok(u.to_string()),
        _ => Err((status, b)),
    }
}

async fn assert_access_refused(app: &TestApp, token: &str) {
    let (status, b) = me(app, token).await.expect_err("the token still works");
    assert_eq!(status, 401, "{b}");
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
}

/// Exchanges a refresh token; the whole body, in the language asked for.
async fn refresh(app: &TestApp, token: &str, lang: Option<&str>) -> Value {
    let headers: Vec<(&str, &str)> = lang.map(|l| ("accept-language", l)).into_iter().collect();
    app.gql_full(None, REFRESH, json!({ "r": token }), &headers)
        .await
        .1
}

async fn assert_refresh_refused(app: &TestApp, token: &str) -> Value {
    let b = refresh(app, token, None).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    assert!(b["data"].is_null(), "{b}");
    b
}

async fn logout(app: &TestApp, token: &str, everywhere: Option<bool>) -> Value {
    app.gql(Some(token), LOGOUT, json!({ "e": everywhere }))
        .await
}

fn secs_from_now(rfc3339: &Value) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().expect("a time")).unwrap();
    t.timestamp() - chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn login_gives_a_short_access_token_and_a_long_refresh_token() {
    let app = TestApp::spawn().await;
    let s = sign_in(&app).await;
    assert_eq!(s["account"]["username"], "nguyenvana");
    assert_eq!(me(&app, access(&s)).await.unwrap(), "nguyenvana");
    // 15 minutes and 30 days by default, in the city's offset.
    let a = secs_from_now(&s["accessTokenExpiresAt"]);
    assert!((14 * 60..=15 * 60).contains(&a), "{a} s");
    let r = secs_from_now(&s["refreshTokenExpiresAt"]);
    assert!((30 * 86400 - 60..=30 * 86400).contains(&r), "{r} s");
    assert!(
        s["accessTokenExpiresAt"]
            .as_str()
            .unwrap()
            .ends_with("+07:00")
    );
    // The refresh token is random, not a JWT.
    let rt = refresh_of(&s);
    assert_eq!(rt.len(), 43, "{rt}");
    assert!(!rt.contains('.'), "{rt}");

    let app = TestApp::spawn_configured(|c| {
        c.access_token_ttl = std::time::Duration::from_secs(120);
        c.refresh_token_ttl = std::time::Duration::from_secs(2 * 86400);
    })
    .await;
    let s = sign_in(&app).await;
    let a = secs_from_now(&s["accessTokenExpiresAt"]);
    assert!((60..=120).contains(&a), "{a} s");
    let r = secs_from_now(&s["refreshTokenExpiresAt"]);
    assert!((2 * 86400 - 60..=2 * 86400).contains(&r), "{r} s");
}

#[tokio::test]
async fn logout_ends_its_own_session_and_everywhere_ends_them_all() {
    let app = TestApp::spawn().await;
    let phone = sign_in(&app).await;
    let laptop = sign_in(&app).await;

    let b = logout(&app, access(&phone), None).await;
    assert_eq!(b["data"]["logout"]["sessionsEnded"], 1, "{b}");
    // The same token is refused from now on, and so is its refresh token.
    assert_access_refused(&app, access(&phone)).await;
    let (_, b) = me(&app, access(&phone)).await.unwrap_err();
    assert_eq!(
        b["errors"][0]["message"],
        "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại."
    );
    assert_refresh_refused(&app, refresh_of(&phone)).await;
    // The other session of the account goes on, and refreshes.
    assert_eq!(me(&app, access(&laptop)).await.unwrap(), "nguyenvana");
    let laptop2 = refresh(&app, refresh_of(&laptop), None).await["data"]["refreshToken"].clone();
    assert_eq!(me(&app, access(&laptop2)).await.unwrap(), "nguyenvana");

    // Everywhere: the laptop's session and a third one both end.
    let tablet = sign_in(&app).await;
    let b = logout(&app, access(&laptop2), Some(true)).await;
    assert_eq!(b["data"]["logout"]["sessionsEnded"], 2, "{b}");
    for s in [&laptop2, &tablet] {
        assert_access_refused(&app, access(s)).await;
        assert_refresh_refused(&app, refresh_of(s)).await;
    }
    // The account itself still signs in.
    let again = sign_in(&app).await;
    assert_eq!(me(&app, access(&again)).await.unwrap(), "nguyenvana");

    // Anonymous: nothing to end.
    let b = app.gql(None, LOGOUT, json!({})).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("đăng nhập"),
        "{b}"
    );
    // A token minted for scripts has no session.
    let script = app.script_token(Role::Admin, None).await;
    let b = logout(&app, &script, None).await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    assert_eq!(me_role(&app, &script).await, "ADMIN");
}

async fn me_role(app: &TestApp, token: &str) -> String {
    app.ok(Some(token), "{ me { role } }", json!({})).await["me"]["role"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_refresh_token_ends_the_session() {
    let app = TestApp::spawn().await;
    let first = sign_in(&app).await;

    let b = refresh(&app, refresh_of(&first), None).await;
    let second = b["data"]["refreshToken"].clone();
    assert_eq!(second["account"]["username"], "nguyenvana", "{b}");
    assert_ne!(refresh_of(&second), refresh_of(&first));
    assert_ne!(access(&second), access(&first));
    assert_eq!(me(&app, access(&second)).await.unwrap(), "nguyenvana");
    // The new refresh token lives its own 30 days from now.
    let r = secs_from_now(&second["refreshTokenExpiresAt"]);
    assert!((30 * 86400 - 60..=30 * 86400).contains(&r), "{r} s");

    // The old refresh token again: refused, and the session ends, the newer tokens with it.
    let b = refresh(&app, refresh_of(&first), Some("en")).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        "This refresh token was already used. For safety the session has been ended; please sign in again."
    );
    assert_refresh_refused(&app, refresh_of(&second)).await;
    assert_access_refused(&app, access(&second)).await;
    assert_access_refused(&app, access(&first)).await;

    // A request that only refreshes reads no Authorization header: the expired access token
    // a client sends along does not stop it.
    let s = sign_in(&app).await;
    let (status, b) = app
        .gql_full(
            None,
            REFRESH,
            json!({ "r": refresh_of(&s) }),
            &[("authorization", "Bearer an-expired-or-garbled-token")],
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        b["data"]["refreshToken"]["account"]["username"], "nguyenvana",
        "{b}"
    );
    // Anything else in the request and the header counts again.
    let (status, b) = app
        .gql_full(
            None,
            "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } logout { sessionsEnded } }",
            json!({ "r": refresh_of(&b["data"]["refreshToken"]) }),
            &[("authorization", "Bearer an-expired-or-garbled-token")],
        )
        .await;
    assert_eq!(status, 401, "{b}");
    assert_eq!(error_code(&b), "UNAUTHENTICATED");
}

/// The claims of a token, read without checking it.
fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(c: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        c,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn a_token_expired_ten_seconds_ago_is_refused() {
    let app = TestApp::spawn().await;
    let s = sign_in(&app).await;
    let now = chrono::Utc::now().timestamp();
    let mut c = claims_of(access(&s));
    assert!(c.sid.is_some(), "{c:?}");
    c.iat = now - 900;
    c.nbf = now - 900;

    // The same session's token, re-signed with a minute left: accepted.
    c.exp = now + 60;
    assert_eq!(me(&app, &sign(&c)).await.unwrap(), "nguyenvana");
    // Expired ten seconds ago: refused, in both languages.
    c.exp = now - 10;
    let expired = sign(&c);
    assert_access_refused(&app, &expired).await;
    let (_, b) = me(&app, &expired).await.unwrap_err();
    assert_eq!(
        b["errors"][0]["message"],
        "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."
    );
    let (_, b) = app
        .gql_full(
            None,
            ME,
            json!({}),
            &[
                ("authorization", &format!("Bearer {expired}")),
                ("accept-language", "en"),
            ],
        )
        .await;
    assert_eq!(
        b["errors"][0]["message"],
        "Your session has expired. Please sign in again."
    );

    // A script token too.
    let mut c = claims_of(&app.script_token(Role::Admin, None).await);
    c.iat = now - 900;
    c.nbf = now - 900;
    c.exp = now - 10;
    let (status, b) = app
        .gql_full(
            None,
            "{ me { role } }",
            json!({}),
            &[("authorization", &format!("Bearer {}", sign(&c)))],
        )
        .await;
    assert_eq!(status, 401, "{b}");
    assert_eq!(error_code(&b), "UNAUTHENTICATED");

    // An account token without a session (as issued before sessions existed) cannot be
    // signed out, so it is refused.
    let mut c = claims_of(access(&s));
    c.sid = None;
    assert_access_refused(&app, &sign(&c)).await;
}

#[tokio::test]
async fn a_disabled_accounts_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = sign_in(&app).await;
    let id = app
        .ok(Some(access(&s)), "{ me { account { id } } }", json!({}))
        .await["me"]["account"]["id"]
        .clone();
    let b = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { disableAccount(id: $id) { disabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(b["disableAccount"]["disabled"], true);
    let b = assert_refresh_refused(&app, refresh_of(&s)).await;
    assert_eq!(
        b["errors"][0]["message"],
        "Tài khoản đã bị khóa hoặc mã truy cập đã bị thu hồi."
    );
    // Re-enabled, the account signs in anew; the session from before stays refused.
    let b = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { enableAccount(id: $id) { disabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(b["enableAccount"]["disabled"], false);
    assert_refresh_refused(&app, refresh_of(&s)).await;
    let fresh = sign_in(&app).await;
    let b = refresh(&app, refresh_of(&fresh), None).await;
    assert_eq!(
        b["data"]["refreshToken"]["account"]["username"], "nguyenvana",
        "{b}"
    );
}

#[tokio::test]
async fn made_up_refresh_tokens_are_unauthenticated_in_both_languages() {
    let app = TestApp::spawn().await;
    let s = sign_in(&app).await;
    let mut altered = refresh_of(&s).to_string();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    for garbage in [
        "",
        "not-a-refresh-token",
        altered.as_str(),
        // The access token is not a refresh token.
        access(&s),
    ] {
        let b = refresh(&app, garbage, None).await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{garbage}: {b}");
        assert_eq!(
            b["errors"][0]["message"], "Mã làm mới phiên không hợp lệ. Vui lòng đăng nhập lại.",
            "{garbage}"
        );
        let b = refresh(&app, garbage, Some("en-US,en;q=0.9")).await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{garbage}: {b}");
        assert_eq!(
            b["errors"][0]["message"], "The refresh token is invalid. Please sign in again.",
            "{garbage}"
        );
    }
    // None of them touched the real session.
    let b = refresh(&app, refresh_of(&s), None).await;
    assert_eq!(
        b["data"]["refreshToken"]["account"]["username"], "nguyenvana",
        "{b}"
    );
}
