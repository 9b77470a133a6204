//! Looking up what software a host runs, from its NodeInfo: `/.well-known/nodeinfo` names the
//! document (a link whose `rel` is a `http://nodeinfo.diaspora.software/ns/schema/2.x` schema),
//! and the document's `software.name` and `software.version` say what the host is. Done by a
//! background task for the hosts the delivery queue noted, never while a sender waits; found
//! software is looked up again a day later, a failed look-up an hour later (what was found
//! before is kept meanwhile).

use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinSet;
use url::Url;

use super::Known;
use crate::context::Counters;
use crate::{Context, FederationError, Result};

/// NodeInfo documents are small; anything larger is not read.
const MAX_NODEINFO: usize = 64 * 1024;

/// The schema `rel` prefix of NodeInfo links.
const SCHEMA_REL: &str = "http://nodeinfo.diaspora.software/ns/schema/";

/// How the look-up task paces itself.
#[derive(Clone, Debug)]
pub struct LookupSettings {
    /// When found software is looked up again.
    pub refresh: Duration,
    /// When a failed look-up is tried again.
    pub retry: Duration,
    /// How often to look for due hosts when not woken.
    pub poll: Duration,
    /// Look-ups under way at once.
    pub concurrency: usize,
}

impl Default for LookupSettings {
    fn default() -> Self {
        LookupSettings {
            refresh: Duration::from_secs(24 * 60 * 60),
            retry: Duration::from_secs(60 * 60),
            poll: Duration::from_secs(60),
            concurrency: 4,
        }
    }
}

/// A host's NodeInfo `software`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Software {
    /// `software.name`, lower-case.
    pub name: String,
    /// `software.version`, when given.
    pub version: Option<String>,
}

/// Runs the look-up task until `shutdown` turns true.
pub async fn run(ctx: Context, settings: LookupSettings, mut shutdown: watch::Receiver<bool>) {
    let lease = settings.retry.as_millis() as i64;
    loop {
        let due = match ctx
            .db
            .claim_host_lookups(settings.concurrency as i64 * 4, lease)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "claiming software look-ups failed");
                Vec::new()
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = ctx.lookups_woken() => {}
                _ = tokio::time::sleep(settings.poll) => {}
            }
            continue;
        }
        let mut tasks = JoinSet::new();
        for host in due {
            while tasks.len() >= settings.concurrency {
                tasks.join_next().await;
            }
            let (ctx, settings) = (ctx.clone(), settings.clone());
            tasks.spawn(async move { refresh_host(&ctx, &settings, &host).await });
        }
        while tasks.join_next().await.is_some() {}
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Looks `host` up and records what was found.
pub async fn refresh_host(ctx: &Context, settings: &LookupSettings, host: &str) {
    let now = kith_storage::now_millis();
    let found = lookup(ctx, host).await;
    Counters::bump(&ctx.counters().host_lookups);
    let (row, next) = match &found {
        Ok(software) => {
            tracing::info!(%host, software = %software.name, version = ?software.version,
                "host software looked up");
            (
                Some((software.name.as_str(), software.version.as_deref())),
                now + settings.refresh.as_millis() as i64,
            )
        }
        Err(error) => {
            Counters::bump(&ctx.counters().host_lookups_failed);
            tracing::info!(%host, %error, "host software not found; forms for every server sent");
            (None, now + settings.retry.as_millis() as i64)
        }
    };
    if let Err(error) = ctx.db.record_host_software(host, row, next).await {
        tracing::error!(%error, %host, "recording a host's software failed");
        return;
    }
    // A failed look-up keeps what was known: read it back rather than guess.
    ctx.software_copy().invalidate(host).await;
    if let Ok(software) = found {
        ctx.software_copy()
            .insert(
                host.to_owned(),
                Known::Software(software.name, software.version),
            )
            .await;
    }
}

/// Reads `host`'s NodeInfo (over `http` in development mode, else `https`).
pub async fn lookup(ctx: &Context, host: &str) -> Result<Software> {
    let scheme = if ctx.settings().dev { "http" } else { "https" };
    let index = get_json(ctx, &format!("{scheme}://{host}/.well-known/nodeinfo")).await?;
    let href = nodeinfo_href(&index).ok_or_else(|| {
        FederationError::Remote(format!("{host}: /.well-known/nodeinfo links no schema"))
    })?;
    let document = get_json(ctx, &href).await?;
    software_of(&document)
        .ok_or_else(|| FederationError::Remote(format!("{host}: NodeInfo without software.name")))
}

/// The NodeInfo document a `/.well-known/nodeinfo` index links, the newest schema first.
pub fn nodeinfo_href(index: &Value) -> Option<String> {
    let links = index.get("links")?.as_array()?;
    let mut found: Vec<(&str, &str)> = links
        .iter()
        .filter_map(|l| {
            let rel = l.get("rel")?.as_str()?;
            let version = rel.strip_prefix(SCHEMA_REL)?;
            Some((version, l.get("href")?.as_str()?))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(a.0));
    found.first().map(|(_, href)| (*href).to_owned())
}

/// `software.name` (lower-case) and `software.version` of a NodeInfo document.
pub fn software_of(document: &Value) -> Option<Software> {
    let software = document.get("software")?;
    let name = software.get("name")?.as_str()?.trim().to_ascii_lowercase();
    if name.is_empty() || name.len() > 100 {
        return None;
    }
    let version = software
        .get("version")
        .and_then(Value::as_str)
        .map(|v| v.chars().take(100).collect());
    Some(Software { name, version })
}

/// An unsigned GET of a small public JSON document (NodeInfo needs no signature).
async fn get_json(ctx: &Context, url: &str) -> Result<Value> {
    let parsed = Url::parse(url).map_err(|e| FederationError::BadRequest(format!("{url}: {e}")))?;
    ctx.guard().check_url(&parsed)?;
    let mut response = ctx
        .client()
        .get(parsed)
        .header("accept", "application/json")
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| FederationError::Remote(format!("GET {url}: {e}")))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(FederationError::Remote(format!("GET {url}: HTTP {status}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FederationError::Remote(format!("GET {url}: {e}")))?
    {
        if body.len() + chunk.len() > MAX_NODEINFO {
            return Err(FederationError::TooLarge(MAX_NODEINFO));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| FederationError::Remote(format!("GET {url}: not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_newest_schema_is_read() {
        let index = json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://h/2.0"},
            {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": "https://h/actor"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://h/2.1"},
        ]});
        assert_eq!(nodeinfo_href(&index).as_deref(), Some("https://h/2.1"));
        assert_eq!(nodeinfo_href(&json!({"links": []})), None);
        assert_eq!(nodeinfo_href(&json!({})), None);
    }

    #[test]
    fn software_is_read_lower_case() {
        let doc = json!({"software": {"name": "Lemmy", "version": "0.19.20"}});
        assert_eq!(
            software_of(&doc),
            Some(Software {
                name: "lemmy".into(),
                version: Some("0.19.20".into())
            })
        );
        assert_eq!(software_of(&json!({"software": {"name": ""}})), None);
        assert_eq!(software_of(&json!({"version": "2.1"})), None);
    }
}
