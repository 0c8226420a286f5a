//! API users' credentials (contract: "Authentication"): secret keys and access tokens are
//! random 256-bit values shown once and stored only as SHA-256 hashes; a presented bearer is
//! hashed and compared in constant time.

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

/// SHA-256 of a secret, hex. Secrets are 256 random bits, so a fast hash is the right one: no
/// dictionary can reach them.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
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

/// Every API user's key hashes, for looking up a presented secret key.
#[derive(Debug, Default)]
pub struct KeyIndex {
    by_hash: HashMap<String, (String, u8)>,
    users: HashMap<String, Credentials>,
}

impl KeyIndex {
    /// Builds the index.
    pub fn new(all: Vec<Credentials>) -> KeyIndex {
        let mut by_hash = HashMap::new();
        let mut users = HashMap::new();
        for c in all {
            for (slot, h) in c.key_hashes.iter().enumerate() {
                if let Some(h) = h {
                    by_hash.insert(h.clone(), (c.user.api_key_id.clone(), slot as u8 + 1));
                }
            }
            users.insert(c.user.api_key_id.clone(), c);
        }
        KeyIndex { by_hash, users }
    }

    /// The API user whose secret key hashes to `h`.
    pub fn by_key_hash(&self, h: &str) -> Option<&Credentials> {
        let (id, slot) = self.by_hash.get(h)?;
        let c = self.users.get(id)?;
        let stored = c.key_hashes.get(usize::from(*slot) - 1)?.as_deref()?;
        same(stored, h).then_some(c)
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
    }
}
