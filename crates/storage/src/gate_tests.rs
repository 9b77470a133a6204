//! The gate's order of writes and background work.

use super::*;

/// A background write waiting when a request's write arrives goes after it.
#[tokio::test]
async fn requests_write_before_background_work() {
    let gate = Arc::new(Gate::default());
    let held = gate.enter(false).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let (g, o) = (gate.clone(), order.clone());
    let background = tokio::spawn(async move {
        let _pass = g.enter(true).await;
        o.lock().unwrap().push("background");
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (g, o) = (gate.clone(), order.clone());
    let request = tokio::spawn(async move {
        let _pass = g.enter(false).await;
        o.lock().unwrap().push("request");
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(held);
    request.await.unwrap();
    background.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["request", "background"]);
}

/// Background work waits for requests, but not forever.
#[tokio::test]
async fn background_work_goes_in_its_turn_after_a_while() {
    let gate = Arc::new(Gate::default());
    let held = gate.enter(false).await;
    // A request waits, and keeps waiting (it holds its place as long as this test wants).
    gate.lock().requests += 1;
    let g = gate.clone();
    let background = tokio::spawn(async move { g.enter(true).await });
    tokio::time::sleep(MAX_DEFER + Duration::from_millis(20)).await;
    drop(held);
    let pass = tokio::time::timeout(Duration::from_secs(5), background).await;
    assert!(pass.is_ok(), "the background write went in");
}

/// A request that gives up waiting does not keep background work waiting.
#[tokio::test]
async fn a_request_gone_away_stops_counting() {
    let gate = Arc::new(Gate::default());
    let held = gate.enter(false).await;
    let g = gate.clone();
    let gone = tokio::time::timeout(Duration::from_millis(20), async move {
        let _pass = g.enter(false).await;
    })
    .await;
    assert!(gone.is_err());
    assert_eq!(gate.lock().requests, 0);
    drop(held);
    let background = tokio::time::timeout(Duration::from_secs(5), gate.enter(true)).await;
    assert!(background.is_ok());
}

/// PostgreSQL: requests' writes go together.
#[tokio::test]
async fn shared_gate_lets_requests_in_together() {
    let gate = Arc::new(Gate::new(true));
    let first = gate.enter(false).await;
    let second = tokio::time::timeout(Duration::from_secs(5), gate.enter(false)).await;
    assert!(
        second.is_ok(),
        "a second request's write went in beside the first"
    );
    drop((first, second));
    assert_eq!(gate.lock().requests, 0);
}

/// `n` pieces of background work one after the other; how long they took.
async fn background_pieces(gate: &Gate, n: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        gate.background_turn().await;
    }
    started.elapsed()
}

/// Background work goes freely when no request is busy, one piece per slot while one is, and
/// freely again once it is done.
#[tokio::test]
async fn background_work_yields_to_busy_requests_without_stopping() {
    let gate = Arc::new(Gate::new(true));
    let n = 20;
    let spaced = BACKGROUND_SLOT * (n - 1);
    assert!(background_pieces(&gate, n).await < spaced, "nobody busy");
    let busy = gate.count_request();
    let took = background_pieces(&gate, n).await;
    assert!(
        took >= spaced,
        "{n} pieces beside a busy request took {took:?}"
    );
    assert!(took < MAX_DEFER * n, "yet they went");
    drop(busy);
    assert!(
        background_pieces(&gate, n).await < spaced,
        "the request done"
    );
}

/// A piece of background work waiting for its slot goes once the busy request is done.
#[tokio::test]
async fn background_work_goes_when_requests_are_done() {
    let gate = Arc::new(Gate::new(true));
    gate.background_turn().await;
    let busy = gate.count_request();
    let g = gate.clone();
    let waiting = tokio::spawn(async move { g.background_turn().await });
    drop(busy);
    let went = tokio::time::timeout(Duration::from_secs(5), waiting).await;
    assert!(went.is_ok());
}

/// The gate on SQLite counts a request busy too: background writes wait for it, at most a
/// while.
#[tokio::test]
async fn a_busy_request_holds_sqlite_background_writes_back() {
    let gate = Arc::new(Gate::default());
    let _busy = gate.count_request();
    let started = Instant::now();
    let pass = tokio::time::timeout(MAX_DEFER * 3, gate.enter(true)).await;
    assert!(pass.is_ok(), "the background write went in");
    assert!(started.elapsed() >= MAX_DEFER);
}
