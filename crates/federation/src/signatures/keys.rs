//! Public keys as actors publish them, parsed for verifying: `publicKeyPem` (an SPKI PEM, RSA
//! or Ed25519) and FEP-521a `publicKeyMultibase` (base58btc multibase of a multicodec key:
//! `0xed01` Ed25519, `0x8524` RSA as a PKCS#1 `RSAPublicKey`). Keys of other types (P-256,
//! …) are refused with [`Reason::KeyTypeUnsupported`], never an internal error.

use std::sync::OnceLock;

use aws_lc_rs::signature::{self, ParsedPublicKey};

use super::{Reason, Refusal};

/// Multicodec prefix (varint) of an Ed25519 public key.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix (varint of `0x1205`) of an RSA public key.
const RSA_PUB: [u8; 2] = [0x85, 0x24];

/// A signature algorithm Kith verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`, `rsa-v1_5-sha256`).
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-512 (`rsa-pss-sha512`).
    RsaPssSha512,
    /// Ed25519 (`ed25519`).
    Ed25519,
}

impl Algorithm {
    /// The RFC 9421 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaPkcs1Sha256 => "rsa-v1_5-sha256",
            Algorithm::RsaPssSha512 => "rsa-pss-sha512",
            Algorithm::Ed25519 => "ed25519",
        }
    }

    /// Reads an RFC 9421 `alg` parameter.
    pub fn from_rfc9421(name: &str) -> Option<Self> {
        Some(match name {
            "rsa-v1_5-sha256" => Algorithm::RsaPkcs1Sha256,
            "rsa-pss-sha512" => Algorithm::RsaPssSha512,
            "ed25519" => Algorithm::Ed25519,
            _ => return None,
        })
    }
}

/// A public key parsed for verifying.
pub enum VerifyingKey {
    /// An RSA key; the PSS form is parsed when first needed.
    Rsa {
        /// For PKCS#1 v1.5 SHA-256, the common case.
        pkcs1: ParsedPublicKey,
        /// The key's DER, for the PSS form.
        der: Vec<u8>,
        /// For PSS SHA-512.
        pss: OnceLock<Option<ParsedPublicKey>>,
    },
    /// An Ed25519 key.
    Ed25519(ParsedPublicKey),
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyingKey::Rsa { .. } => "VerifyingKey::Rsa",
            VerifyingKey::Ed25519(_) => "VerifyingKey::Ed25519",
        })
    }
}

fn unsupported(detail: impl std::fmt::Display) -> Refusal {
    Refusal::new(Reason::KeyTypeUnsupported, detail)
}

impl VerifyingKey {
    /// Reads a key as published: an SPKI PEM, or a multibase Multikey.
    pub fn from_published(text: &str) -> Result<Self, Refusal> {
        let text = text.trim();
        if text.starts_with("-----") {
            let (_, der) = pem_rfc7468::decode_vec(text.as_bytes())
                .map_err(|e| unsupported(format!("public key PEM: {e}")))?;
            Self::from_spki(der)
        } else {
            Self::from_multibase(text)
        }
    }

    /// An SPKI (or PKCS#1) DER key: RSA or Ed25519.
    fn from_spki(der: Vec<u8>) -> Result<Self, Refusal> {
        if let Ok(pkcs1) = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &der) {
            return Ok(VerifyingKey::Rsa {
                pkcs1,
                der,
                pss: OnceLock::new(),
            });
        }
        ParsedPublicKey::new(&signature::ED25519, &der)
            .map(VerifyingKey::Ed25519)
            .map_err(|_| unsupported("a key neither RSA (2048 bits or more) nor Ed25519"))
    }

    /// A FEP-521a `publicKeyMultibase`: `z` + base58btc(multicodec prefix + key).
    fn from_multibase(text: &str) -> Result<Self, Refusal> {
        let encoded = text
            .strip_prefix('z')
            .ok_or_else(|| unsupported("a multibase key not in base58btc (z…)"))?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|e| unsupported(format!("multibase key: {e}")))?;
        match bytes.split_at_checked(2) {
            Some((prefix, key)) if prefix == ED25519_PUB && key.len() == 32 => {
                ParsedPublicKey::new(&signature::ED25519, key)
                    .map(VerifyingKey::Ed25519)
                    .map_err(|_| unsupported("an unreadable Ed25519 key"))
            }
            Some((prefix, key)) if prefix == RSA_PUB => Self::from_spki(key.to_vec()),
            _ => Err(unsupported("a Multikey neither Ed25519 nor RSA")),
        }
    }

    /// The algorithm a signature naming none is checked with.
    pub fn default_algorithm(&self) -> Algorithm {
        match self {
            VerifyingKey::Rsa { .. } => Algorithm::RsaPkcs1Sha256,
            VerifyingKey::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// Whether this key can have made a signature with `algorithm`.
    pub fn supports(&self, algorithm: Algorithm) -> bool {
        matches!(
            (self, algorithm),
            (
                VerifyingKey::Rsa { .. },
                Algorithm::RsaPkcs1Sha256 | Algorithm::RsaPssSha512
            ) | (VerifyingKey::Ed25519(_), Algorithm::Ed25519)
        )
    }

    /// Whether `signature` over `message` verifies with this key and `algorithm`.
    pub fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let key = match (self, algorithm) {
            (VerifyingKey::Rsa { pkcs1, .. }, Algorithm::RsaPkcs1Sha256) => pkcs1,
            (VerifyingKey::Rsa { der, pss, .. }, Algorithm::RsaPssSha512) => {
                let parsed = pss.get_or_init(|| {
                    ParsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA512, der).ok()
                });
                match parsed {
                    Some(key) => key,
                    None => return false,
                }
            }
            (VerifyingKey::Ed25519(key), Algorithm::Ed25519) => key,
            _ => return false,
        };
        key.verify_sig(message, signature).is_ok()
    }
}
