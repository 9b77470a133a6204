//! Random secrets and what is stored in their place: session secrets, API tokens, invite codes
//! and emailed links are random, and only their SHA-256 is kept.

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{FederationError, Result};

/// `len` random bytes (at most 64), URL-safe base64: session secrets, CSRF tokens, invite codes.
pub fn secret_of(len: usize) -> Result<String> {
    let mut buf = [0u8; 64];
    let bytes = &mut buf[..len.min(64)];
    SystemRandom::new()
        .fill(bytes)
        .map_err(|_| FederationError::Key("no randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret, in hex: what is stored in place of tokens and session secrets.
pub fn hash(token: &str) -> String {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `chars` random characters of `a-z` and `2-7` (5 bits each): a secret that can be part of a
/// fediverse name, which servers compare without regard to case.
pub fn name_secret(chars: usize) -> Result<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut buf = [0u8; 64];
    let bytes = &mut buf[..chars.min(64)];
    SystemRandom::new()
        .fill(bytes)
        .map_err(|_| FederationError::Key("no randomness".into()))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect())
}
