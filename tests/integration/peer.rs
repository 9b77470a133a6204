//! A test peer that speaks as another fediverse server does: it serves actor and object
//! documents taken from the captured fixtures (`tests/fixtures`), signs what it sends exactly as
//! Mastodon does (`app/lib/request.rb`: `rsa-sha256` over `(request-target) host date digest
//! content-type`, `keyId` = `<actor>#main-key`), and checks the signatures of what it receives
//! the way Mastodon does, independently of Kith's own code: it fetches the signer's key from the
//! `keyId`, rebuilds the signing string from the `headers` list and checks the `Digest`.
//!
//! A peer started [`Peer::start_as`] a kind of server (`shapes.rs`) serves that server's NodeInfo,
//! and for Lemmy answers what Lemmy's inbox refuses with 400, as Lemmy does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::shapes::Shape;

/// Something the peer's inboxes received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub body: Value,
    /// Whether the signature and digest verified against the sender's published key.
    pub verified: bool,
    /// Whether it came signed with RFC 9421 (`Signature-Input`).
    pub rfc9421: bool,
    /// Its FEP-8fcf `Collection-Synchronization` header, when the signature covers it (the
    /// only way Mastodon reads it).
    pub collection_sync: Option<String>,
}

/// Something the peer's inboxes refused, and why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub body: Value,
    pub reason: String,
}

/// A key id and the key that signs with it.
type FetchSigner = (String, Arc<RsaKeyPair>);

#[derive(Clone)]
struct Shared {
    docs: Arc<Mutex<HashMap<String, Value>>>,
    received: Arc<Mutex<Vec<Received>>>,
    /// GETs answered, by path (with query).
    gets: Arc<Mutex<HashMap<String, usize>>>,
    /// Refuse draft-cavage POSTs with 401, as a server that reads only RFC 9421 would.
    rfc9421_only: Arc<std::sync::atomic::AtomicBool>,
    /// POSTs refused that way.
    refused_cavage: Arc<std::sync::atomic::AtomicUsize>,
    refused: Arc<Mutex<Vec<Refused>>>,
    shape: Shape,
    /// Documents served only to GETs whose `keyId` starts with the given text (as Mastodon
    /// serves a followers-only post only to a follower: the signer decides), by path.
    restricted: Arc<Mutex<HashMap<String, (Value, String)>>>,
    /// While true, deliveries are recorded but not answered (a slow server).
    held: Arc<tokio::sync::watch::Sender<bool>>,
    /// The key id and key the peer signs its key fetches with, if any (Mastodon signs them as
    /// its instance actor, so that a server serving actors only to signed GETs answers).
    fetch_signer: Arc<Mutex<Option<FetchSigner>>>,
}

/// A fediverse server in the test process.
pub struct Peer {
    pub base: String,
    /// The hosts of the fixtures this peer stands in for.
    originals: Vec<String>,
    key: Arc<RsaKeyPair>,
    pub public_pem: String,
    shared: Shared,
    client: reqwest::Client,
}

/// Reads a fixture file.
pub fn fixture(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/");
    let text = std::fs::read_to_string(format!("{path}{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).unwrap()
}

impl Peer {
    /// Starts a peer that stands in for the fixtures' `originals` hosts.
    pub async fn start(originals: &[&str]) -> Peer {
        Peer::start_as(originals, Shape::Unknown).await
    }

    /// Starts a peer that stands in for the `originals` hosts running `shape`'s software.
    pub async fn start_as(originals: &[&str], shape: Shape) -> Peer {
        let keys = kith_federation::keys::generate().await.unwrap();
        let key = RsaKeyPair::from_pkcs8(&pem_der(&keys.private_pem)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Shared {
            docs: Arc::default(),
            received: Arc::default(),
            gets: Arc::default(),
            restricted: Arc::default(),
            rfc9421_only: Arc::default(),
            refused_cavage: Arc::default(),
            refused: Arc::default(),
            shape,
            held: Arc::new(tokio::sync::watch::channel(false).0),
            fetch_signer: Arc::default(),
        };
        let client = reqwest::Client::builder()
            .user_agent(shape.user_agent(&base))
            .build()
            .unwrap();
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/.well-known/nodeinfo", get(nodeinfo_index))
            .route("/nodeinfo/{version}", get(nodeinfo))
            .fallback(serve_or_receive)
            .with_state((shared.clone(), client.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Peer {
            base,
            originals: originals.iter().map(|s| s.to_string()).collect(),
            key: Arc::new(key),
            public_pem: keys.public_pem,
            shared,
            client,
        }
    }

    /// A fixture with its original hosts replaced by this peer's address.
    pub fn fixture(&self, name: &str) -> Value {
        let mut text = fixture(name).to_string();
        for original in &self.originals {
            text = text.replace(original.as_str(), &self.base);
        }
        serde_json::from_str(&text).unwrap()
    }

    /// Serves an actor fixture with this peer's key; returns the actor document.
    pub fn serve_actor(&self, name: &str) -> Value {
        let mut actor = self.fixture(name);
        actor["publicKey"]["publicKeyPem"] = json!(self.public_pem);
        self.serve(&actor);
        actor
    }

    /// Serves the note of a `Create` at its id (so servers can fetch it) and returns the id.
    pub fn fixture_note(&self, create: &Value) -> String {
        self.serve(&create["object"]);
        create["object"]["id"].as_str().unwrap().to_owned()
    }

    /// Serves a document at `path` (a key document at a URL that is not its id).
    pub fn serve_at(&self, path: &str, doc: &Value) {
        self.shared
            .docs
            .lock()
            .unwrap()
            .insert(path.to_owned(), doc.clone());
    }

    /// Serves a document at the path of its id only to GETs signed with a `keyId` that starts
    /// with `signer` (404 to anyone else).
    pub fn serve_only_to(&self, doc: &Value, signer: &str) {
        let id = doc["id"].as_str().unwrap();
        let path = reqwest::Url::parse(id).unwrap().path().to_owned();
        self.shared
            .restricted
            .lock()
            .unwrap()
            .insert(path, (doc.clone(), signer.to_owned()));
    }

    /// Serves a document at the path of its id (whatever spelling of this peer's address the
    /// id uses).
    pub fn serve(&self, doc: &Value) {
        let id = doc["id"].as_str().unwrap();
        let path = reqwest::Url::parse(id).unwrap().path().to_owned();
        self.shared.docs.lock().unwrap().insert(path, doc.clone());
    }

    /// POSTs `activity` to `inbox`, signed by `key_id` as Mastodon signs; returns the status.
    pub async fn send(&self, key_id: &str, inbox: &str, activity: &Value) -> u16 {
        let body = activity.to_string().into_bytes();
        let headers = self.signed_headers(key_id, inbox, &body);
        self.post(inbox, headers, body).await
    }

    /// Mastodon's headers for a signed POST: `Date`, `Digest`, `Content-Type`, `Signature`.
    pub fn signed_headers(&self, key_id: &str, inbox: &str, body: &[u8]) -> Vec<(String, String)> {
        let url = reqwest::Url::parse(inbox).unwrap();
        let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let digest = format!(
            "SHA-256={}",
            B64.encode(digest::digest(&digest::SHA256, body).as_ref())
        );
        let content_type = "application/activity+json".to_owned();
        let signed = format!(
            "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}\n\
             content-type: {content_type}",
            url.path()
        );
        let signature = format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",\
             headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
            self.sign(signed.as_bytes())
        );
        vec![
            ("date".into(), date),
            ("digest".into(), digest),
            ("content-type".into(), content_type),
            ("signature".into(), signature),
        ]
    }

    /// Signs bytes with the peer's key (base64).
    pub fn sign(&self, data: &[u8]) -> String {
        let mut out = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data,
                &mut out,
            )
            .unwrap();
        B64.encode(out)
    }

    /// Like [`Peer::send`], with `None` when the request could not be made or answered (the
    /// server is down).
    pub async fn try_send(&self, key_id: &str, inbox: &str, activity: &Value) -> Option<u16> {
        let body = activity.to_string().into_bytes();
        let mut request = self.client.post(inbox).body(body.clone());
        for (name, value) in self.signed_headers(key_id, inbox, &body) {
            request = request.header(name, value);
        }
        Some(request.send().await.ok()?.status().as_u16())
    }

    /// From now on, fetch the keys of what arrives signed by `key_id` (the peer's key), as
    /// Mastodon fetches them signed by its instance actor.
    pub fn sign_key_fetches_as(&self, key_id: &str) {
        *self.shared.fetch_signer.lock().unwrap() = Some((key_id.to_owned(), self.key.clone()));
    }

    /// While `held`, deliveries to this peer are recorded as they arrive but answered only
    /// once released: the sender's requests stay in flight, as with a slow server.
    pub fn hold(&self, held: bool) {
        self.shared.held.send_replace(held);
    }

    /// POSTs raw bytes with the given headers.
    pub async fn post(&self, inbox: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> u16 {
        let mut request = self.client.post(inbox).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if status >= 400 {
            // The refusal's reason, for whoever reads a failed test.
            eprintln!(
                "{inbox} answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        status
    }

    /// How many GETs of `path` (with its query) the peer answered.
    pub fn gets(&self, path: &str) -> usize {
        self.shared
            .gets
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// From now on, refuse draft-cavage POSTs with 401 (an RFC 9421-only server).
    pub fn refuse_cavage(&self) {
        use std::sync::atomic::Ordering;
        self.shared.rfc9421_only.store(true, Ordering::SeqCst);
    }

    /// POSTs refused for being signed draft-cavage.
    pub fn refused_cavage(&self) -> usize {
        self.shared
            .refused_cavage
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Everything received so far (and taken).
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Everything refused so far.
    pub fn refused(&self) -> Vec<Refused> {
        self.shared.refused.lock().unwrap().clone()
    }

    /// The host (and port) of this peer, as Kith keys hosts.
    pub fn host(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// Waits until something matching `pred` arrives.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Received {
        crate::instance::eventually(what, || {
            let found = self.received().into_iter().find(|r| pred(&r.body));
            async move { found }
        })
        .await
    }
}

#[derive(serde::Deserialize)]
struct WebfingerQuery {
    resource: String,
}

async fn webfinger(
    State((shared, _)): State<(Shared, reqwest::Client)>,
    Query(q): Query<WebfingerQuery>,
) -> Response {
    let name = q
        .resource
        .trim_start_matches("acct:")
        .split('@')
        .next()
        .unwrap_or("")
        .to_owned();
    let docs = shared.docs.lock().unwrap();
    let actor = docs.values().find(|d| {
        d["preferredUsername"].as_str() == Some(name.as_str()) && d.get("inbox").is_some()
    });
    match actor {
        Some(actor) => Json(json!({
            "subject": q.resource,
            "links": [{"rel": "self", "type": "application/activity+json", "href": actor["id"]}],
        }))
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn nodeinfo_index(
    State((shared, _)): State<(Shared, reqwest::Client)>,
    headers: HeaderMap,
) -> Response {
    if shared.shape.nodeinfo().is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let version = shared.shape.nodeinfo_schema();
    Json(json!({"links": [{
        "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{version}"),
        "href": format!("http://{host}/nodeinfo/{version}"),
    }]}))
    .into_response()
}

async fn nodeinfo(State((shared, _)): State<(Shared, reqwest::Client)>) -> Response {
    match shared.shape.nodeinfo() {
        Some(name) => Json(fixture(name)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The actors `shape`'s inbox needs to know, fetched as that server would.
async fn actor_docs(
    client: &reqwest::Client,
    shape: Shape,
    body: &Value,
) -> HashMap<String, Value> {
    let mut docs = HashMap::new();
    for id in shape.actors_to_fetch(body) {
        let fetched = client
            .get(&id)
            .header("accept", "application/activity+json")
            .send()
            .await;
        if let Ok(response) = fetched {
            docs.insert(id, response.json().await.unwrap_or_default());
        }
    }
    docs
}

async fn serve_or_receive(
    State((shared, client)): State<(Shared, reqwest::Client)>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if method == axum::http::Method::GET {
        let full = uri.path_and_query().map_or(path.clone(), |p| p.to_string());
        *shared.gets.lock().unwrap().entry(full).or_default() += 1;
        let restricted = shared.restricted.lock().unwrap().get(&path).cloned();
        if let Some((doc, signer)) = restricted {
            let signature = headers
                .get("signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let allowed = signature.contains(&format!("keyId=\"{signer}"));
            return if allowed {
                (
                    [("content-type", "application/activity+json")],
                    doc.to_string(),
                )
                    .into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            };
        }
        let doc = shared.docs.lock().unwrap().get(&path).cloned();
        return match doc {
            Some(doc) => (
                [("content-type", "application/activity+json")],
                doc.to_string(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let rfc9421 = headers.contains_key("signature-input");
    if !rfc9421
        && shared
            .rfc9421_only
            .load(std::sync::atomic::Ordering::SeqCst)
    {
        shared
            .refused_cavage
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let verified = if rfc9421 {
        crate::peer_rfc9421::verify(&client, &uri, &headers, &body).await
    } else {
        let signer = shared.fetch_signer.lock().unwrap().clone();
        verify(&client, signer, &path, &headers, &body).await
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let docs = actor_docs(&client, shared.shape, &body).await;
    if let Some(reason) = shared.shape.refusal(&body, &|id| docs.get(id).cloned()) {
        shared.refused.lock().unwrap().push(Refused {
            body,
            reason: reason.clone(),
        });
        return (StatusCode::BAD_REQUEST, Json(json!({"error": reason}))).into_response();
    }
    let collection_sync = signed_collection_sync(&headers, rfc9421);
    shared.received.lock().unwrap().push(Received {
        path,
        body,
        verified,
        rfc9421,
        collection_sync,
    });
    let _ = shared.held.subscribe().wait_for(|held| !*held).await;
    StatusCode::ACCEPTED.into_response()
}

/// The `Collection-Synchronization` header, if the signature (either scheme) covers it.
fn signed_collection_sync(headers: &HeaderMap, rfc9421: bool) -> Option<String> {
    let value = headers.get("collection-synchronization")?.to_str().ok()?;
    let covered = if rfc9421 {
        let input = headers.get("signature-input")?.to_str().ok()?;
        input.contains("\"collection-synchronization\"")
    } else {
        let signature = headers.get("signature")?.to_str().ok()?;
        let list = signature.split("headers=\"").nth(1)?.split('"').next()?;
        list.split(' ').any(|h| h == "collection-synchronization")
    };
    covered.then(|| value.to_owned())
}

/// Mastodon's check of an incoming POST (`app/controllers/concerns/signature_verification.rb`).
async fn verify(
    client: &reqwest::Client,
    signer: Option<FetchSigner>,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> bool {
    let Some(raw) = headers.get("signature").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let params: HashMap<&str, &str> = raw
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim_matches('"')))
        .collect();
    let (Some(key_id), Some(list), Some(sig)) = (
        params.get("keyId"),
        params.get("headers"),
        params.get("signature"),
    ) else {
        return false;
    };
    let covered: Vec<&str> = list.split(' ').collect();
    for required in ["(request-target)", "host", "date", "digest"] {
        if !covered.contains(&required) {
            return false;
        }
    }
    let expected_digest = format!(
        "SHA-256={}",
        B64.encode(digest::digest(&digest::SHA256, body).as_ref())
    );
    if headers.get("digest").and_then(|v| v.to_str().ok()) != Some(expected_digest.as_str()) {
        return false;
    }
    let lines: Option<Vec<String>> = covered
        .iter()
        .map(|h| match *h {
            "(request-target)" => Some(format!("(request-target): post {path}")),
            name => headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!("{name}: {v}")),
        })
        .collect();
    let Some(lines) = lines else { return false };
    let key_url = key_id.split('#').next().unwrap_or_default();
    let mut request = client
        .get(key_url)
        .header("accept", "application/activity+json");
    if let Some((signer_key_id, key)) = signer {
        for (name, value) in signed_get_headers(&key, &signer_key_id, key_url) {
            request = request.header(name, value);
        }
    }
    let Ok(response) = request.send().await else {
        return false;
    };
    let actor: Value = response.json().await.unwrap_or_default();
    if actor["publicKey"]["id"].as_str() != Some(*key_id) {
        return false;
    }
    let pem = actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_default();
    let Ok(sig) = B64.decode(sig) else {
        return false;
    };
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pem_der(pem))
        .verify(lines.join("\n").as_bytes(), &sig)
        .is_ok()
}

/// Mastodon's headers for a signed GET of `url` (`(request-target) host date`): `Date` and
/// `Signature`.
pub fn signed_get_headers(key: &RsaKeyPair, key_id: &str, url: &str) -> Vec<(String, String)> {
    let parsed = reqwest::Url::parse(url).unwrap();
    let host = format!(
        "{}:{}",
        parsed.host_str().unwrap_or_default(),
        parsed.port_or_known_default().unwrap_or_default()
    );
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let signed = format!("(request-target): get {target}\nhost: {host}\ndate: {date}");
    let mut out = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut out,
    )
    .unwrap();
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",\
         signature=\"{}\"",
        B64.encode(out)
    );
    vec![("date".into(), date), ("signature".into(), signature)]
}
