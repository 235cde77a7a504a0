//! Spawns the real application on port 0 with a fresh database per test: a temporary SQLite
//! file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set. Logs only with
//! `TEST_LOG=1`.

use std::sync::Once;
use std::time::Duration;

use portal::auth::Role;
use portal::{Application, Config};
use serde_json::{Value, json};

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123";

static LOG: Once = Once::new();
static CLOCK_SET: Once = Once::new();

/// The instant every server of this test run starts its clock at (`PORTAL_CLOCK` for the
/// binary): a Friday morning in the city, so that the suite's fixed dates, holidays and working
/// days mean the same on any day it runs. The clock runs on from there.
pub const CLOCK: &str = "2026-12-04T09:00:00+07:00";

/// Starts the city's clock of this process at [`CLOCK`], once.
pub fn set_clock() {
    CLOCK_SET.call_once(|| {
        portal::clock::start_at(
            chrono::DateTime::parse_from_rfc3339(CLOCK)
                .expect("CLOCK")
                .with_timezone(&chrono::Utc),
        )
    });
}

/// A database for one test.
pub struct TestDb {
    pub url: String,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new() -> TestDb {
        set_clock();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                use sea_orm::{ConnectionTrait, Database};
                let name = format!("gopy_test_{}", uuid::Uuid::new_v4().simple());
                let conn = Database::connect(&admin)
                    .await
                    .expect("connect TEST_DATABASE_URL");
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                replace_db_name(&admin, &name)
            }
            _ => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("portal.db").display()
            ),
        };
        TestDb { url, _dir: dir }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }

    /// The same database for a second server, with a data folder of its own.
    pub fn beside(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let slash = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match slash {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub state: portal::state::AppState,
    pub db: TestDb,
    /// Meilisearch indexes this test made, deleted when it ends.
    pub meili: Option<MeiliCleanup>,
    /// The rating codes of the dossiers this test recorded, as the receipts printed them (the
    /// portal keeps only their hashes).
    pub receipts: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// Deletes a test's Meilisearch indexes (its prefix) when dropped.
pub struct MeiliCleanup {
    pub url: String,
    pub key: Option<String>,
    pub prefix: String,
}

impl Drop for MeiliCleanup {
    fn drop(&mut self) {
        let (url, key, prefix) = (self.url.clone(), self.key.clone(), self.prefix.clone());
        // Drop cannot wait on the test's runtime: a thread with its own does the deleting.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                if let Ok(m) = portal::search::meili::MeiliIndex::new(
                    &url,
                    key.as_deref(),
                    &prefix,
                    Default::default(),
                ) {
                    let _ = m.delete_indexes().await;
                }
            });
        })
        .join();
    }
}

pub fn test_config(db: &TestDb) -> Config {
    Config {
        database_url: db.url.clone(),
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: db.data_dir(),
        jwt_secret: Some(SECRET.to_string()),
        // The test client stands for a proxy: a request can say which address it comes from.
        trusted_proxies: portal::client_addr::parse_list("127.0.0.1/32").unwrap(),
        ..Config::default()
    }
}

/// Where the requests of officials' tokens come from: the office network, not the citizens'
/// address (a rating of a unit's dossiers from an address its officials use is refused).
pub const OFFICE_ADDR: &str = "192.0.2.10";

/// Whether a token is an official's (read from its claims, without checking it).
fn is_officials(token: &str) -> bool {
    use base64::Engine;
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|c| {
            c["role"]
                .as_str()
                .map(|r| r.eq_ignore_ascii_case("official"))
        })
        .unwrap_or(false)
}

impl TestApp {
    /// A server with the demo data.
    pub async fn spawn() -> TestApp {
        let db = TestDb::new().await;
        Self::spawn_with(test_config(&db), db, true).await
    }

    /// A server with the demo data and a configuration changed by `f`.
    pub async fn spawn_configured(f: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::new().await;
        let mut c = test_config(&db);
        f(&mut c);
        Self::spawn_with(c, db, true).await
    }

    pub async fn spawn_with(config: Config, db: TestDb, demo: bool) -> TestApp {
        set_clock();
        LOG.call_once(|| {
            if std::env::var("TEST_LOG").is_ok() {
                portal::telemetry::init(false);
            }
        });
        let app = Application::build(config, demo).await.expect("build app");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            state,
            db,
            meili: None,
            receipts: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// POSTs a GraphQL request and returns the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_full(token, query, variables, &[]).await.1
    }

    /// POSTs a GraphQL request with extra headers; returns the status and the JSON body.
    pub async fn gql_full(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut r = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            r = r.bearer_auth(t);
            if is_officials(t)
                && !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
            {
                r = r.header("x-forwarded-for", OFFICE_ADDR);
            }
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("JSON body");
        (status, body)
    }

    /// Signs in and returns the token.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let b = self
            .gql(
                None,
                "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                json!({ "i": { "login": login, "password": password } }),
            )
            .await;
        b["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {b}"))
            .to_string()
    }

    /// A script token for a role (and unit code), signed with the test secret.
    pub async fn script_token(&self, role: Role, unit_code: Option<&str>) -> String {
        let unit_id = match unit_code {
            Some(c) => Some(self.unit_id(c).await),
            None => None,
        };
        self.state
            .keys
            .issue(portal::auth::TokenFor::script(role, unit_id, None), None)
            .unwrap()
            .0
    }

    pub async fn admin(&self) -> String {
        self.login("admin", "gopy-admin-demo").await
    }

    pub async fn procedure_id(&self, code: &str) -> String {
        let b = self
            .gql(
                None,
                "query($c: String) { procedure: procedureByCode(code: $c) { id } }",
                json!({ "c": code }),
            )
            .await;
        b["data"]["procedure"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no procedure {code}: {b}"))
            .to_string()
    }

    /// Runs a GraphQL request that must succeed; returns its `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let b = self.gql(token, query, variables).await;
        assert!(b.get("errors").is_none(), "unexpected errors: {b}");
        b["data"].clone()
    }

    /// Records a dossier (as `token`) and returns its code.
    pub async fn record_dossier(
        &self,
        token: &str,
        code: &str,
        unit: &str,
        procedure: &str,
        received_at: &str,
    ) -> Value {
        let unit = self.unit_id(unit).await;
        let procedure = self.procedure_id(procedure).await;
        let d = self
            .ok(
                Some(token),
                "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code status receivedAt originalDueAt dueAt late backlog apologyStatus ratingCode } }",
                json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN", "receivedAt": received_at } }),
            )
            .await;
        self.keep_receipt(&d["recordDossier"]);
        d["recordDossier"].clone()
    }

    /// Keeps the rating code of a `recordDossier` answer (with `code ratingCode`), as the
    /// printed receipt would.
    pub fn keep_receipt(&self, recorded: &Value) {
        if let (Some(c), Some(r)) = (recorded["code"].as_str(), recorded["ratingCode"].as_str()) {
            self.receipts
                .lock()
                .unwrap()
                .insert(c.to_uppercase(), r.to_string());
        }
    }

    /// The rating code printed on the receipt of a dossier this test recorded: the answer of
    /// `recordDossier` is the only place it can be read.
    pub async fn rating_code(&self, dossier: &str) -> String {
        self.receipts
            .lock()
            .unwrap()
            .get(&dossier.trim().to_uppercase())
            .cloned()
            .unwrap_or_else(|| panic!("no receipt kept for {dossier}"))
    }

    /// The id of a dossier by its receipt code (actions name dossiers by id).
    pub async fn dossier_id(&self, code: &str) -> String {
        let b = self
            .gql(
                None,
                "query($c: String!) { dossierByCode(code: $c) { id } }",
                json!({ "c": code }),
            )
            .await;
        b["data"]["dossierByCode"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no dossier {code}: {b}"))
            .to_string()
    }

    pub async fn complete_dossier(&self, token: &str, code: &str) -> Value {
        let id = self.dossier_id(code).await;
        self.ok(
            Some(token),
            "mutation($d: ID!) { completeDossier(id: $d) { status completedAt late } }",
            json!({ "d": id }),
        )
        .await["completeDossier"]
            .clone()
    }

    /// An evaluator accepts the pending review request of `kind` about `code` (as the review
    /// queue shows it), with a reason.
    pub async fn accept_review(&self, evaluator: &str, kind: &str, code: &str) {
        let queue = self
            .ok(
                Some(evaluator),
                "query($k: ParReviewKind) { parReviews(filter: {kind: $k}) { nodes { id code } } }",
                json!({ "k": kind }),
            )
            .await;
        let review = queue["parReviews"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["code"] == code)
            .unwrap_or_else(|| panic!("no {kind} request about {code}: {queue}"))["id"]
            .clone();
        let d = self
            .ok(
                Some(evaluator),
                "mutation($i: DecideParReviewInput!) { decideParReview(input: $i) { status } }",
                json!({ "i": { "id": review, "decision": "ACCEPT", "reason": "Biên bản trả kết quả ghi nhận xin lỗi." } }),
            )
            .await;
        assert_eq!(d["decideParReview"]["status"], "ACCEPTED", "{d}");
    }

    /// Waits until the search indexer has drained the outbox (read-your-writes in tests).
    pub async fn settle(&self) {
        let started = std::time::Instant::now();
        loop {
            let n = portal::search::outbox::pending(&self.state.db)
                .await
                .unwrap();
            if n == 0 {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "outbox still has {n} rows"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Confirms the contacts an account gave at registration, as the confirmation step will
    /// (it needs notifications, which do not exist yet): the account then holds them and signs
    /// in by them.
    pub async fn confirm_contacts(&self, username: &str) {
        use entity::account::{Column, Entity};
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let res = Entity::update_many()
            .col_expr(Column::Email, Expr::col(Column::PendingEmail))
            .col_expr(Column::Phone, Expr::col(Column::PendingPhone))
            .col_expr(Column::PendingEmail, Expr::value(Option::<String>::None))
            .col_expr(Column::PendingPhone, Expr::value(Option::<String>::None))
            .filter(Column::Username.eq(username))
            .exec(&self.state.db)
            .await
            .unwrap();
        assert_eq!(res.rows_affected, 1, "no account {username}");
    }

    pub async fn unit_id(&self, code: &str) -> String {
        let b = self
            .gql(
                None,
                "query($c: String) { unit: unitByCode(code: $c) { id } }",
                json!({ "c": code }),
            )
            .await;
        b["data"]["unit"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no unit {code}: {b}"))
            .to_string()
    }
}

/// The `extensions.code` of the first error, panicking with the body when there is none.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
        .to_string()
}

pub fn error_field(body: &Value) -> String {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a field, got {body}"))
        .to_string()
}
