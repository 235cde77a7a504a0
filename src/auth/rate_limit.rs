//! A fixed-window counter keyed by account or client address, kept in memory.
//!
//! Each server instance counts on its own: behind a load balancer with N instances the limit is
//! at most N times looser, which is acceptable for slowing password guessing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    window: Duration,
    slots: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> RateLimiter {
        RateLimiter {
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `key` may try again, if it has used `limit` hits in the current window.
    pub fn blocked_for(&self, key: &str, limit: u32) -> Option<u64> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let (start, n) = slots.get(key)?;
        let elapsed = start.elapsed();
        if elapsed < self.window && *n >= limit {
            Some((self.window - elapsed).as_secs().max(1))
        } else {
            None
        }
    }

    /// Counts one hit against `key`.
    pub fn hit(&self, key: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() > 100_000 {
            let window = self.window;
            slots.retain(|_, (s, _)| s.elapsed() < window);
        }
        let e = slots.entry(key.to_string()).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= self.window {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }

    /// Forgets `key` (after a successful login).
    pub fn clear(&self, key: &str) {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_and_clears() {
        let r = RateLimiter::new(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(r.blocked_for("a", 3).is_none());
            r.hit("a");
        }
        assert!(r.blocked_for("a", 3).is_some());
        assert!(r.blocked_for("b", 3).is_none());
        r.clear("a");
        assert!(r.blocked_for("a", 3).is_none());
    }
}
