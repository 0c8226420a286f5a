//! Admissions taken ahead (PostgreSQL's throttle). The throttle is one shared window per API
//! user in the database, and asking it costs a round trip and a transaction: under load
//! (changes between servers already published together) its calls, about eleven waiting
//! requests each, were nearly half of the transactions the database committed. When a user's
//! requests queue for the throttle, the call that admits them (`txstate_admit_ahead()`,
//! migration 0006) also takes a few admissions ahead, about as many as arrived in the last
//! call's time, and at most half of what the window still holds; the next requests of that
//! user spend them here, without a call, within [`HOLD`]. What is not spent by then goes back
//! to the window with the user's next call.
//!
//! What a partner can notice: a request admitted ahead was decided at most [`HOLD`] before it
//! arrived, as if it had arrived then (a batched request is decided up to a call's time after
//! it arrives anyway). A user sending one request at a time never has admissions taken ahead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::RateLimit;

/// How long admissions taken ahead may be spent.
pub const HOLD: Duration = Duration::from_millis(5);

/// Most admissions taken ahead in one call.
const MOST: u32 = 64;

/// One user's admissions taken ahead.
#[derive(Debug)]
struct Lease {
    limit: RateLimit,
    left: u32,
    taken: u32,
    until: Instant,
}

/// Every user's admissions taken ahead, on this server.
#[derive(Debug, Default)]
pub struct Ahead {
    leases: Mutex<HashMap<String, Lease>>,
}

/// What a call for one user's waiting requests hands back and asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ask {
    /// Admissions taken ahead earlier and not spent: they go back to the window.
    pub returned: u32,
    /// Admissions to take ahead this time.
    pub ahead: u32,
}

impl Ahead {
    /// Spends up to `n` admissions taken ahead for `user` under `limit` at `now`: how many it
    /// could (one for a request as it arrives, or all that queued while a call was out).
    pub fn spend(&self, user: &str, limit: RateLimit, n: usize, now: Instant) -> usize {
        let Ok(mut leases) = self.leases.lock() else {
            return 0;
        };
        match leases.get_mut(user) {
            Some(l) if l.limit == limit && now < l.until => {
                let spent = l.left.min(u32::try_from(n).unwrap_or(u32::MAX));
                l.left -= spent;
                spent as usize
            }
            _ => 0,
        }
    }

    /// Before a call for `waiting` requests of `user`: what its lease (if any) hands back —
    /// all it has left, the call admits anew — and how many to take ahead: as many as
    /// arrived in the lease's time and are waiting now, twice the lease when it was all
    /// spent (so that a busy user's leases grow to what arrives in [`HOLD`]), none when only
    /// one request came (a user sending one request at a time gets none).
    pub fn ask(&self, user: &str, limit: RateLimit, waiting: usize) -> Ask {
        let waiting = u32::try_from(waiting).unwrap_or(u32::MAX);
        let Ok(mut leases) = self.leases.lock() else {
            return Ask {
                returned: 0,
                ahead: 0,
            };
        };
        let (returned, demand) = match leases.remove(user) {
            Some(l) if l.limit == limit => {
                let arrived = waiting.saturating_add(l.taken - l.left);
                let demand = if l.left == 0 {
                    arrived.max(l.taken.saturating_mul(2))
                } else {
                    arrived
                };
                (l.left, demand)
            }
            // Taken under another limit: that window was reset with the limit.
            _ => (0, waiting),
        };
        Ask {
            returned,
            ahead: if demand > 1 { demand.min(MOST) } else { 0 },
        }
    }

    /// After the call: `taken` admissions taken ahead at `sent` (when the call went out, so
    /// that the hold never outlasts [`HOLD`] from the database's decision). A lease another
    /// call left meanwhile keeps its admissions, and the earlier end of the two.
    pub fn keep(&self, user: &str, limit: RateLimit, taken: u32, sent: Instant) {
        if taken == 0 {
            return;
        }
        let until = sent + HOLD;
        if let Ok(mut leases) = self.leases.lock() {
            match leases.get_mut(user) {
                Some(l) if l.limit == limit => {
                    l.left += taken;
                    l.taken += taken;
                    l.until = l.until.min(until);
                }
                _ => {
                    leases.insert(
                        user.to_owned(),
                        Lease {
                            limit,
                            left: taken,
                            taken,
                            until,
                        },
                    );
                }
            }
        }
    }

    /// Forgets a user's lease (its limit changed: the window was reset).
    pub fn forget(&self, user: &str) {
        if let Ok(mut leases) = self.leases.lock() {
            leases.remove(user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        requests: 100,
        per_seconds: 1,
    };

    #[test]
    fn one_request_at_a_time_takes_nothing_ahead() {
        let a = Ahead::default();
        assert_eq!(
            a.ask("u", LIMIT, 1),
            Ask {
                returned: 0,
                ahead: 0
            }
        );
        assert_eq!(a.spend("u", LIMIT, 1, Instant::now()), 0);
    }

    #[test]
    fn a_queue_takes_as_many_ahead_and_they_are_spent_within_the_hold() {
        let a = Ahead::default();
        let t0 = Instant::now();
        let ask = a.ask("u", LIMIT, 5);
        assert_eq!(ask.ahead, 5);
        a.keep("u", LIMIT, 3, t0);
        // Another user, another limit: not theirs.
        assert_eq!(a.spend("v", LIMIT, 1, t0), 0);
        let other = RateLimit {
            requests: 7,
            per_seconds: 1,
        };
        assert_eq!(a.spend("u", other, 1, t0), 0);
        assert_eq!(a.spend("u", LIMIT, 1, t0), 1);
        assert_eq!(a.spend("u", LIMIT, 1, t0 + HOLD / 2), 1);
        // Past the hold: kept for the next call, which hands it back.
        assert_eq!(a.spend("u", LIMIT, 1, t0 + HOLD), 0);
        // Two spent and one waiting: three arrived in the lease's time.
        assert_eq!(
            a.ask("u", LIMIT, 1),
            Ask {
                returned: 1,
                ahead: 3
            }
        );
        // The lease is gone with that call.
        assert_eq!(a.spend("u", LIMIT, 1, t0), 0);
        // A lease spent whole doubles.
        a.keep("u", LIMIT, 3, t0);
        for _ in 0..3 {
            assert_eq!(a.spend("u", LIMIT, 1, t0), 1);
        }
        assert_eq!(
            a.ask("u", LIMIT, 2),
            Ask {
                returned: 0,
                ahead: 6
            }
        );
    }

    #[test]
    fn a_changed_limit_hands_nothing_back_and_forget_drops_the_lease() {
        let a = Ahead::default();
        let t0 = Instant::now();
        a.keep("u", LIMIT, 4, t0);
        let other = RateLimit {
            requests: 7,
            per_seconds: 1,
        };
        assert_eq!(a.ask("u", other, 1).returned, 0);
        a.keep("u", LIMIT, 4, t0);
        a.forget("u");
        assert_eq!(a.spend("u", LIMIT, 1, t0), 0);
        assert_eq!(a.ask("u", LIMIT, 0).returned, 0);
    }

    #[test]
    fn two_calls_at_once_keep_both_leases() {
        let a = Ahead::default();
        let t0 = Instant::now();
        a.keep("u", LIMIT, 2, t0);
        a.keep("u", LIMIT, 3, t0 + HOLD / 2);
        for _ in 0..5 {
            assert_eq!(a.spend("u", LIMIT, 1, t0), 1);
        }
        assert_eq!(a.spend("u", LIMIT, 1, t0), 0);
        // The earlier hold ends both.
        a.keep("u", LIMIT, 1, t0 + HOLD / 2);
        assert_eq!(a.spend("u", LIMIT, 1, t0 + HOLD), 0);
    }

    #[test]
    fn queued_requests_spend_what_is_left() {
        let a = Ahead::default();
        let t0 = Instant::now();
        a.keep("u", LIMIT, 3, t0);
        assert_eq!(a.spend("u", LIMIT, 2, t0), 2);
        assert_eq!(a.spend("u", LIMIT, 5, t0), 1);
        assert_eq!(a.spend("u", LIMIT, 5, t0), 0);
        a.keep("u", LIMIT, 3, t0);
        assert_eq!(a.spend("u", LIMIT, 5, t0 + HOLD), 0);
    }

    #[test]
    fn the_demand_is_capped() {
        let a = Ahead::default();
        assert_eq!(a.ask("u", LIMIT, 10_000).ahead, MOST);
    }
}
