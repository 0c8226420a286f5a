//! The contract's stateful rules, as pure functions: given what is stored for a transaction
//! (or nothing) and a new valid report of it, what happens (contract: "Idempotency" of notify;
//! voice's repeated and stale updates). The stores read what is stored, call these and do what
//! they say; where PostgreSQL decides in SQL to keep one round trip
//! (`txstate_notify_batch()`), the storage suite holds it to [`notify`] on generated histories.

/// What a notification does to its transaction (deployment and refTransId).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyStep {
    /// Nothing stored yet: stored and counted.
    New,
    /// The same outcome (responseState and responseCode) again: nothing changes; the answer
    /// carries the stored operation's id.
    Repeat,
    /// Another outcome: it replaces the stored one (the history keeps both) and the counts
    /// move from the old outcome to the new.
    Replace,
}

/// The step of a notification whose outcome is `(state, code)` (`code` "" when none), given
/// the stored outcome of its transaction. A different responseDesc alone is a repeat: free text
/// is not an outcome.
pub fn notify(stored: Option<(&str, &str)>, state: &str, code: &str) -> NotifyStep {
    match stored {
        None => NotifyStep::New,
        Some((s, c)) if s == state && c == code => NotifyStep::Repeat,
        Some(_) => NotifyStep::Replace,
    }
}

/// What a voice update does to its call (its transaction-id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoiceStep {
    /// Nothing stored yet: stored and counted.
    New,
    /// An older call-endtime than the stored update's: a stale retry (1010), nothing changes.
    Stale,
    /// The identical update again: nothing changes; the answer carries the stored operation's
    /// id.
    Repeat,
    /// Anything else (an equal call-endtime with other content included): it replaces the
    /// stored update (the history keeps both) and the figures move.
    Replace,
}

/// The step of a voice update ending at `call_end_ms` whose normalized payload is `payload`,
/// given the stored update of its call (its end and payload).
pub fn voice(stored: Option<(i64, &str)>, call_end_ms: i64, payload: &str) -> VoiceStep {
    match stored {
        None => VoiceStep::New,
        Some((end, _)) if call_end_ms < end => VoiceStep::Stale,
        Some((_, old)) if old == payload => VoiceStep::Repeat,
        Some(_) => VoiceStep::Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_is_new_then_a_repeat_until_its_outcome_changes() {
        assert_eq!(notify(None, "531", ""), NotifyStep::New);
        assert_eq!(notify(Some(("531", "")), "531", ""), NotifyStep::Repeat);
        assert_eq!(notify(Some(("531", "")), "532", ""), NotifyStep::Replace);
        assert_eq!(
            notify(Some(("532", "403")), "532", "403"),
            NotifyStep::Repeat
        );
        assert_eq!(
            notify(Some(("532", "403")), "532", "500"),
            NotifyStep::Replace
        );
        assert_eq!(notify(Some(("532", "403")), "532", ""), NotifyStep::Replace);
    }

    #[test]
    fn a_voice_update_older_than_the_stored_one_is_stale_even_when_identical() {
        assert_eq!(voice(None, 5, "a"), VoiceStep::New);
        assert_eq!(voice(Some((5, "a")), 4, "a"), VoiceStep::Stale);
        assert_eq!(voice(Some((5, "a")), 5, "a"), VoiceStep::Repeat);
        assert_eq!(voice(Some((5, "a")), 5, "b"), VoiceStep::Replace);
        assert_eq!(voice(Some((5, "a")), 6, "b"), VoiceStep::Replace);
    }
}
