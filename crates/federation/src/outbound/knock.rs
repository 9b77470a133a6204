//! Signed requests to other servers, double-knocking between the two signature schemes.
//!
//! Kith signs draft-cavage first: Lemmy, GoToSocial and Misskey read nothing else, and
//! Mastodon reads it too. A host that refuses a request with 400, 401 or 403 gets it once more
//! signed with RFC 9421 (Fedify, which does the same the other way round, knocks again on any
//! 4xx: `doubleKnock` in fedify-dev/fedify `packages/fedify/src/sig/http.ts`); when the second
//! knock succeeds, the host is remembered (`delivery_hosts.signature_scheme`, shared by every
//! Kith process, and in memory for five minutes) and sent RFC 9421 from then on. A remembered
//! host that later refuses RFC 9421 and takes draft-cavage is switched back the same way. A
//! host whose software is known to read draft-cavage only (Lemmy, GoToSocial, Misskey) is not
//! knocked twice: its 400 is about the activity.

use std::sync::Arc;

use url::Url;

use crate::context::Counters;
use crate::protocol::host_of;
use crate::signatures::{self, Scheme, SigningKey};
use crate::{Context, FederationError, Result};

/// Whether an answer may mean "I cannot read that signature": the statuses real servers give
/// for a refused signature (401 Mastodon, GoToSocial, Fedify; 400 and 403 from others).
fn worth_a_second_knock(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 400 | 401 | 403)
}

/// Servers whose NodeInfo names software that reads draft-cavage only: a refusal from them is
/// about the activity, not the signature, and a second knock would only be refused again.
/// LemmyNet/lemmy `crates/apub` verifies with `http-signature-normalization` (draft-cavage);
/// GoToSocial verifies with `go-fed/httpsig` (draft-cavage; superseriousbusiness/gotosocial
/// `internal/federation/authenticate.go`); Misskey with its own draft-cavage check.
const READS_CAVAGE_ONLY: &[&str] = &[
    "lemmy",
    "piefed",
    "mbin",
    "kbin",
    "gotosocial",
    "misskey",
    "sharkey",
    "firefish",
    "iceshrimp",
    "calckey",
    "foundkey",
    "cherrypick",
];

/// Whether a refused request is sent again in the other scheme: only after an answer that may
/// mean "I cannot read that signature", and never to a host known to read draft-cavage only
/// when that is what it was sent.
async fn knock_again(
    ctx: &Context,
    host: &str,
    first: Scheme,
    status: reqwest::StatusCode,
) -> bool {
    if !worth_a_second_knock(status) {
        return false;
    }
    if first != Scheme::Cavage {
        return true;
    }
    let software = ctx.software_name_cached(host).await.to_ascii_lowercase();
    !READS_CAVAGE_ONLY.contains(&software.as_str())
}

/// The scheme `host` is sent first: remembered, else draft-cavage.
pub async fn scheme_for(ctx: &Context, host: &str) -> Scheme {
    if let Some(scheme) = ctx.schemes().get(host).await {
        return scheme;
    }
    let scheme = match ctx.db.host_signature_scheme(host).await {
        Ok(stored) => Scheme::parse(stored.as_deref()),
        Err(error) => {
            tracing::warn!(%error, host, "reading a host's signature scheme failed");
            return Scheme::Cavage;
        }
    };
    ctx.schemes().insert(host.to_owned(), scheme).await;
    scheme
}

async fn remember(ctx: &Context, host: &str, scheme: Scheme) {
    let stored = (scheme == Scheme::Rfc9421).then_some(scheme.as_str());
    if let Err(error) = ctx.db.set_host_signature_scheme(host, stored).await {
        tracing::warn!(%error, host, "remembering a host's signature scheme failed");
    }
    ctx.schemes().insert(host.to_owned(), scheme).await;
    tracing::info!(
        host,
        scheme = scheme.as_str(),
        "host answers this signature scheme"
    );
}

/// POSTs an ActivityPub `body` to `url` signed by `key`, knocking twice if refused (see the
/// module), with `extra`, one more header sent and signed (FEP-8fcf
/// `Collection-Synchronization`). Signing runs on the signing threads, after busy requests had
/// their turn.
pub async fn post_with_header(
    ctx: &Context,
    key: Arc<SigningKey>,
    url: &Url,
    body: Arc<str>,
    extra: Option<(&'static str, String)>,
) -> Result<reqwest::Response> {
    let host = host_of(url.as_str()).unwrap_or_default();
    let first = scheme_for(ctx, &host).await;
    let response = post_once(ctx, first, key.clone(), url, body.clone(), extra.clone()).await?;
    if !knock_again(ctx, &host, first, response.status()).await {
        return Ok(response);
    }
    Counters::bump(&ctx.counters().second_knocks);
    let second = post_once(ctx, first.other(), key, url, body, extra).await?;
    if second.status().is_success() {
        remember(ctx, &host, first.other()).await;
        return Ok(second);
    }
    Ok(response)
}

/// Waits for the delivery signer's turn beside busy requests. Signing is most of a delivery's
/// CPU: while the inbox is busy it waits in the write gate's line for background work (at once
/// when no request is busy, else one piece per slot; kith-storage `write_order.rs`), or the inbox's
/// requests and the database would wait on it instead (docs/performance.md).
async fn yield_to_requests(ctx: &Context) {
    ctx.db.requests_first().background_turn().await;
}

async fn post_once(
    ctx: &Context,
    scheme: Scheme,
    key: Arc<SigningKey>,
    url: &Url,
    body: Arc<str>,
    extra: Option<(&'static str, String)>,
) -> Result<reqwest::Response> {
    yield_to_requests(ctx).await;
    let (to_sign, signed) = (url.clone(), body.clone());
    let headers = ctx
        .signer()
        .run(move || {
            let extra = extra.as_ref().map(|(name, value)| (*name, value.as_str()));
            signatures::sign_post_with_header(scheme, &key, &to_sign, signed.as_bytes(), extra)
        })
        .await??;
    let mut request = ctx.client().post(url.clone()).body(body.to_string());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .map_err(|e| FederationError::Remote(format!("POST {url}: {e}")))
}

/// GETs `url` signed by `key` (the instance actor), knocking twice if refused.
pub async fn get(
    ctx: &Context,
    key: &SigningKey,
    url: &Url,
    accept: &str,
) -> Result<reqwest::Response> {
    let host = host_of(url.as_str()).unwrap_or_default();
    let first = scheme_for(ctx, &host).await;
    let response = get_once(ctx, first, key, url, accept).await?;
    if !knock_again(ctx, &host, first, response.status()).await {
        return Ok(response);
    }
    Counters::bump(&ctx.counters().second_knocks);
    let second = get_once(ctx, first.other(), key, url, accept).await?;
    if second.status().is_success() {
        remember(ctx, &host, first.other()).await;
        return Ok(second);
    }
    Ok(response)
}

async fn get_once(
    ctx: &Context,
    scheme: Scheme,
    key: &SigningKey,
    url: &Url,
    accept: &str,
) -> Result<reqwest::Response> {
    let mut request = ctx.client().get(url.clone()).header("accept", accept);
    for (name, value) in signatures::sign_get_with(scheme, key, url)? {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .map_err(|e| FederationError::Remote(format!("GET {url}: {e}")))
}
