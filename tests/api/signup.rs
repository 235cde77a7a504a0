//! Sign-up that cannot be abused: each test tries an attack a security review found against the
//! demo, and checks what comes back that it fails.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { id username role email emailConfirmed phone phoneConfirmed businessConfirmed business { taxCode name } businessClaim { taxCode name status } } } }";
const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { code } }";
const LOGIN: &str = "mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken account { username } } }";
const ME: &str = "{ me { role business { taxCode name } account { username businessConfirmed business { taxCode name } businessClaim { taxCode name status } } } }";

fn citizen(username: &str) -> Value {
    json!({ "i": { "username": username, "password": "mat-khau-dai-du-1", "displayName": format!("Người {username}") } })
}

fn business(username: &str, tax: &str, name: &str) -> Value {
    json!({ "i": { "username": username, "password": "mat-khau-dai-du-1", "displayName": name,
                   "business": { "taxCode": tax, "name": name } } })
}

fn complaint(unit: &str, title: &str) -> Value {
    json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "title": title,
                   "body": "Hồ sơ quá hạn mà chưa có kết quả.",
                   "contact": { "name": "Trần Văn C", "phone": "0918000111" } } })
}

async fn register(app: &TestApp, input: Value) -> Value {
    app.ok(None, REGISTER, input).await["register"].clone()
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> Value {
    app.gql(None, LOGIN, json!({ "l": login, "p": password }))
        .await
}

#[tokio::test]
async fn throwaway_accounts_share_the_anonymous_limit_of_their_address() {
    let app = TestApp::spawn_configured(|c| {
        c.anonymous_submissions_per_hour = 3;
        c.account_submissions_per_hour = 60;
    })
    .await;
    let unit = app.unit_id("P.CHOLON").await;
    for n in 0..3 {
        let f = app
            .ok(None, FILE, complaint(&unit, &format!("Ẩn danh {n}")))
            .await;
        assert!(f["fileComplaint"]["code"].is_string(), "{f}");
    }
    let b = app.gql(None, FILE, complaint(&unit, "Ẩn danh 4")).await;
    assert_eq!(error_code(&b), "RATE_LIMITED", "{b}");

    // Fresh accounts from the same address bring no new allowance: neither citizens nor
    // business accounts that no admin has confirmed.
    let mut fresh = Vec::new();
    for n in 0..3 {
        fresh.push(register(&app, citizen(&format!("nem.{n}"))).await["accessToken"].clone());
    }
    fresh.push(
        register(&app, business("cty.nem", "0301234562", "Công ty Ném")).await["accessToken"]
            .clone(),
    );
    for (n, t) in fresh.iter().enumerate() {
        let b = app
            .gql(
                t.as_str(),
                FILE,
                complaint(&unit, &format!("Tài khoản mới {n}")),
            )
            .await;
        assert_eq!(error_code(&b), "RATE_LIMITED", "account {n}: {b}");
        assert!(b["data"]["fileComplaint"].is_null(), "{b}");
        let msg = b["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains("chưa được xác nhận"), "{msg}");
    }
    // The business account an admin confirmed, and a citizen holding a confirmed contact,
    // keep their own limits.
    let biz = app.login("congty.demo", "gopy-business-demo").await;
    let f = app
        .ok(
            Some(&biz),
            FILE,
            complaint(&unit, "Doanh nghiệp đã xác nhận"),
        )
        .await;
    assert!(f["fileComplaint"]["code"].is_string(), "{f}");
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let f = app
        .ok(
            Some(&citizen),
            FILE,
            complaint(&unit, "Công dân đã xác nhận"),
        )
        .await;
    assert!(f["fileComplaint"]["code"].is_string(), "{f}");
}

#[tokio::test]
async fn a_tax_code_claim_blocks_nobody_until_an_admin_confirms_one() {
    let app = TestApp::spawn().await;
    // A squatter names the tax code first; the real business registers after it, and so does
    // someone naming the demo business, which already has a confirmed account.
    let squat = register(
        &app,
        business("chiem.cho", "0301234562", "Công ty Chiếm Chỗ"),
    )
    .await;
    let real = register(
        &app,
        business(
            "xaydung.that",
            "0301 234 562",
            "Công ty CP Xây dựng Chợ Lớn",
        ),
    )
    .await;
    let other = register(&app, business("demo.thu.hai", "0100109106", "Góp Ý Demo")).await;
    for r in [&squat, &real, &other] {
        let a = &r["account"];
        assert_eq!(a["role"], "BUSINESS", "{r}");
        assert_eq!(a["businessClaim"]["status"], "PENDING", "{r}");
        assert_eq!(a["businessConfirmed"], false);
        assert!(a["business"].is_null(), "{r}");
    }
    assert_eq!(real["account"]["businessClaim"]["taxCode"], "0301234562");

    // Confirming the real one ends the claim that waited beside it.
    let admin = app.admin().await;
    let confirm = "mutation($id: ID!, $c: Boolean) { confirmBusinessAccount(id: $id, confirmed: $c) { businessConfirmed business { taxCode } businessClaim { status } } }";
    let c = app
        .ok(
            Some(&admin),
            confirm,
            json!({ "id": real["account"]["id"] }),
        )
        .await;
    assert_eq!(c["confirmBusinessAccount"]["businessConfirmed"], true);
    assert_eq!(
        c["confirmBusinessAccount"]["business"]["taxCode"],
        "0301234562"
    );
    assert_eq!(
        c["confirmBusinessAccount"]["businessClaim"]["status"],
        "CONFIRMED"
    );

    let me = app.ok(real["accessToken"].as_str(), ME, json!({})).await;
    assert_eq!(me["me"]["business"]["taxCode"], "0301234562", "{me}");
    let me = app.ok(squat["accessToken"].as_str(), ME, json!({})).await;
    let acc = &me["me"]["account"];
    assert_eq!(acc["businessClaim"]["status"], "REFUSED", "{me}");
    assert_eq!(acc["businessConfirmed"], false);
    assert!(
        acc["business"].is_null() && me["me"]["business"].is_null(),
        "{me}"
    );
    // A claim of another tax code is untouched.
    let me = app.ok(other["accessToken"].as_str(), ME, json!({})).await;
    assert_eq!(me["me"]["account"]["businessClaim"]["status"], "PENDING");

    // Refusing a claim leaves it unbound, in a clear state.
    let c = app
        .ok(
            Some(&admin),
            confirm,
            json!({ "id": other["account"]["id"], "c": false }),
        )
        .await;
    assert_eq!(
        c["confirmBusinessAccount"]["businessClaim"]["status"],
        "REFUSED"
    );
    assert!(c["confirmBusinessAccount"]["business"].is_null());
}

#[tokio::test]
async fn registering_with_a_households_number_reveals_nothing_of_the_registry() {
    let app = TestApp::spawn().await;
    // The demo registry holds a household business under this personal number.
    const HOUSEHOLD: &str = "079185012345";
    const REGISTRY_NAME: &str = "Tạp hóa Bình Tây";
    let known = app
        .gql(
            None,
            REGISTER,
            business("to.mo", HOUSEHOLD, "Tên gì cũng được"),
        )
        .await;
    let unknown = app
        .gql(
            None,
            REGISTER,
            business("to.mo.2", "079185001234", "Tên gì cũng được"),
        )
        .await;
    for b in [&known, &unknown] {
        assert!(b.get("errors").is_none(), "{b}");
        assert!(!b.to_string().contains(REGISTRY_NAME), "{b}");
        let a = &b["data"]["register"]["account"];
        assert!(a["business"].is_null(), "{b}");
        assert_eq!(a["businessClaim"]["name"], "Tên gì cũng được");
        assert_eq!(a["businessClaim"]["status"], "PENDING");
    }
    // The same answer whether the registry knows the number or not, but for what was typed.
    let shape = |b: &Value| {
        let mut a = b["data"]["register"]["account"].clone();
        a["id"] = Value::Null;
        a["username"] = Value::Null;
        a["businessClaim"]["taxCode"] = Value::Null;
        a
    };
    assert_eq!(shape(&known), shape(&unknown));
    // Nor does the account see it afterwards.
    let token = known["data"]["register"]["accessToken"].as_str().unwrap();
    let me = app.ok(Some(token), ME, json!({})).await;
    assert!(!me.to_string().contains(REGISTRY_NAME), "{me}");
    assert!(me["me"]["business"].is_null(), "{me}");
}

#[tokio::test]
async fn names_stay_on_one_line_without_direction_controls() {
    let app = TestApp::spawn().await;
    for bad in [
        "Nguyễn\u{202E}nấhT",
        "Nguyễn\nVăn A",
        "A\u{2066}B",
        "A\u{2028}B",
    ] {
        let mut input = citizen("ten.xau");
        input["i"]["displayName"] = json!(bad);
        let b = app.gql(None, REGISTER, input).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{bad:?}: {b}");
        assert_eq!(error_field(&b), "input.displayName", "{bad:?}: {b}");

        let b = app
            .gql(None, REGISTER, business("cty.xau", "0301234562", bad))
            .await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{bad:?}: {b}");
        let mut input = business("cty.xau", "0301234562", "Công ty Tốt");
        input["i"]["business"]["name"] = json!(bad);
        let b = app.gql(None, REGISTER, input).await;
        assert_eq!(error_field(&b), "input.business.name", "{bad:?}: {b}");
    }
    // Nothing was written.
    for u in ["ten.xau", "cty.xau"] {
        let b = sign_in(&app, u, "mat-khau-dai-du-1").await;
        assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    }
    // Vietnamese names in either normal form are fine.
    let r = register(&app, {
        let mut i = citizen("ten.dep");
        i["i"]["displayName"] = json!("Nguye\u{0302}\u{0303}n Thi\u{0323} Hoa");
        i
    })
    .await;
    assert_eq!(r["account"]["username"], "ten.dep");
}

#[tokio::test]
async fn a_username_cannot_take_over_sign_in_by_phone() {
    let app = TestApp::spawn().await;
    let mut victim = citizen("nan.nhan");
    victim["i"]["phone"] = json!("0913 111 222");
    register(&app, victim).await;
    app.confirm_contacts("nan.nhan").await;

    for name in [
        "0913111222",
        "84913111222",
        "0913.111.222",
        "0913-111-222",
        "x@y.vn",
    ] {
        let b = app.gql(None, REGISTER, citizen(name)).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{name}: {b}");
        assert_eq!(error_field(&b), "input.username", "{name}: {b}");
    }
    // A user name spelt as the number, left from before the rule (written here straight into
    // the database), signs in by nothing: the number finds only the account holding it.
    let mut attacker = citizen("ke.gian");
    attacker["i"]["password"] = json!("mat-khau-ke-gian");
    register(&app, attacker).await;
    {
        use entity::account::{Column, Entity};
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        Entity::update_many()
            .col_expr(Column::Username, Expr::value("0913111222"))
            .filter(Column::Username.eq("ke.gian"))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let b = sign_in(&app, "0913111222", "mat-khau-ke-gian").await;
    assert!(b["data"]["login"].is_null(), "{b}");
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    for spelling in ["0913111222", "+84 913 111 222"] {
        let b = sign_in(&app, spelling, "mat-khau-dai-du-1").await;
        assert_eq!(b["data"]["login"]["account"]["username"], "nan.nhan", "{b}");
    }

    // Nor does a contact that only waits: naming someone's number at registration signs in
    // by it for nobody.
    let mut claimant = citizen("nguoi.la");
    claimant["i"]["phone"] = json!("0913111222");
    claimant["i"]["password"] = json!("mat-khau-khac-2");
    register(&app, claimant).await;
    let b = sign_in(&app, "0913111222", "mat-khau-khac-2").await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
    let mut fresh = citizen("chua.xac.nhan");
    fresh["i"]["email"] = json!("moi@example.vn");
    register(&app, fresh).await;
    let b = sign_in(&app, "moi@example.vn", "mat-khau-dai-du-1").await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED", "{b}");
}

#[tokio::test]
async fn registration_says_nothing_of_a_contact_in_use() {
    let app = TestApp::spawn_configured(|c| c.registrations_per_hour = 100).await;
    let mut holder = citizen("chu.so");
    holder["i"]["phone"] = json!("0919222333");
    register(&app, holder).await;
    app.confirm_contacts("chu.so").await;

    let with = |u: &str, email: &str, phone: &str| {
        let mut i = citizen(u);
        i["i"]["email"] = json!(email);
        i["i"]["phone"] = json!(phone);
        i
    };
    // A demo account holds this e-mail, and `chu.so` this phone; the others are free.
    let used = app
        .gql(
            None,
            REGISTER,
            with("dung.roi", "nguyenvana@demo.gopy.vn", "0919 222 333"),
        )
        .await;
    let free = app
        .gql(
            None,
            REGISTER,
            with("con.trong", "trong@example.vn", "0919444555"),
        )
        .await;
    let shape = |b: &Value| {
        let mut a = b["data"]["register"]["account"].clone();
        for k in ["id", "username", "email", "phone"] {
            a[k] = Value::Null;
        }
        a
    };
    assert!(used.get("errors").is_none(), "{used}");
    assert!(free.get("errors").is_none(), "{free}");
    assert_eq!(shape(&used), shape(&free));
    let a = &used["data"]["register"]["account"];
    assert_eq!(a["email"], "nguyenvana@demo.gopy.vn");
    assert_eq!(a["emailConfirmed"], false);
    assert_eq!(a["phoneConfirmed"], false);
    // The holders keep signing in by their contacts.
    let b = sign_in(&app, "0919222333", "mat-khau-dai-du-1").await;
    assert_eq!(b["data"]["login"]["account"]["username"], "chu.so", "{b}");
    let b = sign_in(&app, "nguyenvana@demo.gopy.vn", "gopy-citizen-demo").await;
    assert_eq!(
        b["data"]["login"]["account"]["username"], "nguyenvana",
        "{b}"
    );

    // A user name is the one thing that can be taken: it is said without a word about contacts,
    // in the time a new account takes (the password is hashed either way).
    let taken = app
        .gql_full(
            None,
            REGISTER,
            with("chu.so", "khac@example.vn", "0919666777"),
            &[("accept-language", "en")],
        )
        .await
        .1;
    assert_eq!(error_code(&taken), "CONFLICT", "{taken}");
    let msg = taken["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(msg.contains("username"), "{msg}");
    assert!(!msg.contains("mail") && !msg.contains("phone"), "{msg}");

    async fn timed(app: &TestApp, input: Value) -> Duration {
        let t = Instant::now();
        app.gql(None, REGISTER, input).await;
        t.elapsed()
    }
    let mut new = Duration::MAX;
    let mut refused = Duration::MAX;
    for n in 0..5 {
        new = new.min(timed(&app, citizen(&format!("do.gio.{n}"))).await);
        refused = refused.min(timed(&app, citizen("chu.so")).await);
    }
    assert!(
        refused * 3 >= new,
        "a taken name answered in {refused:?}, a new account in {new:?}"
    );
}
