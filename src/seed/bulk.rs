//! `portal seed --synthetic`: clearly synthetic data in bulk, for measuring the PAR index and
//! the API at a city's scale. Dossier codes start with `SYN-`, complaints are filed by
//! "Dữ liệu tổng hợp", and every rating's comment is empty. Ratings beyond the number of
//! dossiers written in the same run are stored as verified without a dossier (the real portal
//! never does this; here it lets ten million ratings be aggregated without ten million dossiers).
//!
//! On PostgreSQL rows go in with `COPY`, on SQLite as multi-row inserts in large transactions.

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::rating_score::Component;
use entity::{complaint, procedure_unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::{Alias, Query, Value};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable};

use crate::search::IndexKind;
use crate::search::outbox;

pub const SYNTHETIC_CONTACT: &str = "Dữ liệu tổng hợp";

/// One cell of a row to write.
#[derive(Debug, Clone)]
enum Cell {
    S(String),
    I(i64),
    B(bool),
    T(DateTime<Utc>),
    Null,
}

impl Cell {
    fn copy_text(&self, out: &mut String) {
        match self {
            Cell::S(s) => {
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Cell::I(i) => out.push_str(&i.to_string()),
            Cell::B(b) => out.push(if *b { 't' } else { 'f' }),
            Cell::T(t) => out.push_str(&t.to_rfc3339()),
            Cell::Null => out.push_str("\\N"),
        }
    }

    fn value(&self) -> Value {
        match self {
            Cell::S(s) => s.clone().into(),
            Cell::I(i) => (*i).into(),
            Cell::B(b) => (*b).into(),
            Cell::T(t) => (*t).into(),
            Cell::Null => Value::String(None),
        }
    }
}

/// Writes rows into `table` (`columns` in order): COPY on PostgreSQL, inserts on SQLite.
async fn write(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            use sea_orm::sqlx::postgres::PgPoolCopyExt;
            let pool = db.get_postgres_connection_pool();
            let mut copy = pool
                .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))
                .await?;
            let mut buf = String::with_capacity(rows.len() * 128);
            for r in rows {
                for (i, c) in r.iter().enumerate() {
                    if i > 0 {
                        buf.push('\t');
                    }
                    c.copy_text(&mut buf);
                }
                buf.push('\n');
            }
            copy.send(buf.into_bytes()).await?;
            copy.finish().await?;
        }
        _ => {
            let per = (30_000 / columns.len()).max(1);
            let tx = crate::db::begin(db).await?;
            for chunk in rows.chunks(per) {
                let mut q = Query::insert();
                q.into_table(Alias::new(table))
                    .columns(columns.iter().map(|c| Alias::new(*c)));
                for r in chunk {
                    q.values_panic(r.iter().map(|c| c.value().into()));
                }
                tx.execute(&q).await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// A dossier a rating is tied to: (dossier, unit, procedure, completed at, unit quality).
type Tied = (String, String, Option<String>, DateTime<Utc>, f64);

/// What a synthetic run wrote.
#[derive(Debug, Default)]
pub struct BulkReport {
    pub dossiers: u64,
    pub ratings: u64,
    pub scores: u64,
    pub complaints: u64,
    pub seconds: f64,
}

impl std::fmt::Display for BulkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} dossiers, {} ratings ({} component answers), {} complaints in {:.1} s ({:.0} rows/s)",
            self.dossiers,
            self.ratings,
            self.scores,
            self.complaints,
            self.seconds,
            (self.dossiers + self.ratings + self.scores + self.complaints) as f64
                / self.seconds.max(1e-9)
        )
    }
}

/// How well a unit is made to do, from its code (the same every run).
fn quality(code: &str) -> f64 {
    let h = code.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    });
    0.6 + (h % 1000) as f64 / 1000.0 * 0.38
}

fn random_time(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds(rng.random_range(0..span))
}

/// Writes `dossiers`, `ratings` and `complaints` spread over `year` (up to now) across the units
/// of that year and the procedures they perform.
pub async fn seed(
    db: &DatabaseConnection,
    cal: &crate::calendar::Calendar,
    year: i32,
    dossiers: u64,
    ratings: u64,
    complaints: u64,
    progress: bool,
) -> anyhow::Result<BulkReport> {
    let started = Instant::now();
    let units = crate::par::units_of_year(db, year).await?;
    anyhow::ensure!(
        !units.is_empty(),
        "no unit existed in {year}; load units first (portal seed --demo)"
    );
    let links = procedure_unit::Entity::find().all(db).await?;
    let mut pairs: Vec<(String, Option<String>, f64)> = Vec::new();
    for u in &units {
        let q = quality(&u.code);
        let mine: Vec<&procedure_unit::Model> =
            links.iter().filter(|l| l.unit_id == u.id).collect();
        if mine.is_empty() {
            pairs.push((u.id.clone(), None, q));
        }
        for l in mine {
            pairs.push((u.id.clone(), Some(l.procedure_id.clone()), q));
        }
    }
    let any_proc = links.first().map(|l| l.procedure_id.clone());
    let y0 = crate::clock::day_start("year", NaiveDate::from_ymd_opt(year, 1, 1).expect("year"))?;
    let y1 = crate::clock::day_start(
        "year",
        NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year"),
    )?;
    let end = y1.min(crate::clock::now());
    anyhow::ensure!(end > y0, "{year} has not started yet");
    let run: String = uuid::Uuid::new_v4().simple().to_string()[..6].to_uppercase();
    let mut rng = StdRng::from_os_rng();
    let mut report = BulkReport::default();
    let total = dossiers + ratings + complaints;
    let bar = crate::import::progress(total as usize, "synthetic data", progress);
    let batch = 20_000u64;

    // Dossiers, with the first ratings tied to them.
    let mut tied: Vec<Tied> = Vec::new();
    let mut n = 0u64;
    while n < dossiers {
        let k = batch.min(dossiers - n);
        let now = crate::clock::now();
        let mut rows = Vec::with_capacity(k as usize);
        for i in 0..k {
            let (unit_id, proc_id, q) = &pairs[rng.random_range(0..pairs.len())];
            let Some(proc_id) = proc_id.clone().or_else(|| any_proc.clone()) else {
                anyhow::bail!("no procedure in the catalog; load procedures first");
            };
            let received = random_time(&mut rng, y0, end);
            let days = rng.random_range(1..=15);
            let due = cal.deadline(received, days);
            let completed = if rng.random_bool(0.9) {
                let on_time = rng.random_bool(*q);
                let t = if on_time {
                    received + (due - received) * rng.random_range(20..100) / 100
                } else {
                    due + Duration::hours(rng.random_range(2..400))
                };
                Some(t).filter(|t| *t <= now)
            } else {
                None
            };
            let late = completed.map_or(now > due, |c| c > due);
            let (apology_at, apology_late) = if late && rng.random_bool(0.7) {
                let timely = rng.random_bool(*q);
                let at = if timely {
                    due - Duration::days(2)
                } else {
                    due + Duration::hours(3)
                };
                (Cell::T(at), Cell::B(!timely))
            } else {
                (Cell::Null, Cell::Null)
            };
            let id = uuid::Uuid::now_v7().to_string();
            if (tied.len() as u64) < ratings
                && let Some(c) = completed
            {
                tied.push((id.clone(), unit_id.clone(), Some(proc_id.clone()), c, *q));
            }
            rows.push(vec![
                Cell::S(id),
                Cell::S(format!("SYN-{run}-{:09}", n + i)),
                Cell::S(proc_id),
                Cell::S(unit_id.clone()),
                Cell::S("CITIZEN".into()),
                Cell::T(received),
                Cell::T(due),
                Cell::T(due),
                completed.map_or(Cell::Null, Cell::T),
                apology_at.clone(),
                match apology_at {
                    Cell::Null => Cell::Null,
                    _ => Cell::S("Hồ sơ cần xác minh thêm (dữ liệu tổng hợp).".into()),
                },
                apology_late,
                Cell::S("synthetic".into()),
                Cell::B(false),
                Cell::B(false),
                Cell::B(false),
                Cell::T(now),
                Cell::T(now),
            ]);
        }
        write(
            db,
            "dossiers",
            &[
                "id",
                "code",
                "procedure_id",
                "unit_id",
                "filer_kind",
                "received_at",
                "original_due_at",
                "due_at",
                "completed_at",
                "apology_issued_at",
                "apology_reason",
                "apology_late",
                "recorded_by",
                "online",
                "due_given",
                "apology_at_handover",
                "created_at",
                "updated_at",
            ],
            &rows,
        )
        .await?;
        n += k;
        report.dossiers += k;
        bar.inc(k);
    }

    // Ratings with their component answers.
    let mut n = 0u64;
    while n < ratings {
        let k = batch.min(ratings - n);
        let mut rows = Vec::with_capacity(k as usize);
        let mut scores = Vec::with_capacity(k as usize * 5);
        let mut counted: Vec<(String, String, Component, i32)> = Vec::with_capacity(k as usize * 5);
        for i in 0..k {
            let idx = (n + i) as usize;
            let (dossier, unit_id, proc_id, at, q) = match tied.get(idx) {
                Some((d, u, p, c, q)) => (
                    Cell::S(d.clone()),
                    u.clone(),
                    p.clone(),
                    *c + Duration::minutes(rng.random_range(1..600)),
                    *q,
                ),
                None => {
                    let (u, p, q) = &pairs[rng.random_range(0..pairs.len())];
                    (
                        Cell::Null,
                        u.clone(),
                        p.clone(),
                        random_time(&mut rng, y0, end),
                        *q,
                    )
                }
            };
            let at = at.min(end - Duration::seconds(1));
            let id = uuid::Uuid::now_v7().to_string();
            let month = crate::clock::local(at).format("%Y-%m").to_string();
            for c in Component::iter() {
                if rng.random_bool(0.93) {
                    let s: i32 = if rng.random_bool(q) {
                        rng.random_range(4..=5)
                    } else {
                        rng.random_range(1..=3)
                    };
                    scores.push(vec![
                        Cell::S(id.clone()),
                        Cell::S(c.to_value()),
                        Cell::I(s as i64),
                    ]);
                    counted.push((unit_id.clone(), month.clone(), c, s));
                }
            }
            rows.push(vec![
                Cell::S(id),
                dossier,
                Cell::S(unit_id),
                proc_id.map_or(Cell::Null, Cell::S),
                Cell::B(true),
                Cell::S("OTHER".into()),
                Cell::S(month),
                Cell::T(at),
            ]);
        }
        write(
            db,
            "ratings",
            &[
                "id",
                "dossier_id",
                "unit_id",
                "procedure_id",
                "verified",
                "channel",
                "month",
                "created_at",
            ],
            &rows,
        )
        .await?;
        write(
            db,
            "rating_scores",
            &["rating_id", "component", "score"],
            &scores,
        )
        .await?;
        let answers: Vec<crate::ratings::tally::Answer> = counted
            .iter()
            .map(
                |(unit_id, month, component, score)| crate::ratings::tally::Answer {
                    unit_id,
                    month,
                    verified: true,
                    component: *component,
                    score: *score,
                },
            )
            .collect();
        crate::ratings::tally::add(db, &answers).await?;
        n += k;
        report.ratings += k;
        report.scores += scores.len() as u64;
        bar.inc(k);
    }

    // Complaints, queued for search like any other.
    let mut n = 0u64;
    let categories: Vec<complaint::Category> = complaint::Category::iter().collect();
    while n < complaints {
        // As many rows as stay under SQLite's 32,766 bound parameters, whatever the columns.
        let per_batch = (30_000 / complaint::Column::iter().count()) as u64;
        let k = per_batch.min(complaints - n);
        let mut models = Vec::with_capacity(k as usize);
        for _ in 0..k {
            let (unit_id, proc_id, q) = &pairs[rng.random_range(0..pairs.len())];
            let received = random_time(&mut rng, y0, end);
            let answer_due = cal.deadline(received, 10);
            let answered = rng.random_bool(0.85).then(|| {
                if rng.random_bool(*q) {
                    received + (answer_due - received) * rng.random_range(10..100) / 100
                } else {
                    answer_due + Duration::hours(rng.random_range(2..300))
                }
            });
            let answered = answered.filter(|a| *a <= crate::clock::now());
            let code = crate::complaints::code::generate();
            let title = "[Dữ liệu tổng hợp] Hồ sơ giải quyết chậm so với giấy hẹn".to_string();
            let body = "Phản ánh tổng hợp để đo hiệu năng; không phải ý kiến thật của người dân."
                .to_string();
            models.push(complaint::Model {
                search_text: crate::complaints::searchable_text(&title, &body, &code),
                category: categories[rng.random_range(0..categories.len())],
                procedure_id: proc_id.clone(),
                title,
                body,
                contact_name: SYNTHETIC_CONTACT.into(),
                contact_phone: Some("0900000000".into()),
                status: if answered.is_some() {
                    complaint::Status::Answered
                } else {
                    complaint::Status::Accepted
                },
                answer: answered.map(|_| "Đơn vị đã xử lý (dữ liệu tổng hợp).".to_string()),
                answered_at: answered,
                answered_late: answered.map(|a| a > answer_due),
                forward_due_at: cal.deadline(received, 5),
                answer_due_at: answer_due,
                ..crate::complaints::received(
                    uuid::Uuid::now_v7().to_string(),
                    code,
                    unit_id,
                    received,
                )
            });
        }
        let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
        let tx = crate::db::begin(db).await?;
        complaint::Entity::insert_many(models.into_iter().map(complaint::ActiveModel::from))
            .exec(&tx)
            .await?;
        outbox::enqueue(&tx, IndexKind::Complaints, &ids).await?;
        tx.commit().await?;
        n += k;
        report.complaints += k;
        bar.inc(k);
    }
    bar.finish_and_clear();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
