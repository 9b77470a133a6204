//! The load generator (in the style of `wrk`: persistent HTTP/1.1 connections, each sending its
//! next request as soon as the last answer is read) and the bare axum server it is compared with.
//!
//! Requests are prepared bytes, so the generator spends its CPU on sockets, not on building
//! requests (or, for the inbox, on signing them): the two cores are shared with the server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a load runs.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Cycle through the requests for this long.
    For(Duration),
    /// Send each request once.
    Once,
}

/// What a load run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Connection failures and unparseable answers.
    pub errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Every answer's latency, sorted.
    pub latencies_us: Vec<u32>,
    /// Body bytes of the last answer (the document size).
    pub body_bytes: usize,
}

impl LoadResult {
    /// Answers with status `2xx`.
    pub fn ok(&self) -> u64 {
        self.statuses.range(200..300).map(|(_, n)| n).sum()
    }

    /// Successful answers per second.
    pub fn per_second(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which `p` (0–1) of answers came, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 * p).ceil() as usize)
            .clamp(1, self.latencies_us.len());
        f64::from(self.latencies_us[i - 1]) / 1000.0
    }
}

/// Runs `connections` connections against `addr` sending `requests`.
pub async fn run(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
    mode: Mode,
) -> anyhow::Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = match mode {
        Mode::For(d) => Some(start + d),
        Mode::Once => None,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (requests, next) = (requests.clone(), next.clone());
        tasks.spawn(connection(addr, requests, next, deadline, c));
    }
    let mut total = LoadResult::default();
    while let Some(part) = tasks.join_next().await {
        let part = part??;
        for (status, n) in part.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
        total.errors += part.errors;
        total.latencies_us.extend(part.latencies_us);
        total.body_bytes = total.body_bytes.max(part.body_bytes);
    }
    total.elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    Ok(total)
}

async fn connection(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    deadline: Option<Instant>,
    offset: usize,
) -> anyhow::Result<LoadResult> {
    let mut part = LoadResult::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut sent = offset;
    loop {
        let index = match deadline {
            Some(deadline) if Instant::now() >= deadline => break,
            Some(_) => {
                sent += 1;
                sent % requests.len()
            }
            None => match next.fetch_add(1, Ordering::Relaxed) {
                i if i >= requests.len() => break,
                i => i,
            },
        };
        let mut open = match stream.take() {
            Some(open) => open,
            None => {
                let open = TcpStream::connect(addr).await.context("connecting")?;
                open.set_nodelay(true)?;
                buf.clear();
                open
            }
        };
        let began = Instant::now();
        let answered = async {
            open.write_all(&requests[index]).await?;
            read_response(&mut open, &mut buf).await
        }
        .await;
        match answered {
            Ok((status, close, body)) => {
                let micros = began.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                part.latencies_us.push(micros);
                *part.statuses.entry(status).or_default() += 1;
                part.body_bytes = body;
                if !close {
                    stream = Some(open);
                }
            }
            Err(_) => part.errors += 1,
        }
    }
    Ok(part)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.reserve(16 * 1024);
    if stream.read_buf(buf).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Reads one answer: (status, whether the server closes the connection, body length).
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, bool, usize)> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed answer");
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n", 0) {
            break p + 4;
        }
        read_more(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad())?;
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let (mut length, mut chunked, mut close) = (0usize, false, false);
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| bad())?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let (end, body) = if chunked {
        let (mut at, mut body) = (head_end, 0);
        loop {
            let line_end = loop {
                if let Some(p) = find(buf, b"\r\n", at) {
                    break p;
                }
                read_more(stream, buf).await?;
            };
            let size_text = std::str::from_utf8(&buf[at..line_end]).map_err(|_| bad())?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad())?;
            let chunk_end = line_end + 2 + size + 2;
            while buf.len() < chunk_end {
                read_more(stream, buf).await?;
            }
            at = chunk_end;
            body += size;
            if size == 0 {
                break (at, body);
            }
        }
    } else {
        while buf.len() < head_end + length {
            read_more(stream, buf).await?;
        }
        (head_end + length, length)
    };
    buf.drain(..end);
    Ok((status, close, body))
}

/// A GET request for `path` with `accept`.
pub fn get_request(host: &str, path: &str, accept: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nUser-Agent: kith-bench\r\n\r\n"
    )
    .into_bytes()
}

/// The bare server role: `GET /N` answers N bytes of a fixed document, nothing else.
pub async fn bare_main() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let document = Bytes::from(vec![b'x'; 4 << 20]);
    let app = axum::Router::new()
        .route("/{n}", get(fixed))
        .with_state(document);
    println!("{}", serde_json::json!({ "port": port }));
    axum::serve(listener, app).await?;
    Ok(())
}

async fn fixed(State(document): State<Bytes>, Path(n): Path<usize>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        document.slice(..n.min(document.len())),
    )
}
