//! Every error code of DESIGN.md §3, in Vietnamese by default and English on request, and an
//! internal error that leaks nothing.

use portal::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, error_code, error_field};

const CREATE_UNIT: &str =
    "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id code name block } }";

#[tokio::test]
async fn unauthenticated_forbidden_and_bad_input() {
    let app = TestApp::spawn().await;
    let input = json!({ "i": { "code": "TTPVHCC", "name": "Trung tâm Phục vụ hành chính công", "block": "DEPARTMENT" } });

    let b = app.gql(None, CREATE_UNIT, input.clone()).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED");
    assert!(b["data"].is_null());

    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let b = app.gql(Some(&citizen), CREATE_UNIT, input.clone()).await;
    assert_eq!(error_code(&b), "FORBIDDEN");

    let admin = app.admin().await;
    let b = app
        .gql(
            Some(&admin),
            CREATE_UNIT,
            json!({ "i": { "code": "X1", "name": "   ", "block": "DEPARTMENT" } }),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "input.name");
    // Nothing was written by the refused attempts.
    let c = app
        .gql(
            None,
            "{ units(filter: {query: \"phuc vu hanh chinh\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(c["data"]["units"]["totalCount"], 0);
    let c = app
        .gql(None, "{ unit: unitByCode(code: \"X1\") { id } }", json!({}))
        .await;
    assert!(c["data"]["unit"].is_null(), "{c}");

    let b = app.gql(Some(&admin), CREATE_UNIT, input).await;
    assert_eq!(b["data"]["createUnit"]["code"], "TTPVHCC");
    assert_eq!(b["data"]["createUnit"]["block"], "DEPARTMENT");
}

#[tokio::test]
async fn not_found_and_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let b = app
        .gql(
            Some(&admin),
            "mutation { updateUnit(id: \"no-such-unit\", input: {name: \"X\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "NOT_FOUND");

    let b = app
        .gql(
            Some(&admin),
            CREATE_UNIT,
            json!({ "i": { "code": "stp", "name": "Sở Tư pháp mới", "block": "DEPARTMENT" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("STP"),
        "{b}"
    );
}

#[tokio::test]
async fn messages_are_vietnamese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let q = "mutation { createUnit(input: {code: \"A\", name: \"B\", block: DEPARTMENT}) { id } }";
    let (_, vi) = app.gql_full(None, q, json!({}), &[]).await;
    assert_eq!(
        vi["errors"][0]["message"],
        "Bạn cần đăng nhập để thực hiện thao tác này."
    );
    let (_, en) = app
        .gql_full(
            None,
            q,
            json!({}),
            &[("accept-language", "en-US,en;q=0.9,vi;q=0.5")],
        )
        .await;
    assert_eq!(
        en["errors"][0]["message"],
        "You need to sign in to do this."
    );
    assert_eq!(error_code(&en), "UNAUTHENTICATED");
}

#[tokio::test]
async fn rate_limited_after_repeated_failed_logins() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    for _ in 0..5 {
        let b = app
            .gql(
                None,
                q,
                json!({ "i": { "login": "nguyenvana", "password": "wrong-password" } }),
            )
            .await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED");
    }
    // Even the right password is refused while the account is locked out.
    let b = app
        .gql(
            None,
            q,
            json!({ "i": { "login": "nguyenvana", "password": "gopy-citizen-demo" } }),
        )
        .await;
    assert_eq!(error_code(&b), "RATE_LIMITED");
    assert!(b["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 0);
    // Another account from the same address is not locked yet.
    let t = app.login("admin", "gopy-admin-demo").await;
    assert!(!t.is_empty());
}

#[tokio::test]
async fn concurrent_right_sign_ins_do_not_lock_each_other_out() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    let wrong = json!({ "i": { "login": "congty.demo", "password": "wrong-password" } });
    for _ in 0..3 {
        assert_eq!(
            error_code(&app.gql(None, q, wrong.clone()).await),
            "UNAUTHENTICATED"
        );
    }
    // More right sign-ins at once than the limit of failures: none is a failure.
    let right = json!({ "i": { "login": "congty.demo", "password": "gopy-business-demo" } });
    let all = futures_util::future::join_all((0..8).map(|_| app.gql(None, q, right.clone()))).await;
    for b in &all {
        assert!(
            b["data"]["login"]["accessToken"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{b}"
        );
    }
    // A right sign-in starts the account afresh from this address: five failures, then none.
    for _ in 0..5 {
        assert_eq!(
            error_code(&app.gql(None, q, wrong.clone()).await),
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(
        error_code(&app.gql(None, q, wrong.clone()).await),
        "RATE_LIMITED"
    );
}

#[tokio::test]
async fn rate_limited_per_client_address() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    let limit = app.state.config.login_failures_per_address;
    for i in 0..limit {
        let b = app
            .gql(
                None,
                q,
                json!({ "i": { "login": format!("nobody{i}"), "password": "wrong-password" } }),
            )
            .await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED");
    }
    let b = app
        .gql(
            None,
            q,
            json!({ "i": { "login": "admin", "password": "gopy-admin-demo" } }),
        )
        .await;
    assert_eq!(error_code(&b), "RATE_LIMITED");
}

#[tokio::test]
async fn internal_errors_carry_an_id_and_no_sql() {
    let app = TestApp::spawn().await;
    // Break the database under the server: the next catalog query fails inside sea-orm.
    app.state
        .db
        .execute_unprepared("DROP TABLE procedure_units")
        .await
        .unwrap();
    let token = app.script_token(Role::Citizen, None).await;
    let b = app
        .gql(
            Some(&token),
            "{ procedures(filter: {unit: \"x\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "INTERNAL");
    let msg = b["errors"][0]["message"].as_str().unwrap();
    let id = b["errors"][0]["extensions"]["errorId"].as_str().unwrap();
    assert!(msg.contains(id), "{msg}");
    let text = b.to_string().to_lowercase();
    for leak in [
        "procedure_units",
        "select",
        "sqlx",
        "no such table",
        "relation",
        "secret",
    ] {
        assert!(!text.contains(leak), "leaked {leak:?}: {text}");
    }
}

#[tokio::test]
async fn documents_that_do_not_parse_or_validate_carry_a_code_in_both_languages() {
    let app = TestApp::spawn().await;
    let en = [("accept-language", "en")];

    // An unknown field: the names quoted stay as they are.
    let q = "{ unit: unitByCode(code: \"STP\") { nme } }";
    let (_, vi) = app.gql_full(None, q, json!({}), &[]).await;
    assert_eq!(error_code(&vi), "GRAPHQL_VALIDATION_FAILED", "{vi}");
    assert_eq!(
        vi["errors"][0]["message"],
        "Kiểu \"Unit\" không có trường \"nme\". Có phải ý bạn là \"name\"?"
    );
    assert_eq!(vi["errors"][0]["locations"][0]["column"], 35, "{vi}");
    assert!(vi.get("data").is_none(), "{vi}");
    let (_, b) = app.gql_full(None, q, json!({}), &en).await;
    assert_eq!(error_code(&b), "GRAPHQL_VALIDATION_FAILED", "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        "Unknown field \"nme\" on type \"Unit\". Did you mean \"name\"?"
    );
    assert_eq!(b["errors"][0]["locations"], vi["errors"][0]["locations"]);

    // A wrong argument type and a missing required argument.
    let (_, b) = app
        .gql_full(None, "{ unit: unitByCode(code: 5) { id } }", json!({}), &[])
        .await;
    assert_eq!(error_code(&b), "GRAPHQL_VALIDATION_FAILED", "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        "Giá trị không hợp lệ cho tham số \"code\": cần giá trị kiểu \"String\"."
    );
    let (_, b) = app
        .gql_full(None, "mutation { login { accessToken } }", json!({}), &[])
        .await;
    assert_eq!(error_code(&b), "GRAPHQL_VALIDATION_FAILED", "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        "Trường \"login\" của kiểu \"Mutation\" thiếu tham số bắt buộc \"input\"."
    );

    // A document that does not parse.
    let q = "{ units { edges ";
    let (_, vi) = app.gql_full(None, q, json!({}), &[]).await;
    assert_eq!(error_code(&vi), "GRAPHQL_PARSE_FAILED", "{vi}");
    let msg = vi["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Lỗi cú pháp GraphQL ở dòng 1, cột 17: cần "),
        "{msg}"
    );
    assert_eq!(vi["errors"][0]["locations"][0]["line"], 1, "{vi}");
    assert_eq!(vi["errors"][0]["locations"][0]["column"], 17, "{vi}");
    let (_, b) = app.gql_full(None, q, json!({}), &en).await;
    assert_eq!(error_code(&b), "GRAPHQL_PARSE_FAILED", "{b}");
    let msg = b["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("--> 1:17") && msg.contains("expected"),
        "{msg}"
    );
    assert_eq!(b["errors"][0]["locations"], vi["errors"][0]["locations"]);
}
