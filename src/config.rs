//! One `Config`: defaults < config file (optional) < environment < command-line flags.
//!
//! A bad value stops start-up with a message that names the variable, so an operator knows
//! what to fix without reading code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Where the demo JWT secret is kept, under the data directory.
pub const DEMO_SECRET_FILE: &str = "jwt-secret";

#[derive(Debug, Clone)]
pub struct Config {
    /// Database URL: `sqlite://…` (default `./data/portal.db`) or `postgres://…`.
    pub database_url: String,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// HS256 secret; `None` until resolved (required outside demo mode).
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Lifetime of an access token (`PORTAL_ACCESS_TOKEN_TTL`): short, since a session that
    /// ends stops its access tokens only as they are checked.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token (`PORTAL_REFRESH_TOKEN_TTL`); each exchange starts anew.
    pub refresh_token_ttl: Duration,
    pub meili_url: Option<String>,
    pub meili_key: Option<String>,
    /// Prefix of the Meilisearch index names (several portals or test runs can share a server).
    pub meili_prefix: String,
    /// Production (`PORTAL_ENV=production`, or a `DATABASE_URL` other than the default SQLite
    /// file): GraphiQL, introspection and other origins are off unless turned on.
    pub production: bool,
    /// Allowed CORS origins; `["*"]` allows any (development only).
    pub cors_origins: Vec<String>,
    pub body_limit: usize,
    pub graphiql: bool,
    /// Schema introspection (`__schema`, `__type`) and `/schema.graphql`.
    pub introspection: bool,
    /// Ranges of the load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<crate::client_addr::Cidr>,
    /// Longest time one request may run.
    pub request_timeout: Duration,
    /// Connections to PostgreSQL per server (SQLite keeps its own small pool).
    pub db_pool: u32,
    /// Aliased fields in one request (`a: search… b: search…`).
    pub max_aliases: usize,
    /// Fields in one request, counted through fragments.
    pub max_fields: usize,
    pub log_json: bool,
    pub query_depth: usize,
    pub query_complexity: usize,
    /// Failed logins allowed per account, and per client address, per window.
    pub login_failures_per_account: u32,
    pub login_failures_per_address: u32,
    pub login_window: Duration,
    /// Anonymous ratings and complaints allowed per client address per hour.
    pub anonymous_submissions_per_hour: u32,
    /// Ratings and complaints allowed per citizen or business account per hour.
    pub account_submissions_per_hour: u32,
    /// New accounts allowed per client address per hour.
    pub registrations_per_hour: u32,
    /// Wrong contacts per tracking code, and wrong rating codes per dossier, per hour.
    pub code_guesses_per_hour: u32,
    /// Below this many answers a satisfaction share is reported as insufficient.
    pub min_sample: u32,
    /// Days after an item ends (closed, rejected, a duplicate, or answered and not contested)
    /// before its filer's contact and the personal data in its text are anonymised.
    pub retain_contact_days: u32,
    /// Seconds between two retention sweeps of a server (0: no background sweep; `portal
    /// retention` still runs one).
    pub retention_sweep_secs: u64,
    /// The instant the city's clock starts at (`PORTAL_CLOCK`), for training servers and test
    /// suites that must live the same working days whatever day they run; unset in production.
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Working days to answer a complaint, per kind.
    pub answer_days_feedback: u32,
    pub answer_days_petition: u32,
    /// An edited holiday list replacing the built-in `config/holidays.csv`.
    pub holidays_file: Option<PathBuf>,
    /// Where notifications go: SMTP, the SMS and Zalo gateways' webhooks, links.
    pub notify: NotifyConfig,
}

/// The notification channels. A channel left unset writes its messages as files under
/// `<data dir>/outbox/`, so a demo shows what would be sent.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `PORTAL_SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS where the server offers it),
    /// `smtps://…:465` (TLS from the start), `?tls=required` to insist on STARTTLS.
    pub smtp_url: Option<String>,
    /// `PORTAL_SMTP_FROM`: the sender, `Góp Ý <no-reply@example.gov.vn>`.
    pub smtp_from: String,
    /// `PORTAL_SMS_WEBHOOK_URL` and its HMAC secret `PORTAL_SMS_WEBHOOK_SECRET`.
    pub sms_webhook: Option<(String, String)>,
    /// `PORTAL_ZALO_WEBHOOK_URL` and its HMAC secret `PORTAL_ZALO_WEBHOOK_SECRET`.
    pub zalo_webhook: Option<(String, String)>,
    /// `PORTAL_PUBLIC_URL`: where people reach the portal; links in messages (the items, and the
    /// unsubscribe link, served by this server) start with it.
    pub public_url: Option<String>,
    /// `PORTAL_NOTIFY_RETRY_SECS`: the first wait before a failed message is tried again; each
    /// failure doubles it, up to an hour.
    pub retry_base: Duration,
    /// `PORTAL_NOTIFY_MAX_ATTEMPTS`: tries before a message is given up.
    pub max_attempts: u32,
    /// `PORTAL_NOTIFY`: `off` runs no notification worker on this server (events still queue
    /// for the servers that do).
    pub worker: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            smtp_from: "Góp Ý <no-reply@gopy.localhost>".into(),
            sms_webhook: None,
            zalo_webhook: None,
            public_url: None,
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            worker: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./data/portal.db?mode=rwc".into(),
            addr: "127.0.0.1:8080".parse().expect("static address"),
            data_dir: PathBuf::from("./data"),
            jwt_secret: None,
            jwt_issuer: "gop-y".into(),
            jwt_audience: "gop-y-portal".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            meili_url: None,
            meili_key: None,
            meili_prefix: "gopy_".into(),
            production: false,
            cors_origins: vec!["*".into()],
            body_limit: 1024 * 1024,
            graphiql: true,
            introspection: true,
            trusted_proxies: Vec::new(),
            request_timeout: Duration::from_secs(30),
            db_pool: default_pool(),
            max_aliases: 50,
            max_fields: 1000,
            log_json: false,
            query_depth: 12,
            query_complexity: 5000,
            login_failures_per_account: 5,
            login_failures_per_address: 30,
            login_window: Duration::from_secs(15 * 60),
            anonymous_submissions_per_hour: 30,
            account_submissions_per_hour: 60,
            registrations_per_hour: 10,
            code_guesses_per_hour: 10,
            retain_contact_days: 365,
            retention_sweep_secs: 3600,
            min_sample: 30,
            clock_start: None,
            answer_days_feedback: 10,
            answer_days_petition: 10,
            holidays_file: None,
            notify: NotifyConfig::default(),
        }
    }
}

/// The optional config file (`PORTAL_CONFIG`, else `./portal.toml` if present). Keys are the
/// environment variables' names in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    portal_addr: Option<String>,
    portal_data_dir: Option<String>,
    jwt_secret: Option<String>,
    portal_token_ttl: Option<String>,
    portal_access_token_ttl: Option<String>,
    portal_refresh_token_ttl: Option<String>,
    meili_url: Option<String>,
    meili_key: Option<String>,
    meili_index_prefix: Option<String>,
    portal_cors_origins: Option<String>,
    portal_body_limit: Option<String>,
    portal_graphiql: Option<String>,
    portal_env: Option<String>,
    portal_introspection: Option<String>,
    portal_trusted_proxies: Option<String>,
    portal_request_timeout: Option<String>,
    portal_db_pool: Option<String>,
    portal_max_aliases: Option<String>,
    portal_max_fields: Option<String>,
    portal_account_submissions_per_hour: Option<String>,
    portal_registrations_per_hour: Option<String>,
    portal_code_guesses_per_hour: Option<String>,
    portal_retain_contact_days: Option<String>,
    portal_retention_sweep_secs: Option<String>,
    portal_log_format: Option<String>,
    portal_min_sample: Option<String>,
    portal_clock: Option<String>,
    portal_answer_days_feedback: Option<String>,
    portal_answer_days_petition: Option<String>,
    portal_anonymous_submissions_per_hour: Option<String>,
    portal_holidays_file: Option<String>,
    portal_smtp_url: Option<String>,
    portal_smtp_from: Option<String>,
    portal_sms_webhook_url: Option<String>,
    portal_sms_webhook_secret: Option<String>,
    portal_zalo_webhook_url: Option<String>,
    portal_zalo_webhook_secret: Option<String>,
    portal_public_url: Option<String>,
    portal_notify_retry_secs: Option<String>,
    portal_notify_max_attempts: Option<String>,
    portal_notify: Option<String>,
}

/// The notification settings; a bad one names its variable.
fn notify_config(fc: &FileConfig) -> anyhow::Result<NotifyConfig> {
    let mut n = NotifyConfig::default();
    if let Some(u) = lookup(&fc.portal_smtp_url, "PORTAL_SMTP_URL") {
        let u = u.trim().to_string();
        if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
            bail!(
                "PORTAL_SMTP_URL: expected smtp://user:pass@host:587 or smtps://…, got a URL of another scheme"
            );
        }
        crate::notify::email::SmtpTarget::parse(&u)
            .map_err(|e| anyhow::anyhow!("PORTAL_SMTP_URL: {e}"))?;
        n.smtp_url = Some(u);
    }
    if let Some(f) = lookup(&fc.portal_smtp_from, "PORTAL_SMTP_FROM") {
        if f.trim().parse::<lettre::message::Mailbox>().is_err() {
            bail!(
                "PORTAL_SMTP_FROM: expected an address such as \"Góp Ý <no-reply@example.gov.vn>\", got {f:?}"
            );
        }
        n.smtp_from = f.trim().to_string();
    }
    let hook = |url: &Option<String>,
                url_var: &str,
                secret: &Option<String>,
                secret_var: &str|
     -> anyhow::Result<Option<(String, String)>> {
        let Some(u) = lookup(url, url_var) else {
            return Ok(None);
        };
        let u = u.trim().to_string();
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            bail!("{url_var}: expected an http:// or https:// URL, got {u:?}");
        }
        let Some(s) = lookup(secret, secret_var) else {
            bail!(
                "{secret_var}: required when {url_var} is set (the gateway checks each message's HMAC signature with it)"
            );
        };
        if s.trim().len() < 16 {
            bail!("{secret_var}: use at least 16 characters");
        }
        Ok(Some((u, s.trim().to_string())))
    };
    n.sms_webhook = hook(
        &fc.portal_sms_webhook_url,
        "PORTAL_SMS_WEBHOOK_URL",
        &fc.portal_sms_webhook_secret,
        "PORTAL_SMS_WEBHOOK_SECRET",
    )?;
    n.zalo_webhook = hook(
        &fc.portal_zalo_webhook_url,
        "PORTAL_ZALO_WEBHOOK_URL",
        &fc.portal_zalo_webhook_secret,
        "PORTAL_ZALO_WEBHOOK_SECRET",
    )?;
    if let Some(u) = lookup(&fc.portal_public_url, "PORTAL_PUBLIC_URL") {
        let u = u.trim().trim_end_matches('/').to_string();
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            bail!("PORTAL_PUBLIC_URL: expected an http:// or https:// URL, got {u:?}");
        }
        n.public_url = Some(u);
    }
    if let Some(v) = lookup(&fc.portal_notify_retry_secs, "PORTAL_NOTIFY_RETRY_SECS") {
        n.retry_base =
            Duration::from_secs(u64::from(number("PORTAL_NOTIFY_RETRY_SECS", v, 1, 3600)?));
    }
    if let Some(v) = lookup(&fc.portal_notify_max_attempts, "PORTAL_NOTIFY_MAX_ATTEMPTS") {
        n.max_attempts = number("PORTAL_NOTIFY_MAX_ATTEMPTS", v, 1, 100)?;
    }
    if let Some(v) = lookup(&fc.portal_notify, "PORTAL_NOTIFY") {
        n.worker = parse_bool("PORTAL_NOTIFY", &v)?;
    }
    Ok(n)
}

/// Where a setting came from, for error messages.
fn lookup(file: &Option<String>, var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => file.clone(),
    }
}

/// A whole number of a setting, within its bounds.
fn number(var: &str, v: String, min: u32, max: u32) -> anyhow::Result<u32> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .with_context(|| format!("{var}: expected a whole number from {min} to {max}, got {v:?}"))
}

fn parse_bool(var: &str, v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{var}: expected true or false, got {v:?}"),
    }
}

impl Config {
    /// Reads the config file and the environment over the defaults.
    pub fn load() -> anyhow::Result<Config> {
        let file = match std::env::var("PORTAL_CONFIG") {
            Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => Some(PathBuf::from("portal.toml")).filter(|p| p.exists()),
        };
        let fc: FileConfig = match &file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("PORTAL_CONFIG: cannot read {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("PORTAL_CONFIG: {} is not valid", p.display()))?
            }
            None => FileConfig::default(),
        };
        let mut c = Config::default();
        if let Some(v) = lookup(&fc.portal_data_dir, "PORTAL_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
            c.database_url = default_sqlite_url(&c.data_dir);
        }
        if let Some(v) = lookup(&fc.database_url, "DATABASE_URL") {
            c.database_url = normalise_database_url(&v).context("DATABASE_URL")?;
        }
        if let Some(v) = lookup(&fc.portal_addr, "PORTAL_ADDR") {
            c.set_addr(&v).context("PORTAL_ADDR")?;
        }
        if let Some(v) = lookup(&fc.jwt_secret, "JWT_SECRET") {
            c.jwt_secret = Some(v);
        }
        c.set_token_ttls(
            lookup(&fc.portal_token_ttl, "PORTAL_TOKEN_TTL"),
            lookup(&fc.portal_access_token_ttl, "PORTAL_ACCESS_TOKEN_TTL"),
            lookup(&fc.portal_refresh_token_ttl, "PORTAL_REFRESH_TOKEN_TTL"),
        )?;
        c.meili_url = lookup(&fc.meili_url, "MEILI_URL");
        c.meili_key = lookup(&fc.meili_key, "MEILI_KEY");
        if let Some(p) = lookup(&fc.meili_index_prefix, "MEILI_INDEX_PREFIX") {
            if !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                bail!("MEILI_INDEX_PREFIX: use letters, digits, '_' or '-' (got {p:?})");
            }
            c.meili_prefix = p;
        }
        if let Some(u) = &c.meili_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!("MEILI_URL: expected an http:// or https:// URL, got {u:?}");
        }
        let database_url_set = lookup(&fc.database_url, "DATABASE_URL").is_some();
        c.production = match lookup(&fc.portal_env, "PORTAL_ENV") {
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "production" | "prod" => true,
                "development" | "dev" => false,
                _ => bail!("PORTAL_ENV: expected production or development, got {v:?}"),
            },
            // A database of its own means a real deployment, not a try-out on a laptop.
            None => database_url_set && c.database_url != Config::default().database_url,
        };
        if c.production {
            c.graphiql = false;
            c.introspection = false;
            c.cors_origins = Vec::new();
        }
        if let Some(v) = lookup(&fc.portal_cors_origins, "PORTAL_CORS_ORIGINS") {
            c.cors_origins = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for o in &c.cors_origins {
                if o == "*" && c.production {
                    bail!(
                        "PORTAL_CORS_ORIGINS: \"*\" lets any web site call the portal with its visitors' tokens; \
                         in production list the portals' origins, like https://gopy.tphcm.gov.vn"
                    );
                }
                if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
                    bail!(
                        "PORTAL_CORS_ORIGINS: {o:?} is not an origin like https://portal.example.vn"
                    );
                }
            }
        }
        if let Some(v) = lookup(&fc.portal_body_limit, "PORTAL_BODY_LIMIT") {
            c.body_limit = v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n >= 1024)
                .with_context(|| {
                    format!("PORTAL_BODY_LIMIT: expected a number of bytes ≥ 1024, got {v:?}")
                })?;
        }
        let graphiql_set = lookup(&fc.portal_graphiql, "PORTAL_GRAPHIQL");
        if let Some(v) = &graphiql_set {
            c.graphiql = parse_bool("PORTAL_GRAPHIQL", v)?;
        }
        if let Some(v) = lookup(&fc.portal_introspection, "PORTAL_INTROSPECTION") {
            c.introspection = parse_bool("PORTAL_INTROSPECTION", &v)?;
        }
        // GraphiQL reads the schema by introspection: without it, GraphiQL goes too, unless it
        // was asked for by name.
        if c.graphiql && !c.introspection {
            if graphiql_set.is_some() {
                bail!(
                    "PORTAL_GRAPHIQL: GraphiQL needs introspection; set PORTAL_INTROSPECTION=true too, or PORTAL_GRAPHIQL=false"
                );
            }
            c.graphiql = false;
        }
        if let Some(v) = lookup(&fc.portal_trusted_proxies, "PORTAL_TRUSTED_PROXIES") {
            c.trusted_proxies = crate::client_addr::parse_list(&v)
                .map_err(|e| anyhow::anyhow!("PORTAL_TRUSTED_PROXIES: {e}"))?;
        }
        if let Some(v) = lookup(&fc.portal_request_timeout, "PORTAL_REQUEST_TIMEOUT") {
            c.request_timeout = humantime::parse_duration(v.trim())
                .ok()
                .filter(|d| *d >= Duration::from_millis(100))
                .with_context(|| {
                    format!("PORTAL_REQUEST_TIMEOUT: expected a duration like 30s (at least 100ms), got {v:?}")
                })?;
        }
        if let Some(v) = lookup(&fc.portal_log_format, "PORTAL_LOG_FORMAT") {
            c.log_json = match v.trim() {
                "json" => true,
                "text" | "pretty" => false,
                _ => bail!("PORTAL_LOG_FORMAT: expected text or json, got {v:?}"),
            };
        }
        if let Some(v) = lookup(&fc.portal_clock, "PORTAL_CLOCK") {
            let t = chrono::DateTime::parse_from_rfc3339(v.trim()).map_err(|_| {
                anyhow::anyhow!(
                    "PORTAL_CLOCK: expected an instant like 2026-12-04T09:00:00+07:00, got {v:?}"
                )
            })?;
            let declared_production = lookup(&fc.portal_env, "PORTAL_ENV").is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "production" | "prod"
                )
            });
            if declared_production {
                bail!("PORTAL_CLOCK: a production server runs on the real clock; unset it");
            }
            c.clock_start = Some(t.with_timezone(&chrono::Utc));
        }
        if let Some(v) = lookup(&fc.portal_min_sample, "PORTAL_MIN_SAMPLE") {
            c.min_sample = number("PORTAL_MIN_SAMPLE", v, 1, 100_000)?;
        }
        if let Some(v) = lookup(
            &fc.portal_answer_days_feedback,
            "PORTAL_ANSWER_DAYS_FEEDBACK",
        ) {
            c.answer_days_feedback = number("PORTAL_ANSWER_DAYS_FEEDBACK", v, 1, 90)?;
        }
        if let Some(v) = lookup(
            &fc.portal_answer_days_petition,
            "PORTAL_ANSWER_DAYS_PETITION",
        ) {
            c.answer_days_petition = number("PORTAL_ANSWER_DAYS_PETITION", v, 1, 90)?;
        }
        if let Some(v) = lookup(
            &fc.portal_anonymous_submissions_per_hour,
            "PORTAL_ANONYMOUS_SUBMISSIONS_PER_HOUR",
        ) {
            c.anonymous_submissions_per_hour =
                number("PORTAL_ANONYMOUS_SUBMISSIONS_PER_HOUR", v, 1, 1_000_000)?;
        }
        if let Some(v) = lookup(&fc.portal_db_pool, "PORTAL_DB_POOL") {
            c.db_pool = number("PORTAL_DB_POOL", v, 1, 1_000)?;
        }
        if let Some(v) = lookup(&fc.portal_max_aliases, "PORTAL_MAX_ALIASES") {
            c.max_aliases = number("PORTAL_MAX_ALIASES", v, 1, 10_000)? as usize;
        }
        if let Some(v) = lookup(&fc.portal_max_fields, "PORTAL_MAX_FIELDS") {
            c.max_fields = number("PORTAL_MAX_FIELDS", v, 10, 100_000)? as usize;
        }
        if let Some(v) = lookup(
            &fc.portal_account_submissions_per_hour,
            "PORTAL_ACCOUNT_SUBMISSIONS_PER_HOUR",
        ) {
            c.account_submissions_per_hour =
                number("PORTAL_ACCOUNT_SUBMISSIONS_PER_HOUR", v, 1, 1_000_000)?;
        }
        if let Some(v) = lookup(
            &fc.portal_registrations_per_hour,
            "PORTAL_REGISTRATIONS_PER_HOUR",
        ) {
            c.registrations_per_hour = number("PORTAL_REGISTRATIONS_PER_HOUR", v, 1, 1_000_000)?;
        }
        if let Some(v) = lookup(
            &fc.portal_code_guesses_per_hour,
            "PORTAL_CODE_GUESSES_PER_HOUR",
        ) {
            c.code_guesses_per_hour = number("PORTAL_CODE_GUESSES_PER_HOUR", v, 1, 1_000_000)?;
        }
        if let Some(v) = lookup(&fc.portal_retain_contact_days, "PORTAL_RETAIN_CONTACT_DAYS") {
            c.retain_contact_days = number("PORTAL_RETAIN_CONTACT_DAYS", v, 0, 36_500)?;
        }
        if let Some(v) = lookup(
            &fc.portal_retention_sweep_secs,
            "PORTAL_RETENTION_SWEEP_SECS",
        ) {
            c.retention_sweep_secs =
                u64::from(number("PORTAL_RETENTION_SWEEP_SECS", v, 0, 604_800)?);
        }
        if let Some(v) = lookup(&fc.portal_holidays_file, "PORTAL_HOLIDAYS_FILE") {
            let p = PathBuf::from(v);
            if !p.is_file() {
                bail!(
                    "PORTAL_HOLIDAYS_FILE: {} is not a readable file",
                    p.display()
                );
            }
            c.holidays_file = Some(p);
        }
        c.notify = notify_config(&fc)?;
        Ok(c)
    }

    /// The holidays of the configured file (or the built-in list).
    pub fn holidays(&self) -> anyhow::Result<crate::calendar::CalendarFile> {
        match &self.holidays_file {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| {
                    format!("PORTAL_HOLIDAYS_FILE: cannot read {}", p.display())
                })?;
                crate::calendar::parse_holidays(&text)
            }
            None => crate::calendar::parse_holidays(crate::calendar::BUILT_IN),
        }
    }

    /// The lifetimes of access and refresh tokens. `PORTAL_TOKEN_TTL` (one long-lived token)
    /// is gone: a server still given it stops rather than hand out tokens of another lifetime
    /// than the operator meant.
    fn set_token_ttls(
        &mut self,
        old: Option<String>,
        access: Option<String>,
        refresh: Option<String>,
    ) -> anyhow::Result<()> {
        if let Some(v) = old {
            bail!(
                "PORTAL_TOKEN_TTL: replaced by PORTAL_ACCESS_TOKEN_TTL (default 15m) and \
                 PORTAL_REFRESH_TOKEN_TTL (default 30d); unset it (it is {v:?})"
            );
        }
        let duration = |var: &str, v: &str, min: Duration, max: Duration| {
            humantime::parse_duration(v.trim())
                .ok()
                .filter(|d| (min..=max).contains(d))
                .with_context(|| {
                    format!(
                        "{var}: expected a duration like {} from {} to {}, got {v:?}",
                        if var.contains("REFRESH") {
                            "30d"
                        } else {
                            "15m"
                        },
                        humantime::format_duration(min),
                        humantime::format_duration(max)
                    )
                })
        };
        if let Some(v) = access {
            self.access_token_ttl = duration(
                "PORTAL_ACCESS_TOKEN_TTL",
                &v,
                Duration::from_secs(60),
                Duration::from_secs(24 * 3600),
            )?;
        }
        if let Some(v) = refresh {
            self.refresh_token_ttl = duration(
                "PORTAL_REFRESH_TOKEN_TTL",
                &v,
                Duration::from_secs(3600),
                Duration::from_secs(366 * 24 * 3600),
            )?;
        }
        if self.refresh_token_ttl <= self.access_token_ttl {
            bail!(
                "PORTAL_REFRESH_TOKEN_TTL: must be longer than PORTAL_ACCESS_TOKEN_TTL ({} ≤ {})",
                humantime::format_duration(self.refresh_token_ttl),
                humantime::format_duration(self.access_token_ttl)
            );
        }
        Ok(())
    }

    pub fn set_addr(&mut self, v: &str) -> anyhow::Result<()> {
        self.addr = v
            .trim()
            .parse()
            .with_context(|| format!("expected an address like 127.0.0.1:8080, got {v:?}"))?;
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Resolves the JWT secret: `JWT_SECRET` if set; in demo mode, a random secret made once and
    /// kept under the data directory with owner-only permissions. Outside demo mode the server
    /// insists on `JWT_SECRET`, while helper commands (`portal token`) may use the demo file.
    pub fn resolve_jwt_secret(&mut self, demo: bool, allow_demo_file: bool) -> anyhow::Result<()> {
        if let Some(s) = &self.jwt_secret {
            if s.len() < 32 {
                bail!(
                    "JWT_SECRET: must be at least 32 characters long (got {})",
                    s.len()
                );
            }
            return Ok(());
        }
        if !demo {
            if allow_demo_file && let Some(s) = read_demo_secret(&self.data_dir)? {
                self.jwt_secret = Some(s);
                return Ok(());
            }
            bail!(
                "JWT_SECRET: not set. Set JWT_SECRET to a random string of at least 32 characters, or run with --demo."
            );
        }
        let s = match read_demo_secret(&self.data_dir)? {
            Some(s) => s,
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("PORTAL_DATA_DIR: cannot create {}", self.data_dir.display())
                })?;
                let s = random_secret();
                write_owner_only(&self.data_dir.join(DEMO_SECRET_FILE), &s)?;
                s
            }
        };
        tracing::warn!(
            "demo mode: JWT secret kept in {}; set JWT_SECRET for production",
            self.data_dir.join(DEMO_SECRET_FILE).display()
        );
        self.jwt_secret = Some(s);
        Ok(())
    }
}

fn default_sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("portal.db").display())
}

/// Accepts `postgres://…`, `sqlite://…`, `sqlite::memory:` or a plain file path (SQLite).
pub fn normalise_database_url(v: &str) -> anyhow::Result<String> {
    let v = v.trim();
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        return Ok(v.to_string());
    }
    if let Some(rest) = v.strip_prefix("sqlite:") {
        if rest.contains("mode=") || rest == ":memory:" {
            return Ok(v.to_string());
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{v}{sep}mode=rwc"));
    }
    if v.contains("://") {
        bail!("expected a postgres:// or sqlite:// URL or a file path, got {v:?}");
    }
    Ok(format!("sqlite://{v}?mode=rwc"))
}

fn read_demo_secret(dir: &Path) -> anyhow::Result<Option<String>> {
    let p = dir.join(DEMO_SECRET_FILE);
    match std::fs::read_to_string(&p) {
        Ok(s) if s.trim().len() >= 32 => Ok(Some(s.trim().to_string())),
        Ok(_) => bail!(
            "{}: the demo secret is too short; delete the file",
            p.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn random_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 48] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn write_owner_only(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

/// Four PostgreSQL connections per core (at least 8, at most 64): enough to keep the database
/// busy while others wait on the network, few enough that its backends do not fight over
/// the cores (each one is a process).
pub fn default_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (cores * 4).clamp(8, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            normalise_database_url("./data/portal.db").unwrap(),
            "sqlite://./data/portal.db?mode=rwc"
        );
        assert_eq!(
            normalise_database_url("postgres://u@h/db").unwrap(),
            "postgres://u@h/db"
        );
        assert!(normalise_database_url("mysql://x").is_err());
    }

    #[test]
    fn token_lifetimes() {
        let mut c = Config::default();
        c.set_token_ttls(None, Some("10m".into()), Some("7d".into()))
            .unwrap();
        assert_eq!(c.access_token_ttl, Duration::from_secs(600));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(7 * 24 * 3600));
        let err = |old: Option<&str>, a: Option<&str>, r: Option<&str>| {
            Config::default()
                .set_token_ttls(old.map(Into::into), a.map(Into::into), r.map(Into::into))
                .unwrap_err()
                .to_string()
        };
        assert!(err(None, Some("soon"), None).starts_with("PORTAL_ACCESS_TOKEN_TTL:"));
        assert!(err(None, Some("2s"), None).starts_with("PORTAL_ACCESS_TOKEN_TTL:"));
        assert!(err(None, None, Some("-1")).starts_with("PORTAL_REFRESH_TOKEN_TTL:"));
        assert!(err(None, Some("2h"), Some("1h")).starts_with("PORTAL_REFRESH_TOKEN_TTL:"));
        assert!(err(Some("12h"), None, None).starts_with("PORTAL_TOKEN_TTL:"));
    }
}
