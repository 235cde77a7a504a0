//! A sliding-window counter keyed by account, client address or code, kept in the database:
//! every server of one portal counts against the same rows, so a limit holds across a load
//! balancer; with one server on SQLite it is the same code.
//!
//! Checking and counting are one step: one upsert adds the hit and returns the counts, and a
//! hit over the limit is taken back at once; so many concurrent attempts, on one server or on
//! several, never pass more than the limit. An attempt that turns out not to count (a
//! successful sign-in, the right contact) is given back with [`RateLimiter::give_back`].
//!
//! Windows are aligned on the clock (hour N, hour N + 1, …), and the window slides: the
//! previous window's count weighs by how much of it still overlaps the last `window` (the
//! approximation Cloudflare and nginx use), so a burst at a window's edge does not get twice
//! the limit. Keys are stored as keyed hashes (SHA-256 of the server secret and the key, so
//! the table's rows cannot be turned back into addresses or logins without the secret, which
//! every server of one portal shares). Rows older than two windows are swept now and then.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sha2::Digest;

use crate::error::AppResult;

pub struct RateLimiter {
    /// The limiter's name, part of each row's key.
    name: &'static str,
    window: Duration,
    db: DatabaseConnection,
    /// Mixed into the hash of every key.
    secret: std::sync::Arc<[u8]>,
}

/// The counts of a key after a hit: this window's (the hit included) and the previous one's.
struct Counts {
    current: i64,
    previous: i64,
}

const UPSERT: &str = "INSERT INTO rate_counts (name, key, win, current, previous) VALUES ($1, $2, $3, 1, 0) \
     ON CONFLICT (name, key) DO UPDATE SET \
       previous = CASE WHEN rate_counts.win = excluded.win THEN rate_counts.previous \
                       WHEN rate_counts.win = excluded.win - 1 THEN rate_counts.current ELSE 0 END, \
       current = CASE WHEN rate_counts.win = excluded.win THEN rate_counts.current + 1 ELSE 1 END, \
       win = excluded.win \
     RETURNING current, previous";
const GIVE_BACK: &str = "UPDATE rate_counts SET current = current - 1 WHERE name = $1 AND key = $2 AND win = $3 AND current > 0";
const CLEAR: &str = "DELETE FROM rate_counts WHERE name = $1 AND key = $2";
const SWEEP: &str = "DELETE FROM rate_counts WHERE name = $1 AND win < $2";

/// One hit in this many sweeps the limiter's stale rows.
const SWEEP_ONE_IN: u32 = 256;

impl RateLimiter {
    pub fn new(
        name: &'static str,
        window: Duration,
        db: DatabaseConnection,
        secret: std::sync::Arc<[u8]>,
    ) -> RateLimiter {
        RateLimiter {
            name,
            window,
            db,
            secret,
        }
    }

    /// The window now, and how far into it (0 to 1).
    fn now(&self) -> (i64, f64) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let w = self.window.as_secs_f64().max(0.001);
        let win = (secs / w).floor();
        (win as i64, secs / w - win)
    }

    fn key(&self, key: &str) -> String {
        let mut h = sha2::Sha256::new();
        h.update(&self.secret);
        h.update([0]);
        h.update(key.as_bytes());
        h.finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn statement(&self, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
        let backend = self.db.get_database_backend();
        let sql = if backend == DbBackend::Sqlite {
            // The statements use $1, $2 … once each and in order.
            let mut s = sql.to_string();
            for i in (1..=values.len()).rev() {
                s = s.replace(&format!("${i}"), "?");
            }
            s
        } else {
            sql.to_string()
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    /// Runs one write, through SQLite's write queue (see [`crate::db::WriteTxn`]).
    async fn write(&self, stmt: Statement) -> AppResult<Option<sea_orm::QueryResult>> {
        if self.db.get_database_backend() == DbBackend::Sqlite {
            let txn = crate::db::begin(&self.db).await?;
            let row = txn.query_one_raw(stmt).await?;
            txn.commit().await?;
            Ok(row)
        } else {
            Ok(self.db.query_one_raw(stmt).await?)
        }
    }

    /// Counts one hit against `key` if it has fewer than `limit` over the last window; else
    /// the seconds until it may try again (`Some`). Check and count are one step.
    pub async fn take(&self, key: &str, limit: u32) -> AppResult<Option<u64>> {
        let (win, into) = self.now();
        let k = self.key(key);
        if rand::random_range(0..SWEEP_ONE_IN) == 0 {
            let sweep = self.statement(SWEEP, vec![self.name.into(), (win - 1).into()]);
            self.write(sweep).await?;
        }
        let stmt = self.statement(UPSERT, vec![self.name.into(), k.clone().into(), win.into()]);
        let row = self.write(stmt).await?;
        let counts = match row {
            Some(r) => Counts {
                current: r.try_get::<i64>("", "current")?,
                previous: r.try_get::<i64>("", "previous")?,
            },
            None => return Ok(None),
        };
        let estimate = counts.previous as f64 * (1.0 - into) + counts.current as f64;
        if estimate <= limit as f64 {
            return Ok(None);
        }
        // Over: the hit is taken back, and the caller told when there will be room.
        let back = self.statement(GIVE_BACK, vec![self.name.into(), k.into(), win.into()]);
        self.write(back).await?;
        Ok(Some(self.wait(&counts, estimate, into, limit)))
    }

    /// Whether one more hit on `key` would pass, without counting it: `Some(seconds)` to wait
    /// when it would not.
    pub async fn peek(&self, key: &str, limit: u32) -> AppResult<Option<u64>> {
        let (win, into) = self.now();
        let stmt = self.statement(
            "SELECT win, current, previous FROM rate_counts WHERE name = $1 AND key = $2",
            vec![self.name.into(), self.key(key).into()],
        );
        let Some(r) = self.db.query_one_raw(stmt).await? else {
            return Ok(None);
        };
        let (at, current, previous) = (
            r.try_get::<i64>("", "win")?,
            r.try_get::<i64>("", "current")?,
            r.try_get::<i64>("", "previous")?,
        );
        // The counts as the next hit would find them, that hit included.
        let counts = if at == win {
            Counts {
                current: current + 1,
                previous,
            }
        } else if at == win - 1 {
            Counts {
                current: 1,
                previous: current,
            }
        } else {
            return Ok(None);
        };
        let estimate = counts.previous as f64 * (1.0 - into) + counts.current as f64;
        if estimate <= limit as f64 {
            return Ok(None);
        }
        Ok(Some(self.wait(&counts, estimate, into, limit)))
    }

    /// Seconds until a key over its limit has room again.
    fn wait(&self, counts: &Counts, estimate: f64, into: f64, limit: u32) -> u64 {
        let w = self.window.as_secs_f64();
        let before = (counts.current - 1).max(0) as f64;
        let room = limit.saturating_sub(1) as f64;
        let wait = if before <= room && counts.previous > 0 {
            // The previous window's weight must fall by the excess.
            let excess = estimate - limit as f64;
            w * excess / counts.previous as f64
        } else {
            // After this window ends, its hits weigh as the previous window's.
            let after = w * (1.0 - room / before.max(1.0));
            w * (1.0 - into) + after.max(0.0)
        };
        (wait.ceil() as u64).max(1)
    }

    /// Takes one hit on each of several keys, all or none: when one is over its limit, the hits
    /// already taken are given back, and the answer names that key's index and wait.
    pub async fn take_all(&self, keys: &[(&str, u32)]) -> AppResult<Option<(usize, u64)>> {
        for (i, (key, limit)) in keys.iter().enumerate() {
            if let Some(secs) = self.take(key, *limit).await? {
                for (taken, _) in &keys[..i] {
                    self.give_back(taken).await?;
                }
                return Ok(Some((i, secs)));
            }
        }
        Ok(None)
    }

    /// Gives back one hit taken with [`RateLimiter::take`] (the attempt did not count).
    pub async fn give_back(&self, key: &str) -> AppResult<()> {
        let (win, _) = self.now();
        let stmt = self.statement(
            GIVE_BACK,
            vec![self.name.into(), self.key(key).into(), win.into()],
        );
        self.write(stmt).await?;
        Ok(())
    }

    /// Forgets `key` (after a successful sign-in, say).
    pub async fn clear(&self, key: &str) -> AppResult<()> {
        let stmt = self.statement(CLEAR, vec![self.name.into(), self.key(key).into()]);
        self.write(stmt).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn secret() -> Arc<[u8]> {
        Arc::from(&b"a-test-secret"[..])
    }

    #[test]
    fn keys_are_hashed_with_the_secret() {
        let db = sea_orm::DatabaseConnection::default();
        let a = RateLimiter::new("t", Duration::from_secs(1), db.clone(), secret());
        let b = RateLimiter::new("t", Duration::from_secs(1), db, Arc::from(&b"other"[..]));
        assert_eq!(a.key("addr:127.0.0.1").len(), 32);
        assert_ne!(a.key("addr:127.0.0.1"), b.key("addr:127.0.0.1"));
        let plain: String = sha2::Sha256::digest(b"addr:127.0.0.1")
            .iter()
            .take(16)
            .map(|x| format!("{x:02x}"))
            .collect();
        assert_ne!(a.key("addr:127.0.0.1"), plain);
    }

    async fn db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn blocks_after_limit_gives_back_and_clears() {
        let (_d, db) = db().await;
        let r = RateLimiter::new("t", Duration::from_secs(3600), db, secret());
        for _ in 0..3 {
            assert_eq!(r.take("a", 3).await.unwrap(), None);
        }
        let wait = r.take("a", 3).await.unwrap().expect("over the limit");
        assert!((1..=7200).contains(&wait), "{wait}");
        assert_eq!(r.take("b", 3).await.unwrap(), None);
        r.give_back("a").await.unwrap();
        assert_eq!(r.take("a", 3).await.unwrap(), None);
        assert!(r.take("a", 3).await.unwrap().is_some());
        r.clear("a").await.unwrap();
        assert_eq!(r.take("a", 3).await.unwrap(), None);
        // A peek counts nothing.
        assert_eq!(r.peek("a", 3).await.unwrap(), None);
        assert_eq!(r.take("a", 3).await.unwrap(), None);
        assert_eq!(r.take("a", 3).await.unwrap(), None);
        assert!(r.peek("a", 3).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn several_keys_are_taken_all_or_none() {
        let (_d, db) = db().await;
        let r = RateLimiter::new("t", Duration::from_secs(3600), db, secret());
        assert_eq!(r.take("b", 1).await.unwrap(), None);
        assert_eq!(
            r.take_all(&[("a", 5), ("b", 1)]).await.unwrap().unwrap().0,
            1
        );
        // "a" was given back: five more fit.
        for _ in 0..5 {
            assert_eq!(r.take("a", 5).await.unwrap(), None);
        }
        assert!(r.take("a", 5).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn concurrent_takes_of_two_limiters_on_one_database_never_pass_the_limit() {
        let (_d, db) = db().await;
        // Two servers' limiters of the same name share the counts.
        let one = Arc::new(RateLimiter::new(
            "t",
            Duration::from_secs(3600),
            db.clone(),
            secret(),
        ));
        let two = Arc::new(RateLimiter::new(
            "t",
            Duration::from_secs(3600),
            db,
            secret(),
        ));
        let tasks = (0..40).map(|i| {
            let r = if i % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move { r.take("k", 5).await.unwrap().is_none() })
        });
        let mut passed = 0;
        for t in tasks {
            passed += usize::from(t.await.unwrap());
        }
        assert_eq!(passed, 5);
    }

    #[tokio::test]
    async fn the_previous_window_still_counts_as_it_slides_out() {
        let (_d, db) = db().await;
        let r = RateLimiter::new("t", Duration::from_secs(2), db, secret());
        // Start just after a window's edge.
        let (win, _) = r.now();
        while r.now().0 == win {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for _ in 0..4 {
            assert_eq!(r.take("k", 4).await.unwrap(), None);
        }
        let (win, _) = r.now();
        while r.now().0 == win {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Just past the edge almost all of the previous window's 4 hits still count.
        assert!(r.take("k", 4).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(r.take("k", 4).await.unwrap(), None);
    }
}
