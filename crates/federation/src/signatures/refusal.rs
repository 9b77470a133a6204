//! Why a signature or a key was refused, in words an operator reads in the admin counters
//! (`Counters::refusals`) and the log.

use std::time::Duration;

use crate::FederationError;

/// The reason for refusing a signed request, counted per reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// No `Signature` (nor `Authorization: Signature`) header.
    Unsigned,
    /// A signature header that cannot be read.
    Malformed,
    /// A draft-cavage signature that leaves out `(request-target)`, the date, `host` or
    /// `digest`.
    CavageHeaderMissing,
    /// An RFC 9421 signature that leaves out `@method`, the target, the authority,
    /// `content-digest` or `created`, or names a header the request lacks.
    Rfc9421ComponentMissing,
    /// An RFC 9421 component Kith does not derive (`@query-param`, `;sf`, `;key`, …).
    Rfc9421ComponentUnsupported,
    /// A `Date`, `created` or `expires` outside the window.
    OutsideWindow,
    /// A `Digest` or `Content-Digest` missing, of no known algorithm, or not the body's.
    DigestMismatch,
    /// A signature algorithm Kith does not verify.
    AlgorithmUnsupported,
    /// An algorithm the key cannot make (`ed25519` named for an RSA key).
    AlgorithmMismatch,
    /// The signature does not verify with the key.
    DoesNotVerify,
    /// A key neither RSA nor Ed25519 (P-256, for one), or not readable.
    KeyTypeUnsupported,
    /// The `keyId` answers a document that names no owner Kith can find.
    KeyShapeUnsupported,
    /// The key's owner does not publish the key.
    KeyNotPublished,
    /// The key's owner is on another host than the key.
    KeyOwnedElsewhere,
    /// The `keyId` (or its owner) is not there (404, 410).
    KeyNotFound,
    /// The key's server did not answer (502: the sender retries).
    KeyUnreachable,
    /// The key is one of this instance's own.
    LocalKey,
    /// The signer is not the activity's actor.
    NotTheActor,
    /// Looking the key up failed inside Kith (the database).
    Internal,
}

impl Reason {
    /// The words counted and logged.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Unsigned => "request not signed",
            Reason::Malformed => "signature header malformed",
            Reason::CavageHeaderMissing => "draft-cavage header not covered",
            Reason::Rfc9421ComponentMissing => "RFC 9421 component missing",
            Reason::Rfc9421ComponentUnsupported => "RFC 9421 component unsupported",
            Reason::OutsideWindow => "signature outside its time window",
            Reason::DigestMismatch => "body digest does not match",
            Reason::AlgorithmUnsupported => "signature algorithm unsupported",
            Reason::AlgorithmMismatch => "signature algorithm does not match the key",
            Reason::DoesNotVerify => "signature does not verify",
            Reason::KeyTypeUnsupported => "key type unsupported",
            Reason::KeyShapeUnsupported => "key document shape unsupported",
            Reason::KeyNotPublished => "key not published by its owner",
            Reason::KeyOwnedElsewhere => "key owned by another host",
            Reason::KeyNotFound => "key not found",
            Reason::KeyUnreachable => "key server unreachable",
            Reason::LocalKey => "key is a local one",
            Reason::NotTheActor => "signer is not the activity's actor",
            Reason::Internal => "key look-up failed inside Kith",
        }
    }
}

/// A refused signature or key: the reason (counted) and the error answered.
#[derive(Debug)]
pub struct Refusal {
    /// Why, in the words counted.
    pub reason: Reason,
    /// What the sender is answered: 401 for a signature, 400 for a digest that does not match
    /// the body, 502 for a key server that did not answer.
    pub error: FederationError,
}

impl Refusal {
    /// A refusal answered 401 (`FederationError::Signature`), with the reason and the detail.
    pub fn new(reason: Reason, detail: impl std::fmt::Display) -> Self {
        Refusal {
            reason,
            error: FederationError::Signature(format!("{}: {detail}", reason.label())),
        }
    }

    /// A refusal answered with `error`.
    pub fn with_error(reason: Reason, error: FederationError) -> Self {
        Refusal { reason, error }
    }
}

impl From<Refusal> for FederationError {
    fn from(refusal: Refusal) -> Self {
        refusal.error
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// How long a `keyId` that failed to resolve is refused without fetching it again.
pub const FAILED_KEY_TTL: Duration = Duration::from_secs(30);

/// A failed look-up, kept in the negative cache and answered again as it was.
#[derive(Clone, Debug)]
pub struct KeyFailure {
    reason: Reason,
    kind: FailureKind,
    detail: String,
}

#[derive(Clone, Copy, Debug)]
enum FailureKind {
    NotFound,
    Gone,
    Unreachable,
    Refused,
}

impl KeyFailure {
    pub(crate) fn from_refusal(refusal: &Refusal) -> Option<Self> {
        let kind = match &refusal.error {
            FederationError::NotFound(_) => FailureKind::NotFound,
            FederationError::Gone(_) => FailureKind::Gone,
            FederationError::Remote(_) => FailureKind::Unreachable,
            FederationError::Storage(_) | FederationError::Internal(_) => return None,
            _ => FailureKind::Refused,
        };
        Some(KeyFailure {
            reason: refusal.reason,
            kind,
            detail: refusal.error.to_string(),
        })
    }

    pub(crate) fn refusal(&self) -> Refusal {
        let detail = format!("{} (recently)", self.detail);
        let error = match self.kind {
            FailureKind::NotFound => FederationError::NotFound(detail),
            FailureKind::Gone => FederationError::Gone(detail),
            FailureKind::Unreachable => FederationError::Remote(detail),
            FailureKind::Refused => return Refusal::new(self.reason, detail),
        };
        Refusal::with_error(self.reason, error)
    }
}
