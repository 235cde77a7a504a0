//! A sliding-window counter keyed by account, client address or code, kept in memory.
//!
//! Checking and counting are one step ([`RateLimiter::take`], under one lock), so that many
//! concurrent attempts cannot all pass a check made before any of them was counted. An attempt
//! that turns out not to count (a successful sign-in, the right contact) is given back with
//! [`RateLimiter::give_back`].
//!
//! The window slides: the count of the previous window weighs by how much of it still overlaps
//! the last `window` (the approximation Cloudflare and nginx use), so a burst at a window's edge
//! does not get twice the limit.
//!
//! Each server instance counts on its own: behind a load balancer with N instances a limit is at
//! most N times looser.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts of one key: the current window's start and hits, and the previous window's hits.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: Instant,
    current: u32,
    previous: u32,
}

pub struct RateLimiter {
    window: Duration,
    slots: Mutex<Slots>,
}

struct Slots {
    map: HashMap<String, Slot>,
    /// The size at which stale keys are next swept: twice what the last sweep left, so that
    /// many live keys (one per guessed login, say) cost one sweep per doubling, not one per hit.
    sweep_at: usize,
}

/// Keys kept before stale ones are first swept.
const SWEEP_AT: usize = 100_000;

impl RateLimiter {
    pub fn new(window: Duration) -> RateLimiter {
        RateLimiter {
            window,
            slots: Mutex::new(Slots {
                map: HashMap::new(),
                sweep_at: SWEEP_AT,
            }),
        }
    }

    fn roll(&self, s: &mut Slot, now: Instant) {
        let elapsed = now.duration_since(s.start);
        if elapsed >= self.window * 2 {
            *s = Slot {
                start: now,
                current: 0,
                previous: 0,
            };
        } else if elapsed >= self.window {
            *s = Slot {
                start: s.start + self.window,
                current: 0,
                previous: s.current,
            };
        }
    }

    /// The weighted count over the last window.
    fn estimate(&self, s: &Slot, now: Instant) -> f64 {
        let into = now.duration_since(s.start).as_secs_f64() / self.window.as_secs_f64();
        s.previous as f64 * (1.0 - into).max(0.0) + s.current as f64
    }

    /// Counts one hit against `key` if it has fewer than `limit` over the last window; else
    /// the seconds until it may try again. Check and count are one step.
    pub fn take(&self, key: &str, limit: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.map.len() > slots.sweep_at {
            let w2 = self.window * 2;
            slots.map.retain(|_, s| now.duration_since(s.start) < w2);
            slots.sweep_at = (slots.map.len() * 2).max(SWEEP_AT);
        }
        let s = slots.map.entry(key.to_string()).or_insert(Slot {
            start: now,
            current: 0,
            previous: 0,
        });
        self.roll(s, now);
        if self.estimate(s, now) + 1.0 > limit as f64 {
            // Until enough of the previous window has slid out, or the current one ends.
            let into = now.duration_since(s.start);
            let w = self.window.as_secs_f64();
            let room = limit.saturating_sub(1) as f64;
            let wait = if (s.current as f64) <= room && s.previous > 0 {
                // The previous window's weight must fall by the excess.
                let excess = self.estimate(s, now) + 1.0 - limit as f64;
                Duration::from_secs_f64(w * excess / s.previous as f64)
            } else {
                // After this window ends, its hits weigh as the previous window's.
                let after = w * (1.0 - room / s.current.max(1) as f64);
                self.window.saturating_sub(into) + Duration::from_secs_f64(after.max(0.0))
            };
            return Err(wait.as_secs().max(1));
        }
        s.current += 1;
        Ok(())
    }

    /// Takes one hit on each of several keys, all or none: when one is over its limit, the hits
    /// already taken are given back, and the answer names that key's index and wait.
    pub fn take_all(&self, keys: &[(&str, u32)]) -> Result<(), (usize, u64)> {
        for (i, (key, limit)) in keys.iter().enumerate() {
            if let Err(secs) = self.take(key, *limit) {
                for (taken, _) in &keys[..i] {
                    self.give_back(taken);
                }
                return Err((i, secs));
            }
        }
        Ok(())
    }

    /// Gives back one hit taken with [`RateLimiter::take`] (the attempt did not count).
    pub fn give_back(&self, key: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.map.get_mut(key) {
            s.current = s.current.saturating_sub(1);
        }
    }

    /// Forgets `key` (after a successful sign-in, say).
    pub fn clear(&self, key: &str) {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn blocks_after_limit_gives_back_and_clears() {
        let r = RateLimiter::new(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(r.take("a", 3).is_ok());
        }
        // Free again once the window has ended and a third of its hits slid out: 60 + 20 s.
        let wait = r.take("a", 3).unwrap_err();
        assert!((79..=80).contains(&wait), "{wait}");
        assert!(r.take("b", 3).is_ok());
        r.give_back("a");
        assert!(r.take("a", 3).is_ok());
        assert!(r.take("a", 3).is_err());
        r.clear("a");
        assert!(r.take("a", 3).is_ok());
    }

    #[test]
    fn several_keys_are_taken_all_or_none() {
        let r = RateLimiter::new(Duration::from_secs(60));
        assert!(r.take("b", 1).is_ok());
        assert_eq!(r.take_all(&[("a", 5), ("b", 1)]).unwrap_err().0, 1);
        // "a" was given back: five more fit.
        for _ in 0..5 {
            assert!(r.take("a", 5).is_ok());
        }
        assert!(r.take("a", 5).is_err());
    }

    #[test]
    fn concurrent_takes_never_pass_the_limit() {
        let r = Arc::new(RateLimiter::new(Duration::from_secs(60)));
        let passed: usize = (0..8)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || (0..50).filter(|_| r.take("k", 5).is_ok()).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(passed, 5);
    }

    #[test]
    fn the_previous_window_still_counts_as_it_slides_out() {
        let r = RateLimiter::new(Duration::from_millis(200));
        for _ in 0..4 {
            assert!(r.take("k", 4).is_ok());
        }
        std::thread::sleep(Duration::from_millis(220));
        // Just past the edge almost all of the previous window's 4 hits still count.
        assert!(r.take("k", 4).is_err());
        std::thread::sleep(Duration::from_millis(400));
        assert!(r.take("k", 4).is_ok());
    }
}
