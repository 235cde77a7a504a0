//! `portal bench-api`: the API load benchmark. It prepares a database (SQLite in a data folder,
//! or PostgreSQL when `DATABASE_URL` is set: migrated, the demo data when it has no units,
//! complaints topped up with the bulk synthetic seeder), starts the real server as a child
//! process (or targets a running one with `--url`), and fires closed-loop load over keep-alive
//! HTTP at a few typical requests, one scenario at a time:
//!
//! - `complaint_by_id` and `unit_complaints`: the two reads of `shared/bench/vs_postgraphile.sh`,
//!   exactly (one complaint with its unit's name; the 20 newest complaints assigned to the unit
//!   with the most complaints, with unit and procedure names), as an admin;
//! - `procedures_of_unit`: that unit's procedures with their satisfaction per component
//!   (`searchProcedures`), as an official of the unit;
//! - `dossier_stats`: an evaluator's dashboard of the current month (`dossierStatsByUnit`);
//! - `submit_rating`: a verified rating of a new completed dossier per request;
//! - `file_complaint`: a new complaint per request, from a filer who consents to be told of it
//!   (so each filing is e-mailed and texted, through the configured channels or the outbox
//!   folder, and the unit's officials are told);
//! - `mixed`: 80% the four reads, 20% the two writes.
//!
//! For each it prints throughput, latency percentiles, errors (a status other than 200 or a
//! GraphQL `errors` member), CPU time per request of the server and of the database (PostgreSQL's
//! processes on this machine; SQLite runs inside the server), of the load generator itself, and
//! the server's peak resident memory. `--sigterm-after` stops the server during `mixed` and
//! checks that every write it acknowledged is in the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate, Utc};
use entity::{complaint, dossier, procedure, procedure_unit, rating, unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde_json::{Value, json};

use crate::Config;
use crate::auth::{Keys, Role, TokenFor};
use crate::bench::percentile;
use crate::search::outbox;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchApiArgs {
    /// Complaints the database should hold: topped up with synthetic ones when it has fewer.
    #[arg(long, default_value_t = 200_000)]
    pub complaints: u64,
    /// Concurrent clients, each sending its next request when the last one is answered.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Measured seconds of each scenario.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of load before each measurement, not counted.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Scenarios to run, separated by commas (default: all, in this order).
    #[arg(long, value_delimiter = ',', value_enum)]
    pub scenarios: Vec<Scenario>,
    /// Keep the data (SQLite database, search index, server log) in this folder instead of a
    /// temporary one; a later run reuses it.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Load an already running server (e.g. http://127.0.0.1:8080) instead of starting one.
    /// The data is still prepared through DATABASE_URL or the SQLite file of --data-dir, which
    /// must be the server's.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// With --url: the server's process id, for its CPU time and memory.
    #[arg(long, value_name = "PID", requires = "url")]
    pub server_pid: Option<u32>,
    /// With --url: the server's JWT secret, to sign the tokens (default: JWT_SECRET).
    #[arg(long, value_name = "SECRET", requires = "url")]
    pub jwt_secret: Option<String>,
    /// Send SIGTERM to the server this many seconds into the measured part of `mixed`, keep
    /// loading until its connections fail, then check that every write it acknowledged is in
    /// the database (exit status 1 otherwise).
    #[arg(long, value_name = "SECS")]
    pub sigterm_after: Option<f64>,
    /// Who submits ratings and files complaints: anonymous callers (limited per address; the
    /// started server's limits are raised) or a citizen's script token (never limited; use it
    /// with --url unless the server's limits are high).
    #[arg(long, value_enum, default_value = "anonymous")]
    pub writes_as: WritesAs,
    /// Completed dossiers prepared for each scenario that submits ratings (default: 3,000 per
    /// second of load, warm-up included). A run that uses them all stops early and says so.
    #[arg(long, value_name = "N")]
    pub rating_pool: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Scenario {
    ComplaintById,
    UnitComplaints,
    ProceduresOfUnit,
    DossierStats,
    SubmitRating,
    FileComplaint,
    Mixed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum WritesAs {
    Anonymous,
    Citizen,
}

impl Scenario {
    const ALL: [Scenario; 7] = [
        Scenario::ComplaintById,
        Scenario::UnitComplaints,
        Scenario::ProceduresOfUnit,
        Scenario::DossierStats,
        Scenario::SubmitRating,
        Scenario::FileComplaint,
        Scenario::Mixed,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::ComplaintById => "complaint_by_id",
            Scenario::UnitComplaints => "unit_complaints",
            Scenario::ProceduresOfUnit => "procedures_of_unit",
            Scenario::DossierStats => "dossier_stats",
            Scenario::SubmitRating => "submit_rating",
            Scenario::FileComplaint => "file_complaint",
            Scenario::Mixed => "mixed",
        }
    }

    /// The requests of the scenario with their weights.
    fn mix(self) -> Vec<(Op, u32)> {
        match self {
            Scenario::ComplaintById => vec![(Op::ComplaintById, 1)],
            Scenario::UnitComplaints => vec![(Op::UnitComplaints, 1)],
            Scenario::ProceduresOfUnit => vec![(Op::ProceduresOfUnit, 1)],
            Scenario::DossierStats => vec![(Op::DossierStats, 1)],
            Scenario::SubmitRating => vec![(Op::SubmitRating, 1)],
            Scenario::FileComplaint => vec![(Op::FileComplaint, 1)],
            // 80% reads, evenly; 20% writes, evenly.
            Scenario::Mixed => vec![
                (Op::ComplaintById, 20),
                (Op::UnitComplaints, 20),
                (Op::ProceduresOfUnit, 20),
                (Op::DossierStats, 20),
                (Op::SubmitRating, 10),
                (Op::FileComplaint, 10),
            ],
        }
    }

    fn rates(self) -> bool {
        self.mix().iter().any(|(op, _)| *op == Op::SubmitRating)
    }
}

/// One kind of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    ComplaintById,
    UnitComplaints,
    ProceduresOfUnit,
    DossierStats,
    SubmitRating,
    FileComplaint,
}

impl Op {
    /// Named as the scenario of this request alone.
    fn name(self) -> &'static str {
        match self {
            Op::ComplaintById => Scenario::ComplaintById,
            Op::UnitComplaints => Scenario::UnitComplaints,
            Op::ProceduresOfUnit => Scenario::ProceduresOfUnit,
            Op::DossierStats => Scenario::DossierStats,
            Op::SubmitRating => Scenario::SubmitRating,
            Op::FileComplaint => Scenario::FileComplaint,
        }
        .name()
    }
}

// The two reads of shared/bench/vs_postgraphile.sh, character for character.
const Q_COMPLAINT_BY_ID: &str =
    "query($id: ID!) { complaint(id: $id) { title status receivedAt unit { name } } }";
const Q_UNIT_COMPLAINTS: &str = "query($u: ID) { complaints(filter: {unit: $u}, first: 20) { edges { node { title status receivedAt unit { name } procedure { name } } } } }";
const Q_PROCEDURES_OF_UNIT: &str = "query($u: ID) { searchProcedures(filter: {unit: $u}, first: 20) { totalCount edges { node { procedure { code name } onTimeShare satisfaction { component answers satisfiedShare mean sufficient } } } } }";
const Q_DOSSIER_STATS: &str = "query($f: DossierFilterInput) { dossierStatsByUnit(filter: $f) { unit { code name } stats { total completed completedOnTime late backlog onTimeShare apologiesIssued apologiesLate apologiesMissing } } }";
const M_SUBMIT_RATING: &str =
    "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { id verified } }";
const M_FILE_COMPLAINT: &str =
    "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code status } }";

/// Prefix of the codes of the dossiers made to be rated (an unrated one is reused next run).
const POOL_PREFIX: &str = "BENCHAPI-";
/// Dossiers prepared per second of a rating scenario, unless `--rating-pool` says otherwise.
const POOL_PER_SECOND: usize = 3000;
/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on every Linux target).
const TICKS_PER_SECOND: f64 = 100.0;

/// What the scenarios are about, looked up once in the database.
struct Fixture {
    complaints: u64,
    complaint_id: String,
    unit_id: String,
    unit_name: String,
    unit_complaints: i64,
    procedure_id: String,
    /// The unit and procedure new complaints are filed with.
    filing_to: (String, String),
    evaluator_unit: Option<String>,
    month_from: chrono::DateTime<Utc>,
    month_to: chrono::DateTime<Utc>,
    month_dossiers: u64,
}

/// The first procedure (by code) a unit performs and that is not retired.
async fn first_procedure_of(
    db: &DatabaseConnection,
    unit_id: &str,
) -> anyhow::Result<Option<String>> {
    let performed: Vec<String> = procedure_unit::Entity::find()
        .filter(procedure_unit::Column::UnitId.eq(unit_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.procedure_id)
        .collect();
    Ok(procedure::Entity::find()
        .filter(procedure::Column::Id.is_in(performed))
        .filter(procedure::Column::Retired.eq(false))
        .order_by_asc(procedure::Column::Code)
        .one(db)
        .await?
        .map(|p| p.id))
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchApiArgs) -> anyhow::Result<()> {
    let scenarios: Vec<Scenario> = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        // The given ones, in the usual order (so `mixed`, which --sigterm-after ends with, is last).
        Scenario::ALL
            .into_iter()
            .filter(|s| args.scenarios.contains(s))
            .collect()
    };
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.seconds > 0, "--seconds must be at least 1");
    if let Some(s) = args.sigterm_after {
        anyhow::ensure!(
            scenarios.contains(&Scenario::Mixed),
            "--sigterm-after stops the server during `mixed`: include it in --scenarios"
        );
        anyhow::ensure!(s >= 0.0, "--sigterm-after must not be negative");
        anyhow::ensure!(
            args.url.is_none() || args.server_pid.is_some(),
            "--sigterm-after with --url needs --server-pid"
        );
    }
    let database_from_env = std::env::var("DATABASE_URL").is_ok_and(|v| !v.trim().is_empty());
    if args.url.is_some() && !database_from_env && args.data_dir.is_none() {
        bail!(
            "--url: give the server's database too (DATABASE_URL, or --data-dir with its portal.db)"
        );
    }

    let config = Config::load()?;
    let temp = tempfile::tempdir()?;
    let dir = match &args.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .with_context(|| format!("--data-dir: cannot create {}", d.display()))?;
            std::path::absolute(d)?
        }
        None => temp.path().to_path_buf(),
    };
    let database_url = if database_from_env {
        config.database_url.clone()
    } else {
        format!("sqlite://{}?mode=rwc", dir.join("portal.db").display())
    };
    let postgres = database_url.starts_with("postgres");

    // 1. The data.
    let phase = Instant::now();
    let db = crate::db::connect(&database_url).await?;
    crate::db::migrate(&db).await?;
    let calendar = crate::calendar::SharedCalendar::new(config.holidays()?);
    calendar.reload(&db).await?;
    let cal = calendar.get();
    if unit::Entity::find().count(&db).await? == 0 {
        let r = crate::seed::demo(&db, &cal, true).await?;
        println!("demo data: {r}");
    }
    let have = complaint::Entity::find().count(&db).await?;
    if have < args.complaints {
        let year = crate::clock::today().year();
        println!(
            "{have} complaints in the database; adding {} synthetic ones …",
            args.complaints - have
        );
        let r =
            crate::seed::bulk::seed(&db, &cal, year, 0, 0, args.complaints - have, true).await?;
        println!("synthetic data for {year}: {r}");
    }
    let fixture = fixture(&db).await?;
    let pool_need = args
        .rating_pool
        .unwrap_or(POOL_PER_SECOND * (args.seconds + args.warmup) as usize)
        * scenarios.iter().filter(|s| s.rates()).count();
    let pool = rating_pool(&db, &cal, &fixture, pool_need).await?;
    let mut db_kind = "SQLite".to_string();
    if postgres {
        // Fresh planner statistics, as vs_postgraphile.sh takes them after its bulk insert:
        // autovacuum may be off (or not have come round yet), and without them PostgreSQL
        // plans the unit's complaints as if it had a few hundred.
        let t = Instant::now();
        db.execute_unprepared("ANALYZE").await?;
        let setting = |name: &'static str| {
            let db = &db;
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        format!("SHOW {name}"),
                    ))
                    .await
                    .ok()
                    .flatten();
                row.and_then(|r| r.try_get::<String>("", name).ok())
                    .unwrap_or_else(|| "?".into())
            }
        };
        db_kind = format!(
            "PostgreSQL {}, autovacuum {}",
            setting("server_version").await,
            setting("autovacuum").await
        );
        println!(
            "analyzed the database (planner statistics) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    println!(
        "phase: data ready in {:.1} s ({} complaints, {} dossiers to rate)",
        phase.elapsed().as_secs_f64(),
        fixture.complaints,
        pool.len()
    );

    // 2. The server.
    let phase = Instant::now();
    let secret = match &args.url {
        None => format!(
            "bench-api-{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        Some(_) => args
            .jwt_secret
            .clone()
            .or_else(|| config.jwt_secret.clone())
            .context("--url: give the server's JWT secret with --jwt-secret or JWT_SECRET")?,
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut server = match &args.url {
        None => Server::spawn(&dir, &database_url, &secret)?,
        Some(u) => Server::external(u, args.server_pid),
    };
    server.wait_ready(&client).await?;
    println!(
        "phase: server ready in {:.1} s ({})",
        phase.elapsed().as_secs_f64(),
        match &server.child {
            Some(c) => format!("child process {} at {}", c.id(), server.base),
            None => format!("running server at {}", server.base),
        }
    );
    let phase = Instant::now();
    let indexed = wait_indexed(&db, "search indexing before the load").await?;
    println!(
        "phase: search index caught up with {indexed} queued documents in {:.1} s",
        phase.elapsed().as_secs_f64()
    );

    // 3. Tokens, signed here with the server's secret.
    let keys = Keys::new(
        &secret,
        &config.jwt_issuer,
        &config.jwt_audience,
        config.access_token_ttl,
    );
    let token = |role: Role, unit: Option<String>| -> anyhow::Result<HeaderValue> {
        let (t, _) = keys.issue(
            TokenFor::script(role, unit, None),
            Some(Duration::from_secs(24 * 3600)),
        )?;
        Ok(HeaderValue::from_str(&format!("Bearer {t}"))?)
    };
    let month = |t: chrono::DateTime<Utc>| crate::clock::local(t).to_rfc3339();
    let read_body = |query: &str, vars: Value| -> Vec<u8> {
        serde_json::to_vec(&json!({ "query": query, "variables": vars }))
            .expect("JSON of a JSON value")
    };
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let load = Arc::new(Load {
        client: client.clone(),
        url: format!("{}/graphql", server.base),
        admin: token(Role::Admin, None)?,
        official: token(Role::Official, Some(fixture.unit_id.clone()))?,
        evaluator: token(Role::Evaluator, fixture.evaluator_unit.clone())?,
        writer: match args.writes_as {
            WritesAs::Anonymous => None,
            WritesAs::Citizen => Some(token(Role::Citizen, None)?),
        },
        complaint_by_id: read_body(Q_COMPLAINT_BY_ID, json!({ "id": fixture.complaint_id })),
        unit_complaints: read_body(Q_UNIT_COMPLAINTS, json!({ "u": fixture.unit_id })),
        procedures_of_unit: read_body(Q_PROCEDURES_OF_UNIT, json!({ "u": fixture.unit_id })),
        dossier_stats: read_body(
            Q_DOSSIER_STATS,
            json!({ "f": { "from": month(fixture.month_from), "to": month(fixture.month_to) } }),
        ),
        rating: Template::new(
            &json!({ "query": M_SUBMIT_RATING, "variables": { "i": {
                "dossierCode": "@@CODE@@", "ratingCode": "@@RATING@@",
                "scores": [
                    { "component": "ACCESS", "score": 5 },
                    { "component": "PROCEDURE", "score": 4 },
                    { "component": "OFFICIAL", "score": 5 },
                    { "component": "RESULT", "score": 4 },
                    { "component": "FEEDBACK_HANDLING", "score": 3 }
                ],
                "idempotencyKey": "@@KEY@@" } } }),
            &["@@CODE@@", "@@RATING@@", "@@KEY@@"],
        )?,
        complaint: Template::new(
            &json!({ "query": M_FILE_COMPLAINT, "variables": { "i": {
                "kind": "FEEDBACK", "category": "LATE_PROCESSING",
                "unit": fixture.filing_to.0, "procedure": fixture.filing_to.1,
                "title": "Hồ sơ trả kết quả chậm so với giấy hẹn (thử tải)",
                "body": "Phản ánh gửi bởi portal bench-api để đo tải; không phải ý kiến thật của người dân.",
                "contact": { "name": "Người thử tải", "phone": "0900000001", "email": "thu-tai+@@KEY@@@example.com" },
                // The filer consents to be told: each filing is e-mailed (each to its own
                // address) and texted (one phone: past three a day, its texts are refused by the
                // per-contact limit), or written to the outbox folder.
                "privacy": { "noticeVersion": 1, "consents": ["CONTACT_ABOUT_OUTCOME"], "channel": "WEB" },
                "confirmFeedback": true,
                "idempotencyKey": "@@KEY@@" } } }),
            // The key twice: in the filer's address, and as the idempotency key.
            &["@@KEY@@", "@@KEY@@"],
        )?,
        pool,
        next_dossier: AtomicUsize::new(0),
        run_tag,
    });

    // 4. The scenarios.
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("# machine: {cores} CPUs (nproc), {cpu_model}");
    println!(
        "# database: {db_kind} ({}); {} complaints; {} dossiers received this month",
        crate::db::redact(&database_url),
        fixture.complaints,
        fixture.month_dossiers
    );
    println!(
        "# unit with the most complaints: {} ({}, {} assigned); complaint {}",
        fixture.unit_name, fixture.unit_id, fixture.unit_complaints, fixture.complaint_id
    );
    println!(
        "# load: {} closed-loop clients, {} s measured after {} s of warm-up per scenario; writes {}",
        args.concurrency,
        args.seconds,
        args.warmup,
        match args.writes_as {
            WritesAs::Anonymous => "anonymous",
            WritesAs::Citizen => "as a citizen (script token)",
        }
    );
    if !postgres {
        println!("# CPU per request: the server process (SQLite runs inside it)");
    } else if pg_ticks().is_none() {
        println!("# CPU per request: the server only (no PostgreSQL process on this machine)");
    } else {
        println!("# CPU per request: the server process + every `postgres` process");
    }
    println!();
    let mut rows: Vec<Row> = Vec::new();
    let mut sigterm_report: Option<(usize, usize)> = None;
    let mut log = server.log.as_deref().map(LogWatch::new);
    if let Some(w) = &mut log {
        // What the server said while starting and indexing.
        w.report();
    }
    for s in scenarios {
        let phase = Instant::now();
        let sigterm = if s == Scenario::Mixed {
            args.sigterm_after
        } else {
            None
        };
        let row = run_scenario(&load, s, &args, &mut server, sigterm, postgres).await?;
        println!("{}", row.line());
        for (msg, n) in &row.samples {
            println!("    {n}× {msg}");
        }
        if let Some(w) = &mut log {
            w.report();
        }
        if row.term.is_some() {
            // The server is stopping: wait for it, then look for every acknowledged write.
            match server.wait_exit(Duration::from_secs(60)).await {
                Some(status) => println!(
                    "    server exited {} s after SIGTERM ({status})",
                    opt(row.exit_after.map(|d| d.as_secs_f64()), 2)
                ),
                None => println!("    server still running 60 s after SIGTERM"),
            }
            if let Some(w) = &mut log {
                w.report();
            }
            let missing = missing_writes(&db, &row.acks).await?;
            println!(
                "acknowledged writes: {}, missing after shutdown: {}",
                row.acks.len(),
                missing.len()
            );
            for m in missing.iter().take(10) {
                println!("    missing: {m}");
            }
            sigterm_report = Some((row.acks.len(), missing.len()));
        } else if server.alive() {
            // Writes queued documents for the indexer: let it catch up before the next scenario.
            let t = Instant::now();
            let n = wait_indexed(&db, "search indexing after the load").await?;
            if n > 0 {
                println!(
                    "    the indexer caught up with {n} queued documents {:.1} s after the load",
                    t.elapsed().as_secs_f64()
                );
            }
        }
        println!(
            "    ({} took {:.1} s in all)",
            s.name(),
            phase.elapsed().as_secs_f64()
        );
        rows.push(row);
        if !server.alive() {
            break;
        }
    }
    let phase = Instant::now();
    server.stop().await;
    if server.child.is_some() {
        println!(
            "phase: server stopped in {:.1} s",
            phase.elapsed().as_secs_f64()
        );
    }

    println!();
    println!(
        "| scenario | req/s | p50 ms | p99 ms | errors | server+DB CPU µs/req | load generator CPU µs/req | server peak RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!("{}", r.markdown());
    }
    println!();
    for r in rows.iter().filter(|r| !r.note.is_empty()) {
        println!("\\* {}: {}", r.name, r.note.trim());
    }
    println!(
        "{} CPUs ({cpu_model}); {}; {} complaints; concurrency {}, {} s per scenario.",
        cores,
        if postgres { "PostgreSQL" } else { "SQLite" },
        fixture.complaints,
        args.concurrency,
        args.seconds
    );
    if let Some((acked, missing)) = sigterm_report
        && missing > 0
    {
        bail!("{missing} of {acked} acknowledged writes are missing after the server stopped");
    }
    Ok(())
}

/// Looks up what the scenarios are about.
async fn fixture(db: &DatabaseConnection) -> anyhow::Result<Fixture> {
    let complaints = complaint::Entity::find().count(db).await?;
    anyhow::ensure!(complaints > 0, "the database holds no complaint");
    // As vs_postgraphile.sh picks it: the 1001st newest.
    let complaint_id = complaint::Entity::find()
        .order_by_desc(complaint::Column::ReceivedAt)
        .offset(1000.min(complaints - 1))
        .limit(1)
        .one(db)
        .await?
        .context("no complaint")?
        .id;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT assigned_unit_id AS u, COUNT(*) AS n FROM complaints \
             GROUP BY assigned_unit_id ORDER BY n DESC, u LIMIT 1",
        ))
        .await?
        .context("no complaint")?;
    let unit_id: String = row.try_get("", "u")?;
    let unit_complaints: i64 = row.try_get("", "n")?;
    let unit_name = unit::Entity::find_by_id(unit_id.clone())
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let procedure_id = first_procedure_of(db, &unit_id)
        .await?
        .with_context(|| format!("{unit_name} ({unit_id}) performs no procedure to rate"))?;
    // Filings go to the first unit with officials (the demo's ward), so that each one tells a
    // unit's officials as well as its filer; else to the unit above.
    let mut filing_to = (unit_id.clone(), procedure_id.clone());
    for a in entity::account::Entity::find()
        .filter(entity::account::Column::Role.eq(Role::Official))
        .order_by_asc(entity::account::Column::Username)
        .all(db)
        .await?
    {
        if let Some(u) = a.unit_id
            && let Some(p) = first_procedure_of(db, &u).await?
        {
            filing_to = (u, p);
            break;
        }
    }
    // The demo evaluator's unit (the Department of Home Affairs), when there is one.
    let evaluator_unit = unit::Entity::find()
        .filter(unit::Column::Code.eq("SNV"))
        .one(db)
        .await?
        .map(|u| u.id);
    let today = crate::clock::today();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).context("month")?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .context("month")?;
    let month_from = crate::clock::day_start("month", first)?;
    let month_to = crate::clock::day_start("month", next)?;
    let month_dossiers = dossier::Entity::find()
        .filter(dossier::Column::ReceivedAt.gte(month_from))
        .filter(dossier::Column::ReceivedAt.lt(month_to))
        .count(db)
        .await?;
    Ok(Fixture {
        complaints,
        complaint_id,
        unit_id,
        unit_name,
        unit_complaints,
        procedure_id,
        filing_to,
        evaluator_unit,
        month_from,
        month_to,
        month_dossiers,
    })
}

/// Unrated completed dossiers of the unit, with their rating codes: `need` of them, made when
/// there are fewer. The first goes through the validation and the insert that recording or
/// importing a dossier uses (its due time on the calendar, the on-time share queued for the
/// index); the rest are copies of it with their own ids, codes and rating codes, inserted in
/// bulk (all with one rating code, which the portal keeps as each dossier's own hash). They are received in the previous month, so the evaluator's month stays as it was.
/// The rating code of the benchmark's pool of dossiers to rate.
const BENCH_RATING_CODE: &str = "BENCHRATE";

async fn rating_pool(
    db: &DatabaseConnection,
    cal: &crate::calendar::Calendar,
    f: &Fixture,
    need: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    if need == 0 {
        return Ok(Vec::new());
    }
    let unrated = |n: usize| {
        Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT d.code AS code FROM dossiers d \
                 WHERE d.code LIKE '{POOL_PREFIX}%' AND d.completed_at IS NOT NULL \
                 AND d.rating_code_hash IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.dossier_id = d.id) \
                 ORDER BY d.code LIMIT {n}"
            ),
        )
    };
    let read = |rows: Vec<sea_orm::QueryResult>| -> anyhow::Result<Vec<(String, String)>> {
        rows.iter()
            .map(|r| Ok((r.try_get("", "code")?, BENCH_RATING_CODE.to_string())))
            .collect()
    };
    let mut pool = read(db.query_all_raw(unrated(need)).await?)?;
    if pool.len() >= need {
        return Ok(pool);
    }
    let to_make = need - pool.len();
    let started = Instant::now();
    let run = uuid::Uuid::new_v4().simple().to_string()[..6].to_uppercase();
    let code = |i: usize| format!("{POOL_PREFIX}{run}-{i:07}");
    let received = f.month_from - chrono::Duration::days(20);
    let first = crate::dossiers::validate(
        db,
        cal,
        "script:bench-api",
        crate::dossiers::Recorder::System,
        crate::dossiers::NewDossier {
            code: code(0),
            procedure_id: f.procedure_id.clone(),
            unit_id: f.unit_id.clone(),
            filer_kind: dossier::FilerKind::Citizen,
            tax_code: None,
            received_at: Some(received),
            completed_at: Some(received + chrono::Duration::hours(3)),
            rating_code: Some(BENCH_RATING_CODE.to_string()),
            online: false,
            due_at: None,
            apology: None,
            delay_excused: None,
        },
    )
    .await?;
    crate::dossiers::upsert(db, cal, first).await?;
    let template = crate::dossiers::find_by_code(db, &code(0))
        .await?
        .context("the first dossier to rate was not stored")?;
    let bar = crate::import::progress(to_make, "dossiers to rate", true);
    bar.inc(1);
    let mut i = 1;
    while i < to_make {
        // 26 columns a row: 1,000 rows stay under SQLite's 32,766 bound parameters.
        let n = 1000.min(to_make - i);
        let now = Utc::now();
        let rows = (i..i + n).map(|k| {
            let id = uuid::Uuid::now_v7().to_string();
            dossier::ActiveModel::from(dossier::Model {
                rating_code_hash: Some(crate::dossiers::rating_code_hash(&id, BENCH_RATING_CODE)),
                id,
                code: code(k),
                created_at: now,
                updated_at: now,
                ..template.clone()
            })
        });
        dossier::Entity::insert_many(rows).exec(db).await?;
        i += n;
        bar.set_position(i as u64);
    }
    bar.finish_and_clear();
    println!(
        "made {to_make} completed dossiers to rate in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    pool = read(db.query_all_raw(unrated(need)).await?)?;
    Ok(pool)
}

/// Waits until the search outbox is empty (the server's indexer has caught up), with a
/// progress bar; gives up, saying so, when it stops shrinking for a minute. Returns how many
/// documents were queued at first.
async fn wait_indexed(db: &DatabaseConnection, what: &str) -> anyhow::Result<u64> {
    let first = outbox::pending(db).await?;
    if first == 0 {
        return Ok(0);
    }
    let bar = crate::import::progress(first as usize, what, true);
    let (mut least, mut since) = (first, Instant::now());
    loop {
        let left = outbox::pending(db).await?;
        bar.set_position(first.saturating_sub(left));
        if left == 0 {
            break;
        }
        if left < least {
            (least, since) = (left, Instant::now());
        } else if since.elapsed() > Duration::from_secs(60) {
            bar.finish_and_clear();
            println!(
                "    warning: {left} documents still queued for the indexer after a minute without progress; going on"
            );
            return Ok(first);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
    Ok(first)
}

/// A request body with holes: the JSON text split around placeholder strings, filled with
/// values that need no escaping (codes, keys).
struct Template(Vec<String>);

impl Template {
    fn new(body: &Value, holes: &[&str]) -> anyhow::Result<Template> {
        let mut rest = serde_json::to_string(body)?;
        let mut parts = Vec::new();
        for h in holes {
            let at = rest
                .find(h)
                .with_context(|| format!("template without {h}"))?;
            parts.push(rest[..at].to_string());
            rest = rest[at + h.len()..].to_string();
        }
        parts.push(rest);
        Ok(Template(parts))
    }

    fn fill(&self, values: &[&str]) -> Vec<u8> {
        debug_assert_eq!(values.len() + 1, self.0.len());
        let mut out = Vec::with_capacity(self.0.iter().map(String::len).sum::<usize>() + 64);
        for (i, p) in self.0.iter().enumerate() {
            out.extend_from_slice(p.as_bytes());
            if let Some(v) = values.get(i) {
                debug_assert!(
                    v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b))
                );
                out.extend_from_slice(v.as_bytes());
            }
        }
        out
    }
}

/// Everything the clients share: one HTTP client, the tokens, the bodies.
struct Load {
    client: reqwest::Client,
    url: String,
    admin: HeaderValue,
    official: HeaderValue,
    evaluator: HeaderValue,
    /// None: anonymous writes.
    writer: Option<HeaderValue>,
    complaint_by_id: Vec<u8>,
    unit_complaints: Vec<u8>,
    procedures_of_unit: Vec<u8>,
    dossier_stats: Vec<u8>,
    rating: Template,
    complaint: Template,
    /// (dossier code, rating code) of dossiers not rated yet; each is used once.
    pool: Vec<(String, String)>,
    next_dossier: AtomicUsize,
    run_tag: String,
}

/// A write the server said it made.
#[derive(Debug, Clone)]
enum Ack {
    Complaint(String),
    Rating(String),
}

/// How a request went.
enum Outcome {
    Answered {
        status: StatusCode,
        body: Vec<u8>,
    },
    /// No answer: the connection failed.
    Transport(String),
    /// No dossier left to rate.
    Exhausted,
}

#[derive(serde::Deserialize)]
struct Envelope<D> {
    data: Option<D>,
    errors: Option<Vec<GqlError>>,
}

#[derive(serde::Deserialize)]
struct GqlError {
    message: String,
    extensions: Option<GqlExtensions>,
}

#[derive(serde::Deserialize)]
struct GqlExtensions {
    code: Option<String>,
}

#[derive(serde::Deserialize)]
struct WriteData {
    #[serde(rename = "submitRating")]
    submit_rating: Option<Written>,
    #[serde(rename = "fileComplaint")]
    file_complaint: Option<Written>,
}

#[derive(serde::Deserialize)]
struct Written {
    id: Option<String>,
    code: Option<String>,
}

fn first_error(errors: &[GqlError]) -> String {
    match errors.first() {
        Some(e) => {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.code.as_deref())
                .unwrap_or("NO_CODE");
            format!("{code}: {}", e.message)
        }
        None => "an empty errors list".into(),
    }
}

impl Load {
    /// Sends one request of kind `op`; `key` makes a write's idempotency key unique.
    async fn send(&self, op: Op, key: &str) -> Outcome {
        let (body, token) = match op {
            Op::ComplaintById => (self.complaint_by_id.clone(), Some(&self.admin)),
            Op::UnitComplaints => (self.unit_complaints.clone(), Some(&self.admin)),
            Op::ProceduresOfUnit => (self.procedures_of_unit.clone(), Some(&self.official)),
            Op::DossierStats => (self.dossier_stats.clone(), Some(&self.evaluator)),
            Op::SubmitRating => {
                let i = self.next_dossier.fetch_add(1, Ordering::Relaxed);
                let Some((code, rating_code)) = self.pool.get(i) else {
                    return Outcome::Exhausted;
                };
                (
                    self.rating
                        .fill(&[code.as_str(), rating_code.as_str(), key]),
                    self.writer.as_ref(),
                )
            }
            Op::FileComplaint => (self.complaint.fill(&[key, key]), self.writer.as_ref()),
        };
        let mut r = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        if let Some(t) = token {
            r = r.header(AUTHORIZATION, t.clone());
        }
        match r.send().await {
            Ok(resp) => {
                let status = resp.status();
                match resp.bytes().await {
                    Ok(b) => Outcome::Answered {
                        status,
                        body: b.to_vec(),
                    },
                    Err(e) => Outcome::Transport(format!("reading the answer: {e}")),
                }
            }
            Err(e) => Outcome::Transport(format!("{e}")),
        }
    }
}

/// Whether an answer is a success; for a write, what it acknowledged.
fn judge(op: Op, status: StatusCode, body: &[u8]) -> Result<Option<Ack>, String> {
    if status != StatusCode::OK {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(160)])
        ));
    }
    match op {
        Op::SubmitRating | Op::FileComplaint => {
            let v: Envelope<WriteData> =
                serde_json::from_slice(body).map_err(|e| format!("not GraphQL JSON: {e}"))?;
            if let Some(e) = &v.errors {
                return Err(first_error(e));
            }
            let d = v.data.ok_or("no data")?;
            match op {
                Op::SubmitRating => d
                    .submit_rating
                    .and_then(|w| w.id)
                    .map(|id| Some(Ack::Rating(id)))
                    .ok_or_else(|| "no rating id in the answer".into()),
                _ => d
                    .file_complaint
                    .and_then(|w| w.code)
                    .map(|c| Some(Ack::Complaint(c)))
                    .ok_or_else(|| "no tracking code in the answer".into()),
            }
        }
        _ => {
            let v: Envelope<serde::de::IgnoredAny> =
                serde_json::from_slice(body).map_err(|e| format!("not GraphQL JSON: {e}"))?;
            match (&v.errors, v.data) {
                (Some(e), _) => Err(first_error(e)),
                (None, Some(_)) => Ok(None),
                (None, None) => Err("neither data nor errors".into()),
            }
        }
    }
}

/// The measured part of a scenario, and when its clients stop.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
    /// Past `end` only with --sigterm-after: the clients go on until connections fail.
    hard_stop: Instant,
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    answered: u64,
    /// Answered in the measurement before SIGTERM was sent.
    answered_before_term: u64,
    errors: u64,
    samples: HashMap<String, u64>,
    acks: Vec<Ack>,
    exhausted_at: Option<Instant>,
}

impl Tally {
    fn error(&mut self, msg: String) {
        self.errors += 1;
        let msg: String = msg.chars().take(200).collect();
        if self.samples.len() < 20 || self.samples.contains_key(&msg) {
            *self.samples.entry(msg).or_default() += 1;
        }
    }
}

async fn client_loop(
    load: Arc<Load>,
    scenario: Scenario,
    w: usize,
    win: Window,
    stop: Arc<AtomicBool>,
    terminated: Arc<AtomicBool>,
) -> Tally {
    let mix = scenario.mix();
    let mut rng = StdRng::seed_from_u64(w as u64 + 1);
    let total: u32 = mix.iter().map(|(_, n)| n).sum();
    let mut t = Tally::default();
    let mut seq = 0u64;
    loop {
        let sent = Instant::now();
        // Past the measurement only while waiting for a stopping server to fail.
        if sent >= win.hard_stop || stop.load(Ordering::Relaxed) {
            break;
        }
        let mut pick = rng.random_range(0..total);
        let op = mix
            .iter()
            .find(|(_, n)| {
                if pick < *n {
                    true
                } else {
                    pick -= n;
                    false
                }
            })
            .map_or(mix[0].0, |(op, _)| *op);
        seq += 1;
        // Unique across scenarios too: a key used again would return the earlier write.
        let key = format!("bench-{}-{}-{w}-{seq}", load.run_tag, scenario.name());
        let outcome = load.send(op, &key).await;
        let done = Instant::now();
        let measured = sent >= win.start && done <= win.end;
        match outcome {
            Outcome::Exhausted => {
                t.exhausted_at = Some(done);
                stop.store(true, Ordering::Relaxed);
                break;
            }
            Outcome::Transport(e) => {
                if measured {
                    t.error(format!("no answer: {e}"));
                }
                if terminated.load(Ordering::Relaxed) {
                    // The server is going away: this client is done.
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Outcome::Answered { status, body } => {
                let verdict = judge(op, status, &body);
                if let Ok(Some(ack)) = &verdict {
                    t.acks.push(ack.clone());
                }
                if measured {
                    t.answered += 1;
                    if !terminated.load(Ordering::Relaxed) {
                        t.answered_before_term += 1;
                    }
                    t.latencies_ms
                        .push(done.duration_since(sent).as_secs_f64() * 1000.0);
                    if let Err(e) = verdict {
                        t.error(format!("{}: {e}", op.name()));
                    }
                }
            }
        }
    }
    t
}

/// One line of results.
struct Row {
    name: String,
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    requests: u64,
    server_us: Option<f64>,
    db_us: Option<f64>,
    gen_us: f64,
    rss_mib: Option<f64>,
    others_cores: Option<f64>,
    note: String,
    samples: Vec<(String, u64)>,
    acks: Vec<Ack>,
    /// When SIGTERM was sent.
    term: Option<Instant>,
    /// How long after SIGTERM the server was gone.
    exit_after: Option<Duration>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
}

impl Row {
    fn cpu_us(&self) -> Option<f64> {
        self.server_us.map(|s| s + self.db_us.unwrap_or(0.0))
    }

    fn line(&self) -> String {
        let db = match self.db_us {
            Some(d) => format!(" (server {} + DB {d:.0})", opt(self.server_us, 0)),
            None => String::new(),
        };
        format!(
            "{:<19} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {:>5} ({:>7} answered)  CPU server+DB {:>6} µs/req{db}  generator {:.0} µs/req  peak RSS {} MiB  other processes {} cores{}",
            self.name,
            self.rps,
            self.p50,
            self.p99,
            self.errors,
            self.requests,
            opt(self.cpu_us(), 0),
            self.gen_us,
            opt(self.rss_mib, 0),
            opt(self.others_cores, 2),
            self.note
        )
    }

    fn markdown(&self) -> String {
        format!(
            "| {}{} | {:.0} | {:.2} | {:.2} | {} | {} | {:.0} | {} |",
            self.name,
            if self.note.is_empty() { "" } else { " *" },
            self.rps,
            self.p50,
            self.p99,
            self.errors,
            opt(self.cpu_us(), 0),
            self.gen_us,
            opt(self.rss_mib, 0)
        )
    }
}

/// Checks the first answer of every request of the scenario, then loads it.
async fn run_scenario(
    load: &Arc<Load>,
    s: Scenario,
    args: &BenchApiArgs,
    server: &mut Server,
    sigterm_after: Option<f64>,
    postgres: bool,
) -> anyhow::Result<Row> {
    let mut preflight_acks = Vec::new();
    for (op, _) in s.mix().iter() {
        let key = format!("bench-{}-check-{}-{}", load.run_tag, s.name(), op.name());
        match load.send(*op, &key).await {
            Outcome::Answered { status, body } => match judge(*op, status, &body) {
                Ok(ack) => {
                    preflight_acks.extend(ack);
                    println!(
                        "  first {} answer: {}",
                        op.name(),
                        String::from_utf8_lossy(&body[..body.len().min(160)])
                    );
                }
                Err(e) => bail!(
                    "{}: the first {} request failed ({e}); the answer was:\n{}",
                    s.name(),
                    op.name(),
                    String::from_utf8_lossy(&body)
                ),
            },
            Outcome::Transport(e) => {
                bail!("{}: the first {} request failed: {e}", s.name(), op.name())
            }
            Outcome::Exhausted => {
                bail!("{}: no dossier left to rate; raise --rating-pool", s.name())
            }
        }
    }

    if let Some(pid) = server.pid {
        // Resets the peak resident size (VmHWM) of the server.
        let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    }
    let start = Instant::now();
    let measured_from = start + Duration::from_secs(args.warmup);
    let end = measured_from + Duration::from_secs(args.seconds);
    let term_at = sigterm_after.map(|s| measured_from + Duration::from_secs_f64(s));
    let win = Window {
        start: measured_from,
        end,
        hard_stop: match term_at {
            Some(t) => end.max(t) + Duration::from_secs(60),
            None => end,
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    let terminated = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..args.concurrency)
        .map(|w| {
            tokio::spawn(client_loop(
                load.clone(),
                s,
                w,
                win,
                stop.clone(),
                terminated.clone(),
            ))
        })
        .collect();

    let server_pid = server.pid;
    tokio::time::sleep_until(measured_from.into()).await;
    let before = Cpu::now(server_pid, postgres);
    let mut term = None;
    let mut rss_before_term = None;
    let mut exit_watch = None;
    // CPU figures of a run that SIGTERM cuts short cover the part before it.
    let mut cpu_before_term = None;
    if let Some(t) = term_at
        && t < end
    {
        tokio::time::sleep_until(t.into()).await;
        rss_before_term = server_pid.and_then(|p| status_mib(p, "VmHWM"));
        cpu_before_term = Some(Cpu::now(server_pid, postgres));
        (term, exit_watch) = send_term(server, &terminated)?;
    }
    tokio::time::sleep_until(end.into()).await;
    let after = cpu_before_term.unwrap_or_else(|| Cpu::now(server_pid, postgres));
    let rss = server_pid
        .and_then(|p| status_mib(p, "VmHWM"))
        .or(rss_before_term);
    if let Some(t) = term_at
        && term.is_none()
    {
        tokio::time::sleep_until(t.into()).await;
        (term, exit_watch) = send_term(server, &terminated)?;
    }

    let mut all = Tally::default();
    for c in clients {
        let t = c.await?;
        all.latencies_ms.extend(t.latencies_ms);
        all.answered += t.answered;
        all.answered_before_term += t.answered_before_term;
        all.errors += t.errors;
        for (k, v) in t.samples {
            *all.samples.entry(k).or_default() += v;
        }
        all.acks.extend(t.acks);
        all.exhausted_at = match (all.exhausted_at, t.exhausted_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    all.acks.extend(preflight_acks);
    let mut note = String::new();
    let measured_end = match all.exhausted_at {
        Some(x) if x < end => {
            note = format!(
                "  [dossiers to rate ran out after {:.1} s; raise --rating-pool]",
                x.saturating_duration_since(measured_from).as_secs_f64()
            );
            x.max(measured_from + Duration::from_millis(1))
        }
        _ => end,
    };
    if let Some(s) = sigterm_after {
        note.push_str(&format!("  [SIGTERM sent {s} s into the measurement]"));
    }
    let secs = measured_end.duration_since(measured_from).as_secs_f64();
    all.latencies_ms.sort_by(|a, b| a.total_cmp(b));
    let n = if cpu_before_term.is_some() {
        all.answered_before_term
    } else {
        all.answered
    }
    .max(1) as f64;
    let per_request = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / TICKS_PER_SECOND * 1e6 / n),
        _ => None,
    };
    let mut samples: Vec<(String, u64)> = all.samples.into_iter().collect();
    samples.sort_by_key(|s| std::cmp::Reverse(s.1));
    samples.truncate(5);
    Ok(Row {
        name: s.name().to_string(),
        rps: all.answered as f64 / secs,
        p50: percentile(&all.latencies_ms, 0.5),
        p99: percentile(&all.latencies_ms, 0.99),
        errors: all.errors,
        requests: all.answered,
        server_us: per_request(before.server, after.server),
        db_us: per_request(before.db, after.db),
        gen_us: per_request(before.me, after.me).unwrap_or(f64::NAN),
        rss_mib: rss,
        others_cores: before.others_cores(&after),
        note,
        samples,
        acks: all.acks,
        term,
        exit_after: match (term, exit_watch) {
            (Some(t), Some(w)) => w.await?.map(|x| x.saturating_duration_since(t)),
            _ => None,
        },
    })
}

/// Sends SIGTERM to the server and watches for its exit: when it was sent, and the watch.
#[allow(clippy::type_complexity)]
fn send_term(
    server: &mut Server,
    terminated: &AtomicBool,
) -> anyhow::Result<(
    Option<Instant>,
    Option<tokio::task::JoinHandle<Option<Instant>>>,
)> {
    server.terminate()?;
    terminated.store(true, Ordering::Relaxed);
    let now = Instant::now();
    let watch = server.pid.map(|pid| {
        tokio::spawn(async move {
            while now.elapsed() < Duration::from_secs(120) {
                if exited(pid) {
                    return Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            None
        })
    });
    Ok((Some(now), watch))
}

/// Whether a process has ended (gone, or a zombie waiting to be reaped).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

/// The acknowledged writes that are not in the database.
async fn missing_writes(db: &DatabaseConnection, acks: &[Ack]) -> anyhow::Result<Vec<String>> {
    let (complaints, ratings): (Vec<&Ack>, Vec<&Ack>) =
        acks.iter().partition(|a| matches!(a, Ack::Complaint(_)));
    let key = |a: &&Ack| match a {
        Ack::Complaint(c) | Ack::Rating(c) => c.clone(),
    };
    let complaints: Vec<String> = complaints.iter().map(key).collect();
    let ratings: Vec<String> = ratings.iter().map(key).collect();
    let mut missing = absent(db, complaint::Column::Code, &complaints, "complaint").await?;
    missing.extend(absent(db, rating::Column::Id, &ratings, "rating").await?);
    Ok(missing)
}

/// Which of `values` no row of `col`'s table holds in `col`, each named `what value`.
async fn absent<C>(
    db: &DatabaseConnection,
    col: C,
    values: &[String],
    what: &str,
) -> anyhow::Result<Vec<String>>
where
    C: sea_orm::ColumnTrait,
{
    use sea_orm::sea_query::Query;
    let mut missing = Vec::new();
    for chunk in values.chunks(500) {
        let mut q = Query::select();
        q.column(col)
            .from(col.entity_name())
            .and_where(col.is_in(chunk.iter().cloned()));
        let found: std::collections::HashSet<String> = db
            .query_all(&q)
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        missing.extend(
            chunk
                .iter()
                .filter(|v| !found.contains(*v))
                .map(|v| format!("{what} {v}")),
        );
    }
    Ok(missing)
}

/// CPU clock ticks used so far.
#[derive(Clone, Copy)]
struct Cpu {
    server: Option<u64>,
    db: Option<u64>,
    me: Option<u64>,
    /// Every CPU of the machine, busy (not idle nor waiting for I/O).
    machine: Option<u64>,
    at: Instant,
}

impl Cpu {
    fn now(server: Option<u32>, postgres: bool) -> Cpu {
        Cpu {
            server: server.and_then(|p| proc_ticks(&p.to_string())),
            db: if postgres { pg_ticks() } else { None },
            me: proc_ticks("self"),
            machine: machine_ticks(),
            at: Instant::now(),
        }
    }

    /// Cores used meanwhile by other processes than the server, the database and this one:
    /// well above zero, the machine was shared and the throughput is low for it.
    fn others_cores(&self, later: &Cpu) -> Option<f64> {
        let d = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
        let ours = d(self.server, later.server).unwrap_or(0)
            + d(self.db, later.db).unwrap_or(0)
            + d(self.me, later.me)?;
        let all = d(self.machine, later.machine)?;
        let secs = later.at.duration_since(self.at).as_secs_f64();
        (secs > 0.0).then(|| all.saturating_sub(ours) as f64 / TICKS_PER_SECOND / secs)
    }
}

/// Busy ticks of all CPUs, from the first line of `/proc/stat`.
fn machine_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = s
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    Some(f.iter().take(8).sum::<u64>() - f.get(3)? - f.get(4)?)
}

/// utime + stime + cutime + cstime of a process (all its threads, and its children that
/// ended), from `/proc/<pid>/stat`.
fn proc_ticks(pid: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields follow the last ')'.
    let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
    fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum()
}

/// The ticks of every `postgres` process on this machine (the postmaster's children that
/// ended are in its cutime/cstime), or None when there is none.
fn pg_ticks() -> Option<u64> {
    let mut total = None;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() == "postgres"
            && let Some(t) = proc_ticks(pid)
        {
            total = Some(total.unwrap_or(0) + t);
        }
    }
    total
}

/// A memory figure of a process in MiB from `/proc/<pid>/status` (`VmHWM`: peak resident).
fn status_mib(pid: u32, key: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.split(':').next() == Some(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The server under load: a child process started here, or one already running.
struct Server {
    child: Option<Child>,
    pid: Option<u32>,
    /// `http://host:port`, without a path.
    base: String,
    log: Option<PathBuf>,
    /// When SIGTERM was sent.
    terminated_at: Option<Instant>,
}

impl Server {
    /// Starts `portal serve` on a free port of 127.0.0.1, its log (JSON lines) in `dir`.
    fn spawn(dir: &Path, database_url: &str, secret: &str) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log_path = dir.join("bench-api-server.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let exe = std::env::current_exe()?;
        let child = Command::new(&exe)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("PORTAL_DATA_DIR", dir)
            .env("JWT_SECRET", secret)
            .env("PORTAL_LOG_FORMAT", "json")
            // The load comes from one address: the limits on submissions must not throttle it.
            .env("PORTAL_ANONYMOUS_SUBMISSIONS_PER_HOUR", "1000000")
            .env("PORTAL_ACCOUNT_SUBMISSIONS_PER_HOUR", "1000000")
            .env("PORTAL_CODE_GUESSES_PER_HOUR", "1000000")
            .env("PORTAL_REGISTRATIONS_PER_HOUR", "1000000")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {} serve", exe.display()))?;
        Ok(Server {
            pid: Some(child.id()),
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            log: Some(log_path),
            terminated_at: None,
        })
    }

    fn external(url: &str, pid: Option<u32>) -> Server {
        let url = url.trim_end_matches('/');
        Server {
            child: None,
            pid,
            base: url.strip_suffix("/graphql").unwrap_or(url).to_string(),
            log: None,
            terminated_at: None,
        }
    }

    /// Waits until `/readyz` answers 200 (up to five minutes for a started server).
    async fn wait_ready(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return Ok(());
            }
            match &mut self.child {
                None => bail!("{}/readyz does not answer 200", self.base),
                Some(c) => {
                    if let Some(status) = c.try_wait()? {
                        bail!(
                            "the server exited ({status}) before it was ready; its log:\n{}",
                            self.log_tail()
                        );
                    }
                }
            }
            if started.elapsed() > Duration::from_secs(300) {
                bail!(
                    "the server was not ready after 5 minutes; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let s = self
            .log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Sends SIGTERM.
    fn terminate(&mut self) -> anyhow::Result<()> {
        let Some(pid) = self.pid else {
            bail!("no server process id to send SIGTERM to");
        };
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .context("running kill -TERM")?;
        anyhow::ensure!(status.success(), "kill -TERM {pid} failed ({status})");
        self.terminated_at = Some(Instant::now());
        Ok(())
    }

    /// Whether the server is still there.
    fn alive(&mut self) -> bool {
        match (&mut self.child, self.pid) {
            (Some(c), _) => matches!(c.try_wait(), Ok(None)),
            (None, Some(pid)) => Path::new(&format!("/proc/{pid}")).exists(),
            (None, None) => self.terminated_at.is_none(),
        }
    }

    /// Waits up to `timeout` for the server to exit (and reaps a child): its exit status.
    async fn wait_exit(&mut self, timeout: Duration) -> Option<String> {
        let started = Instant::now();
        loop {
            let status: Option<String> = match (&mut self.child, self.pid) {
                (Some(c), _) => c
                    .try_wait()
                    .ok()
                    .flatten()
                    .map(|s: ExitStatus| s.to_string()),
                (None, Some(pid)) => {
                    (!Path::new(&format!("/proc/{pid}")).exists()).then(|| "exited".to_string())
                }
                (None, None) => Some("unknown".into()),
            };
            if status.is_some() {
                return status;
            }
            if started.elapsed() > timeout {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops a server started here: SIGTERM, then SIGKILL after ten seconds.
    async fn stop(&mut self) {
        if self.child.is_none() || !self.alive() {
            return;
        }
        if self.terminate().is_ok() && self.wait_exit(Duration::from_secs(10)).await.is_some() {
            return;
        }
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // On an early return: never leave the child running.
        if let Some(c) = &mut self.child
            && matches!(c.try_wait(), Ok(None))
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            for _ in 0..100 {
                if !matches!(c.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Reads what the server logged since the last look, and tells the warnings and errors.
struct LogWatch {
    path: PathBuf,
    offset: usize,
}

impl LogWatch {
    fn new(path: &Path) -> LogWatch {
        LogWatch {
            path: path.to_path_buf(),
            offset: 0,
        }
    }

    fn report(&mut self) {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return;
        };
        let new = &bytes[self.offset.min(bytes.len())..];
        self.offset = bytes.len();
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut locked = 0u64;
        for line in String::from_utf8_lossy(new).lines() {
            if line.contains("database is locked") {
                locked += 1;
            }
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let level = v["level"].as_str().unwrap_or_default();
            if level != "WARN" && level != "ERROR" {
                continue;
            }
            let mut what = format!("{level} {}", v["message"].as_str().unwrap_or_default());
            if let Some(e) = v["error"].as_str() {
                what.push_str(": ");
                what.extend(e.chars().take(160));
            }
            if let Some(sql) = v["sql"].as_str() {
                what.push_str(": ");
                what.extend(
                    sql.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .chars()
                        .take(120),
                );
            }
            *counts.entry(what).or_default() += 1;
        }
        if counts.is_empty() && locked == 0 {
            return;
        }
        let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        let total: u64 = counts.iter().map(|c| c.1).sum();
        println!(
            "    server log: {total} warnings and errors ({locked} lines with \"database is locked\"):"
        );
        for (what, n) in counts.iter().take(5) {
            println!("      {n}× {what}");
        }
    }
}
