//! Connections that would hold a socket and a task for ever: a client that sends half a request
//! head and stalls, one that connects and says nothing, and a kept-alive connection left idle
//! are closed once the header timeout passes; a connection that keeps asking is served, and
//! stopping the instance closes idle connections rather than waiting for them.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::instance::Instance;

const TIMEOUT: Duration = Duration::from_millis(700);

/// Reads until the server closes the connection (or resets it), at most `limit`; `Some` of
/// the time it took, `None` when the connection was still open.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_all)
        .await
        .ok()
        .map(|()| started.elapsed())
}

/// Sends one request on a kept-alive connection and reads its whole answer (`ok`).
async fn ask_health(stream: &mut TcpStream, host: &str) {
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn stalled_and_idle_connections_are_closed_after_the_header_timeout() {
    let kith = Instance::start_with(|web| web.header_timeout = TIMEOUT).await;
    let host = kith.domain().to_owned();
    let limit = Duration::from_secs(5);

    // Half a request head, then nothing.
    let mut half = TcpStream::connect(&host).await.unwrap();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: ");
    half.write_all(head.as_bytes()).await.unwrap();
    let took = closed_within(&mut half, limit)
        .await
        .expect("a half-sent request head is cut off");
    assert!(
        took >= TIMEOUT / 2,
        "closed after {took:?}, before the timeout"
    );

    // Connected, and not a byte.
    let mut silent = TcpStream::connect(&host).await.unwrap();
    closed_within(&mut silent, limit)
        .await
        .expect("a silent connection is closed");

    // Kept alive after an answer, then idle.
    let mut idle = TcpStream::connect(&host).await.unwrap();
    ask_health(&mut idle, &host).await;
    let took = closed_within(&mut idle, limit)
        .await
        .expect("an idle kept-alive connection is closed");
    assert!(
        took >= TIMEOUT / 2,
        "closed after {took:?}, before the timeout"
    );

    // A connection that keeps asking within the timeout is served all along.
    let mut busy = TcpStream::connect(&host).await.unwrap();
    for _ in 0..4 {
        ask_health(&mut busy, &host).await;
        tokio::time::sleep(TIMEOUT / 3).await;
    }

    kith.stop().await;
}

#[tokio::test]
async fn a_stop_does_not_wait_for_idle_connections() {
    // A timeout far longer than the test may take: the stop must not sit it out.
    let kith = Instance::start_with(|web| web.header_timeout = Duration::from_secs(120)).await;
    let host = kith.domain().to_owned();
    let mut idle = TcpStream::connect(&host).await.unwrap();
    ask_health(&mut idle, &host).await;
    let started = Instant::now();
    kith.stop().await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "the stop waited {took:?}");
    closed_within(&mut idle, Duration::from_secs(5))
        .await
        .expect("the idle connection was closed by the stop");
}
