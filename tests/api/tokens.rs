//! Tokens: none means anonymous; expired, forged, `alg: none`, wrong audience or a malformed
//! header are `UNAUTHENTICATED` and never silently anonymous; a disabled account's tokens stop.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portal::auth::{Claims, Role};
use serde_json::json;

use crate::helpers::{SECRET, TestApp, error_code};

const ME: &str = "{ me { subject role account { username } unit { code } } }";

fn claims(sub: &str) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: sub.into(),
        role: Role::Admin,
        unit: None,
        business: None,
        ver: None,
        sid: None,
        iss: "gop-y".into(),
        aud: "gop-y-portal".into(),
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: "t".into(),
    }
}

fn sign(c: &Claims, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        c,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str) {
    let (status, b) = app
        .gql_full(
            None,
            ME,
            json!({}),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(status, 401, "{b}");
    assert_eq!(error_code(&b), "UNAUTHENTICATED");
    assert!(b.get("data").is_none() || b["data"].is_null(), "{b}");
}

#[tokio::test]
async fn no_token_is_anonymous_and_a_valid_one_is_accepted() {
    let app = TestApp::spawn().await;
    let b = app.gql(None, ME, json!({})).await;
    assert!(b["data"]["me"].is_null(), "{b}");
    assert!(b.get("errors").is_none(), "{b}");

    let t = sign(&claims("script:admin"), SECRET);
    let b = app.gql(Some(&t), ME, json!({})).await;
    assert_eq!(b["data"]["me"]["role"], "ADMIN");
    assert_eq!(b["data"]["me"]["subject"], "script:admin");

    let t = app.login("stp.canbo", "gopy-official-demo").await;
    let b = app.gql(Some(&t), ME, json!({})).await;
    assert_eq!(b["data"]["me"]["role"], "OFFICIAL");
    assert_eq!(b["data"]["me"]["account"]["username"], "stp.canbo");
    assert_eq!(b["data"]["me"]["unit"]["code"], "STP");
}

#[tokio::test]
async fn expired_forged_and_none_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let mut c = claims("script:admin");
    c.exp = chrono::Utc::now().timestamp() - 3600;
    c.iat -= 7200;
    c.nbf -= 7200;
    assert_refused(&app, &sign(&c, SECRET)).await;

    // Signed with another secret.
    assert_refused(
        &app,
        &sign(
            &claims("script:admin"),
            "some-other-secret-of-enough-length-000",
        ),
    )
    .await;

    // alg: none, unsigned.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let h = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let p = b64.encode(serde_json::to_vec(&claims("script:admin")).unwrap());
    assert_refused(&app, &format!("{h}.{p}.")).await;

    // HS512 with the right secret is still not the algorithm we accept.
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims("script:admin"),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_refused(&app, &t).await;

    // Wrong audience and issuer.
    let mut c = claims("script:admin");
    c.aud = "another-app".into();
    assert_refused(&app, &sign(&c, SECRET)).await;
    let mut c = claims("script:admin");
    c.iss = "someone".into();
    assert_refused(&app, &sign(&c, SECRET)).await;

    // Not yet valid.
    let mut c = claims("script:admin");
    c.nbf += 3600;
    assert_refused(&app, &sign(&c, SECRET)).await;

    // Garbage and a tampered payload.
    assert_refused(&app, "not-a-token").await;
    let good = sign(&claims("script:citizen"), SECRET);
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged_payload = b64.encode(serde_json::to_vec(&claims("script:admin")).unwrap());
    parts[1] = &forged_payload;
    assert_refused(&app, &parts.join(".")).await;

    // A token for an account that does not exist.
    assert_refused(&app, &sign(&claims("0000-no-such-account"), SECRET)).await;
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let app = TestApp::spawn().await;
    for h in ["Basic YWRtaW46eA==", "Bearer", "Bearer    "] {
        let (status, b) = app
            .gql_full(None, ME, json!({}), &[("authorization", h)])
            .await;
        assert_eq!(status, 401, "{h}: {b}");
        assert_eq!(error_code(&b), "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn disabling_an_account_revokes_its_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let b = app
        .gql(Some(&citizen), "{ me { account { id } } }", json!({}))
        .await;
    let id = b["data"]["me"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A citizen cannot disable anyone, not even themselves through this mutation.
    let b = app
        .gql(
            Some(&citizen),
            "mutation($id: ID!) { disableAccount(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");

    let b = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { disableAccount(id: $id) { disabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(b["data"]["disableAccount"]["disabled"], true);

    assert_refused(&app, &citizen).await;
    let b = app
        .gql(
            None,
            "mutation { login(input: {login: \"nguyenvana\", password: \"gopy-citizen-demo\"}) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");

    // Re-enabled, the account signs in again; the old token stays revoked.
    let b = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { enableAccount(id: $id) { disabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(b["data"]["enableAccount"]["disabled"], false);
    let fresh = app.login("nguyenvana", "gopy-citizen-demo").await;
    let b = app.gql(Some(&fresh), "{ me { role } }", json!({})).await;
    assert_eq!(b["data"]["me"]["role"], "CITIZEN");
    assert_refused(&app, &citizen).await;
}
