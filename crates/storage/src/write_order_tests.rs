//! The gate's order of writes and background work.

use super::*;

/// A background write waiting when a request's write arrives goes after it.
#[tokio::test]
async fn requests_write_before_background_work() {
    let gate = Arc::new(WriteOrder::default());
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
    let gate = Arc::new(WriteOrder::default());
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
    let gate = Arc::new(WriteOrder::default());
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
    let gate = Arc::new(WriteOrder::new(true));
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
async fn background_pieces(gate: &WriteOrder, n: u32) -> Duration {
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
    let gate = Arc::new(WriteOrder::new(true));
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
    let gate = Arc::new(WriteOrder::new(true));
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
    let gate = Arc::new(WriteOrder::default());
    let _busy = gate.count_request();
    let started = Instant::now();
    let pass = tokio::time::timeout(MAX_DEFER * 3, gate.enter(true)).await;
    assert!(pass.is_ok(), "the background write went in");
    assert!(started.elapsed() >= MAX_DEFER);
}

/// Spawns `n` pieces of background work, one after the other (so they are in line in that
/// order); each records its number and when it went.
async fn spawn_pieces(
    gate: &Arc<WriteOrder>,
    n: usize,
) -> (
    Arc<Mutex<Vec<(usize, Instant)>>>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let went = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (g, w) = (gate.clone(), went.clone());
        tasks.push(tokio::spawn(async move {
            g.background_turn().await;
            w.lock().unwrap().push((i, Instant::now()));
        }));
        tokio::task::yield_now().await;
    }
    (went, tasks)
}

/// Beside a busy request, waiting pieces go one per slot in the order they came, however long
/// they have waited: many pieces waiting do not make the background go faster.
#[tokio::test(start_paused = true)]
async fn waiting_pieces_go_one_per_slot_in_order() {
    let gate = Arc::new(WriteOrder::new(true));
    let _busy = gate.count_request();
    let started = Instant::now();
    let n = 150;
    let (went, tasks) = spawn_pieces(&gate, n).await;
    tokio::time::sleep(BACKGROUND_SLOT * 5 + BACKGROUND_SLOT / 2).await;
    let so_far = went.lock().unwrap().len();
    assert!(
        (5..=7).contains(&so_far),
        "{so_far} went in {:?}",
        started.elapsed()
    );
    // The old rule let every piece go once it had waited a second.
    tokio::time::sleep(MAX_DEFER).await;
    let so_far = went.lock().unwrap().len();
    assert!(
        so_far < n,
        "{so_far} of {n} went in {:?}",
        started.elapsed()
    );
    for task in tasks {
        task.await.unwrap();
    }
    let went = went.lock().unwrap();
    let order: Vec<usize> = went.iter().map(|(i, _)| *i).collect();
    assert_eq!(order, (0..n).collect::<Vec<_>>());
    for pair in went.windows(2) {
        assert!(pair[1].1 - pair[0].1 >= BACKGROUND_SLOT, "spaced by a slot");
    }
}

/// A request done while others are still busy leaves the line waiting; once the last is done
/// and requests have been quiet a while, every waiting piece goes.
#[tokio::test(start_paused = true)]
async fn the_line_goes_when_the_last_request_is_done() {
    let gate = Arc::new(WriteOrder::new(true));
    let first = gate.count_request();
    let second = gate.count_request();
    gate.background_turn().await;
    let (went, tasks) = spawn_pieces(&gate, 10).await;
    drop(first);
    tokio::task::yield_now().await;
    assert!(went.lock().unwrap().len() <= 1, "one request is still busy");
    drop(second);
    tokio::time::sleep(QUIET / 2).await;
    assert!(went.lock().unwrap().len() <= 2, "not quiet yet");
    let all = tokio::time::timeout(QUIET + BACKGROUND_SLOT, async {
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    assert!(all.is_ok(), "all went once quiet");
    assert!(gate.lock().line.is_empty());
}

/// A piece that stops waiting (its work cancelled) leaves the line, and the one behind it
/// takes its place at the head.
#[tokio::test(start_paused = true)]
async fn a_cancelled_piece_leaves_the_line() {
    let gate = Arc::new(WriteOrder::new(true));
    let _busy = gate.count_request();
    gate.background_turn().await;
    let (went, mut tasks) = spawn_pieces(&gate, 2).await;
    tasks.remove(0).abort();
    let second = tokio::time::timeout(BACKGROUND_SLOT * 3, tasks.remove(0)).await;
    assert!(second.is_ok(), "the second piece went");
    assert_eq!(went.lock().unwrap().len(), 1);
    assert!(gate.lock().line.is_empty());
}
