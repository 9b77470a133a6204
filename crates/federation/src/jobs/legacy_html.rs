//! Remote HTML a Kith older than the sanitiser's bounds stored (a database may hold a post
//! nested twenty thousand levels deep): checked once, after start, on the background runtime.
//! A row nested deeper or longer than the bounds is cleaned again, counted like new HTML, and
//! replaced, so every stored row is bounded — pages, feeds and the API hand stored HTML on to
//! browsers and feed readers, which would parse it. Rows within the bounds are only read.
//!
//! Until the check is through, what the server itself reads from such a row is read in one
//! linear pass (`sanitize::text`), never parsed. Progress is kept in the instance settings
//! ([`SETTING`]): a restart goes on where the last one stopped, and a database checked once
//! is not read again.

use tokio::sync::watch;

use crate::{Context, Result, sanitize};

/// The instance setting holding the last object id checked, or [`DONE`].
pub const SETTING: &str = "legacy_html_checked";

/// [`SETTING`] once every row was checked.
pub const DONE: &str = "done";

/// Rows read at once.
const PAGE: i64 = 50;

/// Runs [`check_stored`] until it is through or `shutdown`.
pub async fn run(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    tokio::select! {
        checked = check_stored(&ctx) => match checked {
            Ok(0) => {}
            Ok(n) => tracing::info!(rewritten = n, "stored remote HTML brought within bounds"),
            Err(error) => tracing::warn!(%error, "checking stored remote HTML failed"),
        },
        _ = shutdown.changed() => {}
    }
}

/// Checks every stored remote object's HTML not yet checked, cleaning again those beyond the
/// bounds; returns how many were replaced.
pub async fn check_stored(ctx: &Context) -> Result<usize> {
    let mut after = match ctx.db.setting(SETTING).await? {
        Some(done) if done == DONE => return Ok(0),
        Some(last) => last,
        None => String::new(),
    };
    let mut rewritten = 0;
    loop {
        let page = ctx.db.remote_content_after(&after, PAGE).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        for (id, html) in &page {
            if sanitize::within_bounds(html) {
                continue;
            }
            let cleaned = sanitize::html(ctx.counters(), id, html);
            if ctx.db.replace_remote_content(id, html, &cleaned).await? {
                rewritten += 1;
            }
        }
        after.clone_from(last);
        ctx.db.set_setting(SETTING, &after).await?;
    }
    ctx.db.set_setting(SETTING, DONE).await?;
    Ok(rewritten)
}
