//! The admin-login slowdown: repeated failed admin-token attempts make a client wait.
//! (Security headers, CORS and request ids are tower-http layers, set up in `http/mod.rs`.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failed admin-token attempts per client (its [`crate::http::client::ClientAddr::key`]). After [`FREE_FAILURES`] in a row an
/// address waits before its next attempt, twice as long after each further failure (at most
/// [`MAX_WAIT_MS`]); a success clears its record.
#[derive(Debug, Default)]
pub struct AdminGuard {
    failures: Mutex<HashMap<IpAddr, (u32, i64)>>,
}

/// Failures allowed before an address has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait, ms.
pub const MAX_WAIT_MS: i64 = 5 * 60 * 1000;
/// Addresses remembered at most (the oldest are forgotten first beyond this).
const MAX_TRACKED: usize = 100_000;

impl AdminGuard {
    fn wait_ms(failures: u32) -> i64 {
        if failures < FREE_FAILURES {
            return 0;
        }
        let doublings = (failures - FREE_FAILURES).min(20);
        (1_000i64 << doublings).min(MAX_WAIT_MS)
    }

    /// Milliseconds `ip` must still wait at `now_ms` (0: it may try).
    pub fn must_wait(&self, ip: IpAddr, now_ms: i64) -> i64 {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&ip)
            .map_or(0, |&(n, last)| (last + Self::wait_ms(n) - now_ms).max(0))
    }

    /// Records a failed attempt.
    pub fn failed(&self, ip: IpAddr, now_ms: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            if let Some(oldest) = map.iter().min_by_key(|(_, v)| v.1).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        let e = map.entry(ip).or_insert((0, now_ms));
        *e = (e.0 + 1, now_ms);
    }

    /// Records a success: the address starts afresh.
    pub fn succeeded(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_make_an_address_wait_longer_and_longer() {
        let g = AdminGuard::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..FREE_FAILURES - 1 {
            g.failed(ip, 1_000);
        }
        assert_eq!(g.must_wait(ip, 1_000), 0, "a few typos cost nothing");
        g.failed(ip, 1_000);
        assert_eq!(g.must_wait(ip, 1_000), 1_000);
        assert_eq!(g.must_wait(ip, 1_600), 400);
        assert_eq!(g.must_wait(ip, 2_000), 0);
        g.failed(ip, 2_000);
        assert_eq!(g.must_wait(ip, 2_000), 2_000, "doubled");
        for _ in 0..30 {
            g.failed(ip, 2_000);
        }
        assert_eq!(g.must_wait(ip, 2_000), MAX_WAIT_MS, "capped");
        assert_eq!(
            g.must_wait(other, 2_000),
            0,
            "other addresses are not affected"
        );
        g.succeeded(ip);
        assert_eq!(g.must_wait(ip, 2_000), 0);
    }
}
