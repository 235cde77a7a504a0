//! Ratings that staff cannot make. A unit's officials hand out the receipts, so the rating codes
//! pass through their hands; the code alone cannot prove the filer against them. Besides the
//! rules that a staff token never rates and that nobody reads a code after the receipt is
//! printed:
//! - every client address an official of a unit signs in from is remembered (as a keyed hash)
//!   for an hour, and a rating of that unit's dossiers (or its wards') from there is refused;
//! - every rating keeps the keyed hash of its address, and the evaluator gets the signals of a
//!   unit rating itself, per unit and month ([`signals`]).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::{dossier, rating, rating_score, staff_address, unit};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use sha2::Digest;

use crate::auth::{Actor, Role};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long an address an official used stays closed to ratings of the official's units.
pub const STAFF_ADDRESS_HOURS: i64 = 1;

/// A rating given within this many minutes of the result's hand-over is a signal.
pub const QUICK_MINUTES: i64 = 10;
/// This many verified ratings of one unit from one address within an hour are a burst.
pub const BURST_SIZE: usize = 3;
/// This many consecutive ratings of one unit with the very same scores are a signal.
pub const REPEAT_RUN: usize = 5;

/// The keyed hash of a client address (the server secret is the key): the same for every
/// server of a portal, and no address can be read back from it.
pub fn client_hash(config: &Config, client: IpAddr) -> String {
    let mut h = sha2::Sha256::new();
    h.update(config.jwt_secret.as_deref().unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(b"client:");
    h.update(client.to_string().as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When each (unit, address) was last written, so that a busy official writes once in a while,
/// not on every request.
static WRITTEN: Mutex<Option<HashMap<(String, String), Instant>>> = Mutex::new(None);

/// How often one official's address is written again while it stays in use.
const REFRESH: Duration = Duration::from_secs(300);

/// Remembers the address a unit's official (a signed-in account) makes a request from.
pub async fn note_staff(state: &AppState, actor: &Actor, client: IpAddr) -> AppResult<()> {
    let Some(p) = actor.principal() else {
        return Ok(());
    };
    let (Role::Official, Some(unit), Some(_)) = (p.role, p.unit_id.as_ref(), p.account_id.as_ref())
    else {
        return Ok(());
    };
    let hash = client_hash(&state.config, client);
    let key = (unit.clone(), hash.clone());
    {
        let mut guard = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
        let map = guard.get_or_insert_with(HashMap::new);
        if map.get(&key).is_some_and(|t| t.elapsed() < REFRESH) {
            return Ok(());
        }
        if map.len() > 10_000 {
            map.retain(|_, t| t.elapsed() < REFRESH);
        }
        map.insert(key, Instant::now());
    }
    let txn = crate::db::begin(&state.db).await?;
    staff_address::Entity::insert(staff_address::ActiveModel {
        unit_id: sea_orm::Set(unit.clone()),
        client_hash: sea_orm::Set(hash),
        last_seen: sea_orm::Set(crate::clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            staff_address::Column::UnitId,
            staff_address::Column::ClientHash,
        ])
        .update_column(staff_address::Column::LastSeen)
        .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// `FORBIDDEN` when an official of the dossier's unit (or of the unit above it, who acts for
/// it) used this address in the last hour ([`used_by_staff`]).
pub async fn refuse_from_staff_address(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    hash: &str,
) -> AppResult<()> {
    if used_by_staff(db, d, hash).await? {
        return Err(AppError::forbidden(
            "Không nhận đánh giá hồ sơ từ địa chỉ mạng mà cán bộ của đơn vị vừa sử dụng; hãy đánh giá từ thiết bị và mạng của chính bạn.",
            "A rating of the unit's dossiers is not taken from a network address its officials just used; rate from your own device and network.",
        ));
    }
    Ok(())
}

/// Whether an official of the dossier's unit (or of the unit above it, who acts for it) used
/// the client address whose hash ([`client_hash`]) is `hash` in the last hour: a rating of the
/// dossier from there is refused.
pub async fn used_by_staff(
    db: &impl ConnectionTrait,
    d: &dossier::Model,
    hash: &str,
) -> AppResult<bool> {
    let used = units_used_from(db, hash).await?;
    if used.is_empty() {
        return Ok(false);
    }
    let parent = unit::Entity::find_by_id(d.unit_id.clone())
        .select_only()
        .column(unit::Column::ParentId)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?
        .flatten();
    Ok(refused_from(&used, &d.unit_id, parent.as_deref()))
}

/// The units whose officials used the client address whose hash is `hash` in the last hour.
pub async fn units_used_from(db: &impl ConnectionTrait, hash: &str) -> AppResult<Vec<String>> {
    let since = crate::clock::now() - chrono::Duration::hours(STAFF_ADDRESS_HOURS);
    Ok(staff_address::Entity::find()
        .select_only()
        .column(staff_address::Column::UnitId)
        .filter(staff_address::Column::ClientHash.eq(hash))
        .filter(staff_address::Column::LastSeen.gte(since))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Whether a rating of a dossier of `unit` (which hangs under `parent`) is refused from an
/// address that officials of the units `used` used in the last hour ([`units_used_from`]): the
/// officials of the unit, and of the unit above it, who act for it.
pub fn refused_from(used: &[String], unit: &str, parent: Option<&str>) -> bool {
    used.iter().any(|u| u == unit || Some(u.as_str()) == parent)
}

/// Loads, per client address hash, the units whose officials used it in the last hour
/// ([`units_used_from`]): what a request's dossiers check their ratings against.
pub struct StaffAddressLoader(pub sea_orm::DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for StaffAddressLoader {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<String>>, AppError> {
        let mut out = HashMap::new();
        for k in keys {
            out.insert(k.clone(), units_used_from(&self.0, k).await?);
        }
        Ok(out)
    }
}

/// The signals of a unit rating itself, for one unit and month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub unit_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Verified ratings of the month.
    pub verified: u64,
    /// Given within [`QUICK_MINUTES`] of the result's hand-over.
    pub quick: u64,
    /// From an address that gave [`BURST_SIZE`] or more of the unit's ratings within an hour.
    pub burst: u64,
    /// In a run of [`REPEAT_RUN`] or more consecutive ratings with the same scores.
    pub repeated: u64,
    /// Touched by any signal.
    pub touched: u64,
}

impl Signals {
    /// The share of the month's verified ratings touched by a signal, in percent.
    pub fn touched_share(&self) -> Option<f64> {
        (self.verified > 0).then(|| 100.0 * self.touched as f64 / self.verified as f64)
    }
}

struct One {
    id: String,
    at: DateTime<Utc>,
    hash: Option<String>,
    completed: Option<DateTime<Utc>>,
    scores: Vec<(String, i32)>,
}

/// The signals of every unit (or one) for a month: evaluators and admins.
pub async fn signals(
    state: &AppState,
    actor: &Actor,
    month: &str,
    unit: Option<&str>,
) -> AppResult<Vec<Signals>> {
    crate::access::require_par_evaluator(actor)?;
    let db = &state.db;
    let mut q = rating::Entity::find()
        .filter(rating::Column::Verified.eq(true))
        .filter(rating::Column::Month.eq(month));
    if let Some(u) = unit {
        q = q.filter(rating::Column::UnitId.eq(u));
    }
    let rows = q.all(db).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let dossier_ids: Vec<String> = rows.iter().filter_map(|r| r.dossier_id.clone()).collect();
    let mut completed: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut scores: HashMap<String, Vec<(String, i32)>> = HashMap::new();
    for chunk in dossier_ids.chunks(500) {
        let found: Vec<(String, Option<DateTime<Utc>>)> = dossier::Entity::find()
            .select_only()
            .column(dossier::Column::Id)
            .column(dossier::Column::CompletedAt)
            .filter(dossier::Column::Id.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        completed.extend(found.into_iter().filter_map(|(id, c)| Some((id, c?))));
    }
    for chunk in ids.chunks(500) {
        use sea_orm::ActiveEnum;
        for s in rating_score::Entity::find()
            .filter(rating_score::Column::RatingId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            scores
                .entry(s.rating_id)
                .or_default()
                .push((s.component.to_value(), s.score));
        }
    }
    let mut by_unit: HashMap<String, Vec<One>> = HashMap::new();
    for r in rows {
        let mut sc = scores.remove(&r.id).unwrap_or_default();
        sc.sort();
        by_unit.entry(r.unit_id.clone()).or_default().push(One {
            completed: r
                .dossier_id
                .as_ref()
                .and_then(|d| completed.get(d).copied()),
            id: r.id,
            at: r.created_at,
            hash: r.client_hash,
            scores: sc,
        });
    }
    let mut out: Vec<Signals> = by_unit
        .into_iter()
        .map(|(unit_id, mut list)| {
            list.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            unit_signals(unit_id, month, &list)
        })
        .collect();
    out.sort_by(|a, b| {
        b.touched_share()
            .partial_cmp(&a.touched_share())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    Ok(out)
}

/// The signals of one unit's ratings of a month, in the order they were given.
fn unit_signals(unit_id: String, month: &str, list: &[One]) -> Signals {
    let quick: HashSet<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.completed
                .is_some_and(|c| r.at >= c && r.at - c <= chrono::Duration::minutes(QUICK_MINUTES))
        })
        .map(|(i, _)| i)
        .collect();
    let mut burst: HashSet<usize> = HashSet::new();
    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in list.iter().enumerate() {
        if let Some(h) = r.hash.as_deref() {
            by_hash.entry(h).or_default().push(i);
        }
    }
    for idx in by_hash.values() {
        // A window of an hour sliding over the address's ratings, in time order.
        let mut start = 0;
        for end in 0..idx.len() {
            while list[idx[end]].at - list[idx[start]].at > chrono::Duration::hours(1) {
                start += 1;
            }
            if end - start + 1 >= BURST_SIZE {
                burst.extend(idx[start..=end].iter().copied());
            }
        }
    }
    let mut repeated: HashSet<usize> = HashSet::new();
    let mut run_start = 0;
    for i in 1..=list.len() {
        if i == list.len() || list[i].scores != list[run_start].scores {
            if i - run_start >= REPEAT_RUN {
                repeated.extend(run_start..i);
            }
            run_start = i;
        }
    }
    let touched: HashSet<usize> = quick
        .iter()
        .chain(burst.iter())
        .chain(repeated.iter())
        .copied()
        .collect();
    Signals {
        unit_id,
        month: month.to_string(),
        verified: list.len() as u64,
        quick: quick.len() as u64,
        burst: burst.len() as u64,
        repeated: repeated.len() as u64,
        touched: touched.len() as u64,
    }
}

/// Forgets the addresses no longer in use (older than the hour they count for).
pub async fn prune(db: &impl ConnectionTrait) -> AppResult<()> {
    let before = crate::clock::now() - chrono::Duration::hours(STAFF_ADDRESS_HOURS + 1);
    staff_address::Entity::delete_many()
        .filter(staff_address::Column::LastSeen.lt(before))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(i: u32, mins: i64, hash: &str, done_mins_before: Option<i64>, score: i32) -> One {
        let t0 = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let at = t0 + chrono::Duration::minutes(mins);
        One {
            id: format!("r{i:03}"),
            at,
            hash: Some(hash.into()),
            completed: done_mins_before.map(|m| at - chrono::Duration::minutes(m)),
            scores: vec![("OFFICIAL".into(), score)],
        }
    }

    #[test]
    fn each_signal_counts_the_ratings_it_touches_once() {
        let list = vec![
            // Three from one address within the hour: a burst; the first also quick.
            one(1, 0, "a", Some(2), 5),
            one(2, 10, "a", Some(600), 5),
            one(3, 50, "a", None, 5),
            // Two more fives make a run of five identical scores.
            one(4, 200, "b", None, 5),
            one(5, 400, "c", None, 5),
            // Different scores, far apart, different addresses: untouched.
            one(6, 600, "d", Some(120), 3),
            one(7, 900, "e", None, 4),
        ];
        let s = unit_signals("U".into(), "2026-03", &list);
        assert_eq!(
            (s.verified, s.quick, s.burst, s.repeated, s.touched),
            (7, 1, 3, 5, 5)
        );
        assert_eq!(
            s.touched_share().map(|x| (x * 100.0).round() / 100.0),
            Some(71.43)
        );
    }

    #[test]
    fn addresses_hash_with_the_secret() {
        let a = Config {
            jwt_secret: Some("one".into()),
            ..Config::default()
        };
        let b = Config {
            jwt_secret: Some("two".into()),
            ..Config::default()
        };
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert_ne!(client_hash(&a, ip), client_hash(&b, ip));
        assert_eq!(client_hash(&a, ip), client_hash(&a, ip));
        assert_eq!(client_hash(&a, ip).len(), 32);
        assert!(!client_hash(&a, ip).contains("203"));
    }
}
