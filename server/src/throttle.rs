//! Per-API-user throttling (contract: "Throttling"): `requests` per `perSeconds`, by the
//! generic cell rate algorithm: a burst of `requests` passes, then one request per
//! `perSeconds / requests`. Over the limit → 429 with the exact seconds to wait.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::RateLimit;

/// The throttle's state: each user's theoretical arrival time, in microseconds (by key id,
/// which the server makes: foldhash, as for the keys' index in `auth.rs`).
#[derive(Debug, Default)]
pub struct Throttle {
    tat: Mutex<HashMap<String, u64, foldhash::fast::RandomState>>,
}

impl Throttle {
    /// Forgets a user's history (its limit changed: the new one starts fresh).
    pub fn reset(&self, user: &str) {
        if let Ok(mut t) = self.tat.lock() {
            t.remove(user);
        }
    }

    /// Admits a request of `user` at `now_us`, or says how many seconds to wait.
    pub fn admit(&self, user: &str, limit: RateLimit, now_us: u64) -> Result<(), u64> {
        let requests = u64::from(limit.requests.max(1));
        let window = u64::from(limit.per_seconds.max(1)) * 1_000_000;
        let interval = window / requests;
        let Ok(mut tats) = self.tat.lock() else {
            return Ok(());
        };
        let kept = tats.get_mut(user);
        let tat = kept.as_deref().copied().unwrap_or(now_us).max(now_us);
        let allow_at = tat.saturating_sub(window - interval);
        if now_us < allow_at {
            return Err((allow_at - now_us).div_ceil(1_000_000));
        }
        // Each user's window is kept from its first request on: the key is copied only then.
        match kept {
            Some(t) => *t = tat + interval,
            None => {
                tats.insert(user.to_owned(), tat + interval);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let t = Throttle::default();
        let limit = RateLimit {
            requests: 3,
            per_seconds: 3,
        };
        for _ in 0..3 {
            assert_eq!(t.admit("u", limit, 0), Ok(()));
        }
        assert_eq!(t.admit("u", limit, 0), Err(1));
        assert_eq!(t.admit("other", limit, 0), Ok(()));
        assert_eq!(t.admit("u", limit, 999_999), Err(1));
        assert_eq!(t.admit("u", limit, 1_000_000), Ok(()));
        assert_eq!(t.admit("u", limit, 1_000_000), Err(1));
    }

    #[test]
    fn waiting_a_whole_window_restores_the_burst() {
        let t = Throttle::default();
        let limit = RateLimit {
            requests: 2,
            per_seconds: 10,
        };
        assert!(t.admit("u", limit, 0).is_ok());
        assert!(t.admit("u", limit, 0).is_ok());
        assert_eq!(t.admit("u", limit, 0), Err(5));
        assert!(t.admit("u", limit, 10_000_000).is_ok());
        assert!(t.admit("u", limit, 10_000_000).is_ok());
    }
}
