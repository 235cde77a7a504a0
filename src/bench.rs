//! `portal bench`: the search benchmark. It starts the real server on a fresh data folder
//! (SQLite and the embedded engine unless `DATABASE_URL` / `MEILI_URL` say otherwise; or a
//! kept `--data-dir`, whose complaints are reused), generates synthetic complaints from a
//! vocabulary of real procedure names, units and typical complaint phrases while the indexer
//! drains them through the outbox, then queues every complaint again and times the indexer
//! alone on that backlog, rebuilds the index once (`reindex`), fires a mixed query load at
//! `searchComplaints` over HTTP and measures how soon a newly filed complaint becomes
//! searchable.
//!
//! Memory is the peak resident size of this process, which holds the server and the load
//! generator together (the generator's share is small: a few clients and latency samples),
//! and the resident size at the end, split into heap and mapped files (the index).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::complaint::{self, Category, Kind, Status};
use entity::{procedure, unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, Iterable, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::search::IndexKind;
use crate::search::outbox;
use crate::{Application, Config};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// How many synthetic complaints to generate.
    #[arg(long, default_value_t = 100_000)]
    pub complaints: usize,
    /// Concurrent clients of the query load.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long the query load runs, in seconds.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Newly filed complaints timed until searchable.
    #[arg(long, default_value_t = 100)]
    pub freshness_samples: usize,
    /// Skip the full reindex measurement.
    #[arg(long)]
    pub skip_reindex: bool,
    /// Skip the measurement of the indexer draining a backlog of every complaint.
    #[arg(long)]
    pub skip_drain: bool,
    /// Keep the data (database and index) in this folder instead of a temporary one. When it
    /// already holds the complaints of an earlier run, generation is skipped and only the
    /// measurements run again.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Before the load, time every query of the mix alone, for each kind of caller.
    #[arg(long)]
    pub per_query: bool,
    /// Ask for no facet counts (every request asks for all of them otherwise): what the
    /// facets cost, on either engine.
    #[arg(long)]
    pub no_facets: bool,
}

/// Marks the synthetic complaints, so a kept data folder can be reused.
const BENCH_CONTACT: &str = "Người dân (dữ liệu thử tải)";

const PHRASES: &[&str] = &[
    "Trễ hạn",
    "Chậm trả kết quả",
    "Yêu cầu bổ sung giấy tờ không đúng quy định",
    "Thái độ cán bộ tiếp nhận",
    "Cổng dịch vụ công báo lỗi khi nộp",
    "Không được hướng dẫn đầy đủ",
    "Thu phí cao hơn niêm yết",
    "Hồ sơ bị trả lại nhiều lần",
    "Hẹn trả kết quả nhưng không có",
    "Kiến nghị đơn giản hóa",
];
const BODIES: &[&str] = &[
    "Tôi đã nộp hồ sơ đầy đủ theo hướng dẫn nhưng đến ngày hẹn vẫn chưa nhận được kết quả.",
    "Cán bộ tại bộ phận một cửa yêu cầu nộp thêm bản sao có chứng thực dù thủ tục không quy định.",
    "Hệ thống dịch vụ công trực tuyến không cho tải tệp đính kèm, tôi phải đi lại nhiều lần.",
    "Đề nghị UBND quận niêm yết công khai thời hạn giải quyết và phiếu xin lỗi khi trễ hẹn.",
    "Doanh nghiệp chúng tôi bị chậm cấp giấy phép kinh doanh ảnh hưởng đến hoạt động sản xuất.",
    "Tôi không được thông báo lý do hồ sơ bị trễ và cũng không nhận được phiếu hẹn mới.",
    "Thủ tục cấp sổ đỏ kéo dài quá thời hạn quy định mà không có văn bản giải thích.",
];
const QUERIES: &[&str] = &[
    "tre han dang ky kinh doanh",
    "trễ hạn đăng ký",
    "phieu xin loi",
    "cap so do",
    "giay phep xay dung",
    "thai do can bo",
    "dich vu cong bao loi",
    "tre hna",
    "ubnd quan",
    "dang ki khai sinh",
    "bo sung giay to",
    "chậm trả kết quả",
    "ho so bi tra lai",
    "thu phi",
    "kien nghi don gian hoa",
    "ket hon",
];

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A memory figure of this process in MiB from `/proc/self/status` (Linux): `VmHWM` is the
/// peak resident size, `VmRSS` the current one, `RssAnon`/`RssFile` its heap and mapped-file
/// (index) parts.
pub fn status_mib(key: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.split(':').next() == Some(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Peak resident memory of this process in MiB (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM")
}

/// A GraphQL request, with the caller's token when there is one.
fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> reqwest::RequestBuilder {
    let r = client
        .post(url)
        .json(&json!({ "query": query, "variables": vars }));
    match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
}

async fn gql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> anyhow::Result<Value> {
    let v: Value = post(client, url, token, query, vars)
        .send()
        .await?
        .json()
        .await?;
    if v.get("errors").is_some() {
        anyhow::bail!("GraphQL errors: {v}");
    }
    Ok(v)
}

#[derive(serde::Deserialize)]
struct LoadResponse {
    data: Option<LoadData>,
    errors: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct LoadData {
    #[serde(rename = "searchComplaints")]
    search: LoadSearch,
}

#[derive(serde::Deserialize)]
struct LoadSearch {
    #[serde(rename = "tookMs")]
    took_ms: f64,
}

/// A search filter with the query's words (`filter.query`).
fn with_query(filter: &Value, q: &str) -> Value {
    let mut f = filter.clone();
    if let Some(o) = f.as_object_mut() {
        o.insert("query".into(), json!(q));
        f
    } else {
        json!({ "query": q })
    }
}

/// One request of the query load: the whole response is read and checked, but only the
/// engine's time is kept (a portal would render the rest; the generator needs no tree of it).
async fn search_took(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    q: &str,
    filter: &Value,
) -> anyhow::Result<f64> {
    let vars = json!({ "f": with_query(filter, q) });
    let body = post(client, url, token, query, vars)
        .send()
        .await?
        .bytes()
        .await?;
    let v: LoadResponse = serde_json::from_slice(&body)?;
    match (v.data, v.errors) {
        (Some(d), None) => Ok(d.search.took_ms),
        _ => anyhow::bail!("GraphQL errors: {}", String::from_utf8_lossy(&body)),
    }
}

/// Waits until the outbox is empty, with a progress bar over `total` rows.
async fn wait_drained(
    db: &sea_orm::DatabaseConnection,
    total: usize,
    what: &str,
) -> anyhow::Result<()> {
    let bar = crate::import::progress(total, what, true);
    loop {
        let left = outbox::pending(db).await? as usize;
        bar.set_position(total.saturating_sub(left) as u64);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = match &args.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let mut config = Config::load()?;
    config.data_dir = dir.clone();
    if std::env::var("DATABASE_URL").is_err() {
        config.database_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    }
    config.addr = "127.0.0.1:0".parse()?;
    config.jwt_secret = Some(format!("bench-{}", uuid::Uuid::new_v4().simple()));
    config.anonymous_submissions_per_hour = 1_000_000;
    let app = Application::build(config, true).await?;
    let state = app.state().clone();
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let db = state.db.clone();
    // Let the demo data's documents settle first.
    while outbox::pending(&db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let units: Vec<unit::Model> = unit::Entity::find().all(&db).await?;
    let procs: Vec<procedure::Model> = procedure::Entity::find().all(&db).await?;
    let mut rng = StdRng::seed_from_u64(7);
    let cal = state.calendar.get();
    let existing = complaint::Entity::find()
        .filter(complaint::Column::ContactName.eq(BENCH_CONTACT))
        .count(&db)
        .await? as usize;
    if existing > 0 {
        println!(
            "{existing} synthetic complaints already in {}",
            dir.display()
        );
    }
    let to_write = args.complaints.saturating_sub(existing);
    println!("generating {to_write} synthetic complaints …");
    let bar = crate::import::progress(to_write, "writing complaints + outbox", true);
    let started = Instant::now();
    let mut written = 0usize;
    while written < to_write {
        // Rows a statement: under SQLite's 32,766 bound parameters, whatever the columns.
        let per_statement = 32_000 / <complaint::Column as sea_orm::Iterable>::iter().count();
        let n = per_statement.min(to_write - written);
        let now = Utc::now();
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let u = &units[rng.random_range(0..units.len())];
            let p = &procs[rng.random_range(0..procs.len())];
            let title = format!(
                "{} {}",
                PHRASES[rng.random_range(0..PHRASES.len())],
                p.name.to_lowercase()
            );
            let body = format!(
                "{} {}",
                BODIES[rng.random_range(0..BODIES.len())],
                BODIES[rng.random_range(0..BODIES.len())]
            );
            let received = now - chrono::Duration::minutes(rng.random_range(0..300_000));
            let status = [
                Status::Received,
                Status::Accepted,
                Status::Answered,
                Status::Closed,
            ][rng.random_range(0..4)];
            let code = crate::complaints::code::generate();
            rows.push(complaint::Model {
                search_text: crate::complaints::searchable_text(&title, &body, &code),
                kind: if rng.random_bool(0.85) {
                    Kind::Feedback
                } else {
                    Kind::Petition
                },
                category: Category::iter()
                    .nth(rng.random_range(0..8))
                    .unwrap_or(Category::Other),
                procedure_id: Some(p.id.clone()),
                title,
                body,
                contact_name: BENCH_CONTACT.into(),
                contact_phone: Some("0900000000".into()),
                status,
                forward_due_at: cal.deadline(received, 5),
                answer_due_at: cal.deadline(received, 10),
                published: matches!(status, Status::Answered | Status::Closed),
                ..crate::complaints::received(
                    uuid::Uuid::now_v7().to_string(),
                    code,
                    &u.id,
                    received,
                )
            });
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        // Tracking codes are random (2⁴⁰ of them): among a million, two may meet. The portal
        // draws again on a collision, and so does the generator, for the whole batch.
        let mut attempts = 0;
        loop {
            let txn = crate::db::begin(&db).await?;
            let inserted = complaint::Entity::insert_many(
                rows.iter().cloned().map(complaint::ActiveModel::from),
            )
            .exec(&txn)
            .await;
            match inserted {
                Ok(_) => {
                    outbox::enqueue(&txn, IndexKind::Complaints, &ids).await?;
                    txn.commit().await?;
                    break;
                }
                Err(e)
                    if attempts < 5
                        && matches!(
                            e.sql_err(),
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                        ) =>
                {
                    drop(txn);
                    attempts += 1;
                    for r in &mut rows {
                        r.code = crate::complaints::code::generate();
                        r.search_text = crate::search::text::fallback_text(
                            &r.title,
                            &r.body,
                            &[r.code.as_str()],
                        );
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        state.indexer_wake.wake();
        written += n;
        bar.set_position(written as u64);
    }
    bar.finish_and_clear();
    let wrote = started.elapsed();
    wait_drained(&db, to_write, "indexing through the outbox").await?;
    let ingest = started.elapsed();
    if to_write > 0 {
        println!(
            "written {to_write} complaints with their outbox rows in {:.1} s ({:.0}/s, the indexer running alongside); indexed through the outbox by {:.1} s: {:.0} complaints/s end to end",
            wrote.as_secs_f64(),
            to_write as f64 / wrote.as_secs_f64(),
            ingest.as_secs_f64(),
            to_write as f64 / ingest.as_secs_f64()
        );
    }

    if !args.skip_drain {
        // The indexer alone: every complaint queued at once, drained through the outbox.
        let started = Instant::now();
        let n = outbox::enqueue_all(&db, IndexKind::Complaints).await? as usize;
        let queued = started.elapsed();
        state.indexer_wake.wake();
        let started = Instant::now();
        wait_drained(&db, n, "draining a backlog of every complaint").await?;
        println!(
            "indexer draining a backlog of {n} complaints (queued in {:.1} s): {:.1} s = {:.0} complaints/s",
            queued.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            n as f64 / started.elapsed().as_secs_f64()
        );
    }

    if !args.skip_reindex {
        let started = Instant::now();
        let n = outbox::reindex(&db, &state.search, IndexKind::Complaints, |_| {}).await?;
        println!(
            "full reindex of {n} complaints: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    // The query load: admins (everything), officials (their unit) and the public (published).
    let admin = state
        .keys
        .issue(
            crate::auth::TokenFor::script(crate::auth::Role::Admin, None, None),
            None,
        )
        .map_err(anyhow::Error::from)?
        .0;
    let q5 = units.iter().find(|u| u.code == "Q5").map(|u| u.id.clone());
    let official = state
        .keys
        .issue(
            crate::auth::TokenFor::script(crate::auth::Role::Official, q5, None),
            None,
        )
        .map_err(anyhow::Error::from)?
        .0;
    let query = format!(
        "query($f: ComplaintFilter) {{ searchComplaints(filter: $f, first: 20) {{
        totalCount tookMs degraded {}
        edges {{ node {{ highlights {{ title }} complaint {{ code title status unit {{ name }} procedure {{ code }} }} }} }} }} }}",
        if args.no_facets {
            ""
        } else {
            "facets { name values { value count } }"
        }
    );
    // One string for the whole run, shared by the clients.
    let query: &'static str = Box::leak(query.into_boxed_str());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    if args.per_query {
        println!(
            "{:<28} {:>22} {:>22} {:>22}",
            "query (median of 5, ms)",
            "admin: total/engine",
            "official: total/engine",
            "public: total/engine"
        );
        for q in QUERIES {
            let mut cells = Vec::new();
            for token in [Some(admin.as_str()), Some(official.as_str()), None] {
                let (mut total, mut engine, mut hits) = (Vec::new(), Vec::new(), 0);
                for _ in 0..5 {
                    let t = Instant::now();
                    let v =
                        gql(&client, &url, token, query, json!({ "f": { "query": q } })).await?;
                    total.push(t.elapsed().as_secs_f64() * 1000.0);
                    engine.push(
                        v["data"]["searchComplaints"]["tookMs"]
                            .as_f64()
                            .unwrap_or(f64::NAN),
                    );
                    hits = v["data"]["searchComplaints"]["totalCount"]
                        .as_u64()
                        .unwrap_or(0);
                }
                total.sort_by(|a, b| a.total_cmp(b));
                engine.sort_by(|a, b| a.total_cmp(b));
                cells.push(format!("{:.1}/{:.1} ({hits})", total[2], engine[2]));
            }
            println!(
                "{:<28} {:>22} {:>22} {:>22}",
                q, cells[0], cells[1], cells[2]
            );
        }
    }
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let lat = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let took = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let (client, url, lat, errors, took) = (
            client.clone(),
            url.clone(),
            lat.clone(),
            errors.clone(),
            took.clone(),
        );
        let tokens = [Some(admin.clone()), Some(official.clone()), None];
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut mine = Vec::new();
            let mut engine_ms = Vec::new();
            while Instant::now() < deadline {
                let q = QUERIES[rng.random_range(0..QUERIES.len())];
                let token = &tokens[rng.random_range(0..tokens.len())];
                let filter = if rng.random_bool(0.3) {
                    json!({ "status": "RECEIVED" })
                } else {
                    json!({})
                };
                let t = Instant::now();
                match search_took(&client, &url, token.as_deref(), query, q, &filter).await {
                    Ok(ms) => {
                        mine.push(t.elapsed().as_secs_f64() * 1000.0);
                        engine_ms.push(ms);
                    }
                    Err(_) => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            lat.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
            took.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(engine_ms);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let mut l = lat.lock().unwrap_or_else(|p| p.into_inner()).clone();
    l.sort_by(|a, b| a.total_cmp(b));
    println!(
        "searchComplaints over HTTP, concurrency {}: {} requests in {} s = {:.0} req/s; p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} errors",
        args.concurrency,
        l.len(),
        args.seconds,
        l.len() as f64 / args.seconds as f64,
        percentile(&l, 0.5),
        percentile(&l, 0.9),
        percentile(&l, 0.99),
        l.last().copied().unwrap_or(f64::NAN),
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );

    let mut t = took.lock().unwrap_or_else(|p| p.into_inner()).clone();
    t.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  of which the engine itself: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&t, 0.5),
        percentile(&t, 0.99)
    );

    // Freshness: file through the API, poll the search by tracking code.
    let unit = units
        .iter()
        .find(|u| u.code == "SDL")
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let file = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { code } }";
    let find =
        "query($q: String) { searchComplaints(filter: {query: $q}, first: 1) { totalCount } }";
    let mut fresh = Vec::new();
    for i in 0..args.freshness_samples {
        let v = gql(
            &client,
            &url,
            Some(&admin),
            file,
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit, "title": format!("Phản ánh đo độ trễ {i}"),
                           "body": "Đo thời gian đến khi tìm thấy.", "contact": { "name": "Bench", "phone": "0900000001" } } }),
        )
        .await?;
        let code = v["data"]["fileComplaint"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let t = Instant::now();
        loop {
            let r = gql(&client, &url, Some(&admin), find, json!({ "q": code })).await?;
            if r["data"]["searchComplaints"]["totalCount"].as_u64() == Some(1) {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                anyhow::bail!("complaint {code} not searchable after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        fresh.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    fresh.sort_by(|a, b| a.total_cmp(b));
    println!(
        "newly filed complaint searchable after: p50 {:.0} ms, p99 {:.0} ms ({} samples)",
        percentile(&fresh, 0.5),
        percentile(&fresh, 0.99),
        fresh.len()
    );
    if let Some(m) = peak_rss_mib() {
        println!("peak resident memory of the process (server + load generator): {m:.0} MiB");
    }
    if let (Some(rss), Some(anon), Some(file)) = (
        status_mib("VmRSS"),
        status_mib("RssAnon"),
        status_mib("RssFile"),
    ) {
        println!(
            "resident now: {rss:.0} MiB ({anon:.0} MiB heap, {file:.0} MiB mapped index and files)"
        );
    }
    println!(
        "engine: {}; database: {}",
        state.search.engine_name(),
        crate::db::redact(&state.config.database_url)
    );
    Ok(())
}
