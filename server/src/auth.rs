//! API users' credentials (contract: "Authentication"): secret keys and access tokens are
//! random 256-bit values shown once and stored only as SHA-256 hashes; a presented bearer is
//! hashed, and the hash looked up (partner keys, in memory) or compared in constant time (the
//! admin token).

use std::collections::HashMap;

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::Credentials;

/// A new secret: 32 random bytes from the OS, as 64 hex characters.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Lowercase hex (every partner request hashes its key: no `format!` per byte).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// SHA-256 of a secret. Secrets are 256 random bits, so a fast hash is the right one: no
/// dictionary can reach them.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// [`digest`] as hex: how hashes are stored.
pub fn hash(secret: &str) -> String {
    hex(&digest(secret))
}

/// The digest a stored hex hash spells, if it is one.
fn unhex(h: &str) -> Option<[u8; 32]> {
    let b = h.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Constant-time equality of two hashes.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The bearer value of an `authorization` header, if it is a Bearer one.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (scheme, value) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| value.trim())
        .filter(|v| !v.is_empty())
}

/// Every API user's key hashes, for looking up a presented secret key by its digest. The
/// lookup need not take constant time: its timing could tell at most something of a digest,
/// which leads to no key without a SHA-256 preimage (docs/decisions.md).
///
/// Looked up on every request: hashed with foldhash rather than SipHash (whose resistance to
/// chosen keys buys nothing here: a digest is SHA-256 output, and only the server's own
/// random secrets and key ids are stored).
#[derive(Debug, Default)]
pub struct KeyIndex {
    by_hash: HashMap<[u8; 32], String, foldhash::fast::RandomState>,
    users: HashMap<String, Credentials, foldhash::fast::RandomState>,
}

impl KeyIndex {
    /// Builds the index.
    pub fn new(all: Vec<Credentials>) -> KeyIndex {
        let mut by_hash = HashMap::default();
        let mut users = HashMap::default();
        for c in all {
            for h in c.key_hashes.iter().flatten() {
                match unhex(h) {
                    Some(d) => {
                        by_hash.insert(d, c.user.api_key_id.clone());
                    }
                    None => tracing::warn!(
                        user = %c.user.api_key_id,
                        "a stored key hash is not 64 hex digits: that key cannot be used"
                    ),
                }
            }
            users.insert(c.user.api_key_id.clone(), c);
        }
        KeyIndex { by_hash, users }
    }

    /// The API user whose secret key has the digest `d`.
    pub fn by_key_digest(&self, d: &[u8; 32]) -> Option<&Credentials> {
        self.users.get(self.by_hash.get(d)?)
    }

    /// An API user by key id.
    pub fn user(&self, api_key_id: &str) -> Option<&Credentials> {
        self.users.get(api_key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("abc")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn secrets_are_random_and_hashes_compare() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same(&hash(&a), &hash(&a)));
        assert!(!same(&hash(&a), &hash(&b)));
        assert_eq!(unhex(&hash(&a)), Some(digest(&a)));
        assert_eq!(unhex("00"), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
    }

    #[test]
    fn a_key_is_found_by_its_digest_only() {
        let (a, b) = (new_secret(), new_secret());
        let user = |id: &str, hashes: [Option<String>; 2]| Credentials {
            user: crate::store::ApiUser {
                api_key_id: id.into(),
                name: String::new(),
                grants: vec![],
                rate_limit: crate::store::RateLimit {
                    requests: 1,
                    per_seconds: 1,
                },
                enabled: true,
                secret_keys: vec![1],
                created_at: 0,
            },
            key_hashes: hashes,
        };
        let index = KeyIndex::new(vec![
            user("U1", [Some(hash(&a)), None]),
            user("U2", [Some("not hex".into()), Some(hash(&b))]),
        ]);
        let found = |s: &str| {
            index
                .by_key_digest(&digest(s))
                .map(|c| c.user.api_key_id.clone())
        };
        assert_eq!(found(&a).as_deref(), Some("U1"));
        assert_eq!(found(&b).as_deref(), Some("U2"));
        assert_eq!(found(&new_secret()), None);
        assert_eq!(found(&hash(&a)), None, "a stored hash is not a key");
    }
}
