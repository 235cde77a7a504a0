//! Registration, sign-in, staff accounts, and who may create them.

use serde_json::json;

use crate::helpers::{TestApp, error_code, error_field};

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { accessToken accessTokenExpiresAt account { id username role email emailConfirmed phone phoneConfirmed business { taxCode name } businessClaim { taxCode name status } } } }";

#[tokio::test]
async fn a_citizen_registers_and_signs_in_by_name_email_or_phone() {
    let app = TestApp::spawn().await;
    let b = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "Tran.Thi.B", "password": "mật-khẩu-dài-1", "displayName": "Trần Thị B",
                           "email": "B@Example.vn", "phone": "+84 912 345 678" } }),
        )
        .await;
    let acc = &b["data"]["register"]["account"];
    assert_eq!(acc["username"], "tran.thi.b", "{b}");
    assert_eq!(acc["role"], "CITIZEN");
    assert_eq!(acc["email"], "b@example.vn");
    assert_eq!(acc["phone"], "0912345678");
    assert_eq!(acc["emailConfirmed"], false);
    assert_eq!(acc["phoneConfirmed"], false);
    assert!(acc["business"].is_null());
    let exp = b["data"]["register"]["accessTokenExpiresAt"]
        .as_str()
        .unwrap();
    assert!(exp.ends_with("+07:00"), "{exp}");

    // Contacts sign in once confirmed (the account holds them); until then the user name does.
    let login_q = "mutation($l: String!) { login(input: {login: $l, password: \"mật-khẩu-dài-1\"}) { accessToken } }";
    for login in ["b@example.vn", "0912345678"] {
        let b = app.gql(None, login_q, json!({ "l": login })).await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{login}: {b}");
    }
    app.confirm_contacts("tran.thi.b").await;
    for login in ["tran.thi.b", "b@example.vn", "0912345678", "+84912345678"] {
        let t = app.login(login, "mật-khẩu-dài-1").await;
        let me = app
            .gql(
                Some(&t),
                "{ me { role account { username emailConfirmed phoneConfirmed } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            me["data"]["me"]["account"]["username"], "tran.thi.b",
            "{login}"
        );
        assert_eq!(me["data"]["me"]["account"]["phoneConfirmed"], true);
    }

    let wrong = app
        .gql(
            None,
            "mutation { login(input: {login: \"tran.thi.b\", password: \"nope-nope\"}) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");

    // The same user name cannot register twice.
    let b = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "Tran.Thi.B", "password": "long-enough-1", "displayName": "X" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    // A phone another account holds is taken as given, unconfirmed, and signs in only its
    // holder (see signup.rs).
    let b = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "another", "password": "long-enough-1", "displayName": "X", "phone": "0912345678" } }),
        )
        .await;
    assert_eq!(
        b["data"]["register"]["account"]["phoneConfirmed"], false,
        "{b}"
    );
    let t = app.login("0912345678", "mật-khẩu-dài-1").await;
    let me = app
        .gql(Some(&t), "{ me { account { username } } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["account"]["username"], "tran.thi.b");
}

#[tokio::test]
async fn a_business_registers_with_a_valid_tax_code_only() {
    let app = TestApp::spawn().await;
    let bad = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "cty.sai", "password": "long-enough-1", "displayName": "Cty",
                           "business": { "taxCode": "0100109107", "name": "Công ty Sai" } } }),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_field(&bad), "input.business.taxCode");
    // The refused registration left no account behind.
    let none = app
        .gql(None, "mutation { login(input: {login: \"cty.sai\", password: \"long-enough-1\"}) { accessToken } }", json!({}))
        .await;
    assert_eq!(error_code(&none), "UNAUTHENTICATED");

    let ok = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "cty.moi", "password": "long-enough-1", "displayName": "Công ty Mới",
                           "business": { "taxCode": "0100109106-002", "name": "Chi nhánh Công ty Mới" } } }),
        )
        .await;
    let acc = &ok["data"]["register"]["account"];
    assert_eq!(acc["role"], "BUSINESS", "{ok}");
    // A claim, until an admin confirms it.
    assert!(acc["business"].is_null(), "{ok}");
    assert_eq!(acc["businessClaim"]["taxCode"], "0100109106-002");
    assert_eq!(acc["businessClaim"]["name"], "Chi nhánh Công ty Mới");
    assert_eq!(acc["businessClaim"]["status"], "PENDING");
    let id = acc["id"].as_str().unwrap().to_string();

    // A second claim of the same tax code waits beside it: a claim blocks nobody.
    let dup = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "username": "cty.khac", "password": "long-enough-1", "displayName": "Ai đó",
                           "business": { "taxCode": "0100109106-002", "name": "Giả mạo" } } }),
        )
        .await;
    assert_eq!(
        dup["data"]["register"]["account"]["businessClaim"]["status"], "PENDING",
        "{dup}"
    );
    let admin = app.admin().await;
    app.ok(
        Some(&admin),
        "mutation($id: ID!) { confirmBusinessAccount(id: $id) { businessConfirmed } }",
        json!({ "id": id }),
    )
    .await;
    let t = app.login("cty.moi", "long-enough-1").await;
    let me = app
        .gql(
            Some(&t),
            "{ me { role business { taxCode name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["business"]["name"],
        "Chi nhánh Công ty Mới"
    );
}

#[tokio::test]
async fn registration_validates_every_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "username": "ab", "password": "long-enough-1", "displayName": "X" }),
            "username",
        ),
        (
            json!({ "username": "abc", "password": "short", "displayName": "X" }),
            "password",
        ),
        (
            json!({ "username": "abc", "password": "long-enough-1", "displayName": " " }),
            "displayName",
        ),
        (
            json!({ "username": "abc", "password": "long-enough-1", "displayName": "X", "email": "not-an-email" }),
            "email",
        ),
        (
            json!({ "username": "abc", "password": "long-enough-1", "displayName": "X", "phone": "12345" }),
            "phone",
        ),
    ];
    for (input, field) in cases {
        let b = app.gql(None, REGISTER, json!({ "i": input })).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{field}: {b}");
        assert_eq!(error_field(&b), format!("input.{field}"));
    }
    let t = app.login("admin", "gopy-admin-demo").await;
    let n = app.gql(Some(&t), "{ me { role } }", json!({})).await;
    assert_eq!(n["data"]["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn only_admins_create_staff_accounts_bound_to_a_unit() {
    let app = TestApp::spawn().await;
    let q5 = app.unit_id("P.CHOLON").await;
    let q = "mutation($i: CreateStaffAccountInput!) { createStaffAccount(input: $i) { username role unit { code } email } }";
    let input = json!({ "i": { "username": "q5.moi", "password": "long-enough-1", "displayName": "Cán bộ mới",
                               "email": "q5.moi@hcm.gov.vn", "role": "OFFICIAL", "unit": q5 } });

    let official = app.login("stp.canbo", "gopy-official-demo").await;
    assert_eq!(
        error_code(&app.gql(Some(&official), q, input.clone()).await),
        "FORBIDDEN"
    );
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    assert_eq!(
        error_code(&app.gql(Some(&evaluator), q, input.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, q, input.clone()).await),
        "UNAUTHENTICATED"
    );

    let admin = app.admin().await;
    let bad_unit = json!({ "i": { "username": "q5.moi", "password": "long-enough-1", "displayName": "X",
                                  "role": "OFFICIAL", "unit": "no-such-unit" } });
    let b = app.gql(Some(&admin), q, bad_unit).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "input.unit");

    let b = app.gql(Some(&admin), q, input).await;
    assert_eq!(
        b["data"]["createStaffAccount"]["unit"]["code"], "P.CHOLON",
        "{b}"
    );
    assert_eq!(b["data"]["createStaffAccount"]["role"], "OFFICIAL");
    assert_eq!(
        b["data"]["createStaffAccount"]["email"],
        "q5.moi@hcm.gov.vn"
    );

    let t = app.login("q5.moi", "long-enough-1").await;
    let me = app
        .gql(
            Some(&t),
            "{ me { role unit { code name } account { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["unit"]["name"], "Phường Chợ Lớn");
    assert_eq!(me["data"]["me"]["account"]["email"], "q5.moi@hcm.gov.vn");
}
