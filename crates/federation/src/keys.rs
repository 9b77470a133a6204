//! Actor key pairs (RSA-2048, as every fediverse server expects for HTTP signatures).

use crate::{FederationError, Result};

/// A PEM-encoded key pair.
pub struct KeyPair {
    /// PKCS#8 private key.
    pub private_pem: String,
    /// SPKI public key.
    pub public_pem: String,
}

/// Generates a key pair on a blocking thread (RSA generation takes tens of milliseconds or more,
/// too long to hold an async worker).
pub async fn generate() -> Result<KeyPair> {
    tokio::task::spawn_blocking(|| {
        activitypub_federation::http_signatures::generate_actor_keypair()
            .map(|k| KeyPair {
                private_pem: k.private_key,
                public_pem: k.public_key,
            })
            .map_err(|e| FederationError::Key(e.to_string()))
    })
    .await
    .map_err(|e| FederationError::Key(e.to_string()))?
}
