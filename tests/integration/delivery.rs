//! The delivery queue: retries with backoff, permanent failures, leases that outlive a dead
//! worker, and per-host concurrency that never lets a slow host hold back another.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::post};
use kith_federation::{Context, FederationSettings, actions::accounts, outbound::delivery};
use kith_storage::NewDelivery;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::instance::{eventually, fast_delivery};

#[derive(Default)]
struct Target {
    hits_flaky: AtomicUsize,
    hits_gone: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    done: AtomicUsize,
    release: Notify,
}

async fn serve(target: Arc<Target>) -> String {
    let app = Router::new()
        .route(
            "/flaky",
            post(|State(t): State<Arc<Target>>| async move {
                // Fails once (a server restarting), then accepts.
                if t.hits_flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::ACCEPTED
                }
            }),
        )
        .route(
            "/gone",
            post(|State(t): State<Arc<Target>>| async move {
                t.hits_gone.fetch_add(1, Ordering::SeqCst);
                StatusCode::GONE
            }),
        )
        .route(
            "/slow",
            post(|State(t): State<Arc<Target>>| async move {
                let now = t.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                t.max_in_flight.fetch_max(now, Ordering::SeqCst);
                t.release.notified().await;
                t.in_flight.fetch_sub(1, Ordering::SeqCst);
                t.done.fetch_add(1, Ordering::SeqCst);
                StatusCode::ACCEPTED
            }),
        )
        .route(
            "/fast",
            post(|State(t): State<Arc<Target>>| async move {
                t.done.fetch_add(1, Ordering::SeqCst);
                StatusCode::ACCEPTED
            }),
        )
        .with_state(target);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn context() -> (Context, kith_storage::testing::TestDatabase, String) {
    let test_db = kith_storage::testing::sqlite().await;
    let settings = FederationSettings::new("127.0.0.1:9", true);
    let ctx = Context::new(test_db.db.clone(), settings).unwrap();
    let account = accounts::create_account(&ctx, "sender", "correct horse", false)
        .await
        .unwrap();
    (ctx, test_db, account.actor_id)
}

async fn queue(ctx: &Context, actor: &str, n: usize, inboxes: Vec<String>) {
    ctx.db
        .enqueue_delivery(&NewDelivery {
            activity_id: format!("http://127.0.0.1:9/u/sender/activities/{n}"),
            actor_id: actor.to_owned(),
            body: r#"{"type":"Announce"}"#.into(),
            inboxes,
        })
        .await
        .unwrap();
}

fn start_worker(ctx: &Context) -> watch::Sender<bool> {
    let (stop, mut stopped) = watch::channel(false);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        delivery::run(ctx, fast_delivery(), async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
    });
    stop
}

#[tokio::test]
async fn failures_are_retried_permanent_ones_dropped_and_dead_workers_lose_nothing() {
    let (ctx, _db, actor) = context().await;
    let target = Arc::new(Target::default());
    let base = serve(target.clone()).await;
    queue(
        &ctx,
        &actor,
        1,
        vec![format!("{base}/flaky"), format!("{base}/gone")],
    )
    .await;

    // A worker claims both rows and dies before sending: its lease must run out, not the rows.
    let claimed = ctx.db.claim_deliveries(10, 300).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        ctx.db.claim_deliveries(10, 300).await.unwrap().is_empty(),
        "leased rows are held"
    );

    let stop = start_worker(&ctx);
    eventually("the queue to drain", || async {
        (ctx.db.pending_deliveries().await.unwrap() == 0).then_some(())
    })
    .await;
    assert_eq!(
        target.hits_flaky.load(Ordering::SeqCst),
        2,
        "503, then retried"
    );
    assert_eq!(
        target.hits_gone.load(Ordering::SeqCst),
        1,
        "410 is not retried"
    );
    let counters = ctx.counters();
    assert_eq!(counters.delivered.load(Ordering::SeqCst), 1);
    assert_eq!(counters.delivery_dropped.load(Ordering::SeqCst), 1);
    let _ = stop.send(true);
}

#[tokio::test]
async fn a_slow_host_gets_a_few_requests_at_a_time_and_holds_back_no_other() {
    let (ctx, _db, actor) = context().await;
    let slow = Arc::new(Target::default());
    let fast = Arc::new(Target::default());
    let slow_base = serve(slow.clone()).await;
    let fast_base = serve(fast.clone()).await;
    for n in 0..12 {
        queue(&ctx, &actor, n, vec![format!("{slow_base}/slow")]).await;
    }
    for n in 12..16 {
        queue(&ctx, &actor, n, vec![format!("{fast_base}/fast")]).await;
    }
    let stop = start_worker(&ctx);
    eventually("the fast host served while the slow one hangs", || async {
        (fast.done.load(Ordering::SeqCst) == 4).then_some(())
    })
    .await;
    eventually("the slow host at its limit", || async {
        (slow.in_flight.load(Ordering::SeqCst) == 4).then_some(())
    })
    .await;
    assert_eq!(slow.done.load(Ordering::SeqCst), 0);
    while slow.done.load(Ordering::SeqCst) < 12 {
        slow.release.notify_waiters();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        slow.max_in_flight.load(Ordering::SeqCst),
        4,
        "four at a time per host"
    );
    eventually("the queue to drain", || async {
        (ctx.db.pending_deliveries().await.unwrap() == 0).then_some(())
    })
    .await;
    let _ = stop.send(true);
}

/// A host that answers `status` with `Retry-After: retry_after(now)` to the first request,
/// then takes what comes; it records when each request came.
async fn busy_host(
    status: StatusCode,
    retry_after: fn() -> String,
) -> (String, Arc<std::sync::Mutex<Vec<std::time::Instant>>>) {
    let hits: Arc<std::sync::Mutex<Vec<std::time::Instant>>> = Arc::default();
    let seen = hits.clone();
    let app = Router::new().route(
        "/inbox",
        post(move || {
            let seen = seen.clone();
            async move {
                let mut hits = seen.lock().unwrap();
                hits.push(std::time::Instant::now());
                if hits.len() == 1 {
                    (status, [("retry-after", retry_after())]).into_response()
                } else {
                    StatusCode::ACCEPTED.into_response()
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("{base}/inbox"), hits)
}

#[tokio::test]
async fn a_host_that_answers_503_or_429_with_retry_after_is_tried_again_when_it_says() {
    let (ctx, _db, actor) = context().await;
    // Mastodon 4.6 answers 503 when it could not fetch the sender's key for a moment.
    let (unavailable, unavailable_hits) =
        busy_host(StatusCode::SERVICE_UNAVAILABLE, || "2".to_owned()).await;
    let (limited, limited_hits) = busy_host(StatusCode::TOO_MANY_REQUESTS, || {
        let at = std::time::SystemTime::now() + std::time::Duration::from_secs(3);
        httpdate::fmt_http_date(at)
    })
    .await;
    queue(&ctx, &actor, 1, vec![unavailable]).await;
    queue(&ctx, &actor, 2, vec![limited]).await;
    let stop = start_worker(&ctx);
    eventually("both delivered", || async {
        (ctx.db.pending_deliveries().await.unwrap() == 0).then_some(())
    })
    .await;
    for (hits, asked) in [(unavailable_hits, 2.0), (limited_hits, 2.0)] {
        let hits = hits.lock().unwrap().clone();
        assert_eq!(hits.len(), 2, "refused once, then taken");
        let waited = (hits[1] - hits[0]).as_secs_f64();
        // The worker retries failures after 100 ms here: only Retry-After makes it wait.
        assert!(
            waited >= asked - 0.1,
            "tried again after {waited} s, asked {asked} s"
        );
    }
    let counters = ctx.counters();
    assert_eq!(counters.delivered.load(Ordering::SeqCst), 2);
    assert_eq!(counters.delivery_deferred.load(Ordering::SeqCst), 2);
    assert_eq!(counters.delivery_dropped.load(Ordering::SeqCst), 0);
    let _ = stop.send(true);
}

#[tokio::test]
async fn a_block_made_by_another_process_stops_what_the_worker_holds_within_blocks_ttl() {
    let (ctx, test_db, actor) = context().await;
    let slow = Arc::new(Target::default());
    let base = serve(slow.clone()).await;
    for n in 0..12 {
        queue(&ctx, &actor, n, vec![format!("{base}/slow")]).await;
    }
    let stop = start_worker(&ctx);
    eventually("the slow host at its limit", || async {
        (slow.in_flight.load(Ordering::SeqCst) == 4).then_some(())
    })
    .await;
    // The worker holds all twelve: four in flight, eight waiting for the host's turn. An
    // administrator blocks the server through another process (a command, a second server):
    // the queue's rows go at once; what this worker holds goes once its copy of the blocks
    // ages out.
    let elsewhere = kith_storage::Database::connect(&test_db.url).await.unwrap();
    let host = base.trim_start_matches("http://");
    elsewhere
        .block_domain(host, kith_storage::DomainSeverity::Block, None)
        .await
        .unwrap();
    assert_eq!(ctx.db.pending_deliveries().await.unwrap(), 0);
    tokio::time::sleep(kith_storage::BLOCKS_TTL).await;
    while slow.done.load(Ordering::SeqCst) < 4 {
        slow.release.notify_waiters();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let counters = ctx.counters();
    eventually("the eight held back dropped, not sent", || async {
        let settled = counters.delivered.load(Ordering::SeqCst)
            + counters.delivery_dropped.load(Ordering::SeqCst);
        (settled == 12).then_some(())
    })
    .await;
    assert_eq!(counters.delivery_dropped.load(Ordering::SeqCst), 8);
    assert_eq!(
        slow.in_flight.load(Ordering::SeqCst),
        0,
        "nothing more was sent"
    );
    assert_eq!(slow.done.load(Ordering::SeqCst), 4);
    let _ = stop.send(true);
    elsewhere.close().await;
}
