//! Pooled connections that the database server dropped (it restarted, or an administrator or a
//! firewall ended them): the pools skip their liveness check for a connection used moments ago
//! (`db.rs`, `write.rs`), and must still never lose a write or keep failing. PostgreSQL only:
//! an SQLite connection has no server to drop it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use kith_storage::{InboundWriter, NewInbound, testing};
use sqlx::Connection;

fn activity(n: usize) -> NewInbound {
    NewInbound {
        activity_id: format!("https://mastodon.test/users/felix/statuses/{n}/activity"),
        actor_id: "https://mastodon.test/users/felix".into(),
        kind: "Create".into(),
        body: format!("{{\"n\":{n}}}"),
    }
}

/// Counts the other sessions on the test database, ending each first when `end` is set (as
/// `pg_terminate_backend` or a server restart does).
async fn other_sessions(url: &str, end: bool) -> i64 {
    let counted = if end {
        "pg_terminate_backend(pid)"
    } else {
        "*"
    };
    let mut admin = sqlx::AnyConnection::connect(url).await.unwrap();
    let row: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT({counted}) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )))
    .fetch_one(&mut admin)
    .await
    .unwrap();
    admin.close().await.ok();
    row.0
}

/// Writes `new` until it is taken, allowing one failure (a kept connection the server dropped
/// moments after it was last used); returns whether it was new.
async fn write_allowing_one_failure(writer: &InboundWriter, new: NewInbound) -> bool {
    match writer.accept_inbound(std::slice::from_ref(&new)).await {
        Ok(queued) => queued[0],
        Err(_) => writer.accept_inbound(&[new]).await.unwrap()[0],
    }
}

#[tokio::test]
async fn a_dropped_connection_is_replaced_and_loses_no_write() {
    let Some(t) = testing::postgres().await else {
        return;
    };
    let db = &t.db;
    let writer = db.inbound_writer_with_own_pools(2);
    assert_eq!(writer.accept_inbound(&[activity(0)]).await.unwrap(), [true]);
    assert_eq!(db.inbound_backlog().await.unwrap(), 1);

    // Dropped moments after use: the write on the kept connection may fail once (the sender
    // is answered 500 and retries), but nothing was recorded, so the retry is taken as new.
    assert!(
        other_sessions(&t.url, true).await >= 2,
        "the main and the kept"
    );
    assert!(write_allowing_one_failure(&writer, activity(1)).await);
    assert!(writer.accept_inbound(&[activity(2)]).await.unwrap()[0]);

    // Dropped while idle for longer: the connections are checked before use and replaced,
    // and no statement fails.
    assert!(other_sessions(&t.url, true).await >= 1, "the kept");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(db.inbound_backlog().await.unwrap(), 3);
    assert_eq!(writer.accept_inbound(&[activity(3)]).await.unwrap(), [true]);
    assert_eq!(
        writer.accept_inbound(&[activity(0)]).await.unwrap(),
        [false]
    );
    assert_eq!(db.inbound_backlog().await.unwrap(), 4);

    writer.close().await;
}

#[tokio::test]
async fn closing_the_queue_handle_closes_its_kept_connection() {
    let Some(t) = testing::postgres().await else {
        return;
    };
    let writer = t.db.inbound_writer_with_own_pools(2);
    writer.accept_inbound(&[activity(0)]).await.unwrap();
    let open = other_sessions(&t.url, false).await;
    // Closing a pool waits for every connection to come back: one still kept would hang it.
    tokio::time::timeout(Duration::from_secs(10), writer.close())
        .await
        .expect("the queue's pools close");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(other_sessions(&t.url, false).await, open - 1);
    t.db.close().await;
}
