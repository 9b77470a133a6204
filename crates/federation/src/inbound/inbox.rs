//! The inbox, per actor and shared: one pipeline for both, since Lemmy and Mastodon send to the
//! shared inbox whenever there is one and the activity itself says what it concerns.
//!
//! Content activities (`Create`, `Update`, `Delete`, `Announce`) are queued once checked and
//! applied by the inbox worker (`crate::inbound::queue`); the rest are applied before the answer.
//!
//! Order matters: the cheap checks (size, JSON, signature header, date, digest) run before
//! anything is fetched, the key is fetched only to verify, and the activity is recorded as
//! received only after every check passed: in the transaction of the change it makes, or alone
//! when it makes none ([`apply_once`]). A failure while applying it records nothing, so the
//! sender's retry is applied rather than lost. A host over its rate limit or blocked by
//! the instance is refused before its key is fetched.

use http::HeaderMap;
use kith_storage::{Actor, DomainSeverity, NewInbound, now_millis};

use crate::context::Counters;
use crate::context::client::MAX_BODY;
use crate::inbound::activities::{self, Outcome};
use crate::protocol::{Activity, Envelope, host_of};
use crate::signatures::{self, Reason, Refusal, Scheme, SignatureCheck, Target};
use crate::{
    Context, FederationError, Result, inbound::key_lookup, inbound::queue, outbound::change,
};

/// A key that failed to verify is fetched again at most this often per actor, so bad
/// signatures cannot make Kith hammer another server.
const REFETCH_INTERVAL_MS: i64 = 60_000;

/// An inbox POST as the web layer received it.
#[derive(Debug)]
pub struct InboxRequest<'a> {
    /// Path and query, as signed in `(request-target)`.
    pub path_and_query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body, already bounded to [`MAX_BODY`].
    pub body: &'a [u8],
}

/// Checks and applies one delivered activity. Every outcome is logged and counted.
pub async fn receive(ctx: &Context, request: InboxRequest<'_>) -> Result<Outcome> {
    let start = std::time::Instant::now();
    // Background work (applying, signing deliveries) yields while requests are being handled.
    let _busy = ctx.db.request_busy();
    let result = receive_checked(ctx, &request).await;
    let counters = ctx.counters();
    Counters::add_elapsed(&counters.inbox_nanos, start);
    match &result {
        Ok(Outcome::Applied) => Counters::bump(&counters.inbox_accepted),
        Ok(Outcome::Queued) => Counters::bump(&counters.inbox_queued),
        Ok(Outcome::Ignored(reason)) => {
            Counters::bump(&counters.inbox_ignored);
            tracing::info!(path = request.path_and_query, %reason, "activity ignored");
        }
        Err(error) => {
            Counters::bump(&counters.inbox_rejected);
            tracing::warn!(path = request.path_and_query, %error, "activity refused");
        }
    }
    result
}

async fn receive_checked(ctx: &Context, request: &InboxRequest<'_>) -> Result<Outcome> {
    if request.body.len() > MAX_BODY {
        return Err(FederationError::TooLarge(MAX_BODY));
    }
    // The envelope first: a content activity is queued whole and read in full by the worker.
    let envelope = Envelope::from_slice(request.body).map_err(|e| {
        FederationError::BadRequest(if e.is_data() {
            format!("not an activity: {e}")
        } else {
            format!("malformed JSON: {e}")
        })
    })?;
    // A batch being collected waits for the requests still being checked (`ingress`).
    let checking = queue::QUEUED_KINDS
        .contains(&envelope.kind.as_str())
        .then(|| queue::Checking::start(ctx));
    let target = Target {
        method: "POST",
        scheme: ctx.urls().base().scheme(),
        authority: ctx.urls().domain(),
        path_and_query: request.path_and_query,
    };
    let check = signatures::check_request(&target, request.headers, Some(request.body))
        .map_err(|refusal| refused(ctx, refusal))?;
    let host = host_of(&check.key_id).unwrap_or_default();
    if let Err(wait) = ctx.limiter().check_host(&host) {
        Counters::bump(&ctx.counters().inbox_throttled);
        return Err(FederationError::RateLimited(wait.as_secs().max(1)));
    }
    if ctx.db.domain_severity_cached(&host).await? == Some(DomainSeverity::Block) {
        Counters::bump(&ctx.counters().inbox_blocked);
        return Err(FederationError::Forbidden(format!("{host} is blocked")));
    }
    let self_delete = envelope.kind == "Delete"
        && envelope.object_id.is_some()
        && envelope.object_id == envelope.actor;
    let Some(signer) = verify_signer(ctx, &check, self_delete)
        .await
        .map_err(|refusal| refused(ctx, refusal))?
    else {
        return Ok(Outcome::Ignored(
            "a deleted actor's farewell, its key is gone".into(),
        ));
    };
    let actor_id = envelope
        .actor
        .as_deref()
        .ok_or_else(|| FederationError::BadRequest("an activity without actor".into()))?;
    if actor_id != signer.id {
        return Err(refused(
            ctx,
            Refusal::new(
                Reason::NotTheActor,
                format!("signed by {}, not by {actor_id}", signer.id),
            ),
        ));
    }
    if ctx.db.is_actor_blocked_cached(&signer.id).await? {
        Counters::bump(&ctx.counters().inbox_blocked);
        return Err(FederationError::Forbidden(format!(
            "{} is blocked",
            signer.id
        )));
    }
    if host_of(&envelope.id) != host_of(actor_id) {
        return Err(FederationError::Forbidden(format!(
            "the id {} is not on the host of its actor {actor_id}",
            envelope.id
        )));
    }
    if let Some(checking) = checking {
        let new = NewInbound {
            activity_id: envelope.id.clone(),
            actor_id: actor_id.to_owned(),
            kind: envelope.kind.clone(),
            body: String::from_utf8_lossy(request.body).into_owned(),
        };
        if !queue::queue(ctx, new, checking).await? {
            return Err(FederationError::Duplicate(envelope.id));
        }
        ctx.host_answered(&signer.domain).await?;
        return Ok(Outcome::Queued);
    }
    // Applied before the answer: read in full now.
    let activity = serde_json::from_slice(request.body)
        .and_then(Activity::from_value)
        .map_err(|e| FederationError::BadRequest(format!("not an activity: {e}")))?;
    apply_once(ctx, &activity, &signer).await
}

/// Applies an activity that passed the inbox's checks, once: one received before is
/// [`FederationError::Duplicate`]. Its id is recorded in the transaction of the change it
/// makes (`crate::outbound::change`), or alone when it changes nothing; a failure records nothing, so the
/// sender's retry is applied.
pub async fn apply_once(ctx: &Context, activity: &Activity, signer: &Actor) -> Result<Outcome> {
    if ctx.db.was_received(&activity.id).await? {
        return Err(FederationError::Duplicate(activity.id.clone()));
    }
    ctx.host_answered(&signer.domain).await?;
    let received = change::Received {
        id: activity.id.clone(),
        actor_id: signer.id.clone(),
        kind: activity.kind.clone(),
        recorded: false,
    };
    let (outcome, recorded) =
        change::receiving(received, activities::apply(ctx, activity, signer)).await;
    let outcome = outcome?;
    if !recorded
        && !ctx
            .db
            .record_received_activity(&activity.id, &signer.id, &activity.kind)
            .await?
    {
        return Err(FederationError::Duplicate(activity.id.clone()));
    }
    Ok(outcome)
}

/// Counts a refused signature or key under its reason; the error is what the sender is
/// answered (and what `receive` logs).
fn refused(ctx: &Context, refusal: Refusal) -> FederationError {
    ctx.counters().refused(refusal.reason);
    refusal.error
}

/// The actor whose key made the signature; `None` for an actor deleting itself whose key can
/// no longer be fetched (answered 202: docs/protocol.md, Signatures). Also checks the signed
/// `GET`s of a non-public group's documents (`crate::inbound::authorised_fetch`).
pub(crate) async fn verify_signer(
    ctx: &Context,
    check: &SignatureCheck,
    self_delete: bool,
) -> std::result::Result<Option<Actor>, Refusal> {
    for refresh in [false, true] {
        let owner = match key_lookup::actor_for_key(ctx, &check.key_id, refresh).await {
            Ok(owner) => owner,
            Err(Refusal {
                error: FederationError::Gone(_) | FederationError::NotFound(_),
                ..
            }) if self_delete => return Ok(None),
            Err(refusal) => return Err(key_error(&check.key_id, refusal)),
        };
        if owner.actor.local {
            return Err(Refusal::new(
                Reason::LocalKey,
                format!("{} is a local key", check.key_id),
            ));
        }
        let key = ctx.verifying_key(&owner.actor, &owner.key_id).await?;
        let start = std::time::Instant::now();
        let verified = check.verify(&key);
        Counters::add_elapsed(&ctx.counters().verify_nanos, start);
        match verified {
            Ok(()) => {
                if check.scheme == Scheme::Rfc9421 {
                    Counters::bump(&ctx.counters().rfc9421_verified);
                }
                return Ok(Some(owner.actor));
            }
            // The key may have rotated: fetch the actor again, once, and not too often.
            Err(refusal)
                if refresh
                    || owner.actor.fetched_at.unwrap_or(0) + REFETCH_INTERVAL_MS > now_millis() =>
            {
                return Err(refusal);
            }
            Err(_) => {}
        }
    }
    Err(Refusal::new(
        Reason::DoesNotVerify,
        "the signature does not verify",
    ))
}

/// A key that cannot be had: the sender's server being down is worth a retry (502), as is
/// Kith's own failure; anything else is a bad signature (401).
fn key_error(key_id: &str, refusal: Refusal) -> Refusal {
    match refusal.error {
        FederationError::Remote(_) | FederationError::Storage(_) | FederationError::Internal(_) => {
            refusal
        }
        FederationError::Signature(_) => refusal,
        other => Refusal::new(
            refusal.reason,
            format!("cannot use the key {key_id}: {other}"),
        ),
    }
}
