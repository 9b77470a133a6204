//! `kith backup` of a live SQLite database, and restoring it to a working instance.

use crate::support::{Server, kith, sqlite_file, text};

#[tokio::test]
async fn a_backup_of_a_live_database_restores_to_a_working_instance() {
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live/kith.db").display());
    let server = Server::start(dir.path(), &live);
    let out = kith(dir.path(), &live, &["user", "create", "ann"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = kith(
        dir.path(),
        &live,
        &["group", "create", "runners", "--owner", "ann"],
    );
    assert!(out.status.success(), "{}", text(&out));

    let copy = dir.path().join("backup.db");
    let out = kith(dir.path(), &live, &["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = kith(dir.path(), &live, &["backup", copy.to_str().unwrap()]);
    assert!(!out.status.success(), "a backup never overwrites a file");
    // The live instance goes on working after the backup.
    let out = kith(dir.path(), &live, &["user", "create", "bob"]);
    assert!(out.status.success(), "{}", text(&out));
    drop(server);

    // Restore as docs/self-hosting.md says: put the copy where database_url points.
    let restored_dir = dir.path().join("restored");
    std::fs::create_dir_all(&restored_dir).unwrap();
    std::fs::copy(&copy, restored_dir.join("kith.db")).unwrap();
    let restored = format!("sqlite://{}", restored_dir.join("kith.db").display());
    assert!(sqlite_file(&restored).exists());
    let server = Server::start(dir.path(), &restored);
    let (_, info) = server.get_json("/nodeinfo/2.1").await;
    assert_eq!(
        info["usage"]["users"]["total"], 1,
        "the copy holds what was there at backup"
    );
    assert_eq!(info["metadata"]["localGroups"], 1);
    let out = kith(dir.path(), &restored, &["user", "create", "ann"]);
    assert!(text(&out).contains("already taken"), "{}", text(&out));
    let out = kith(dir.path(), &restored, &["user", "create", "cy"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test]
async fn postgres_backups_point_to_pg_dump() {
    let Some(url) = kith_storage::testing::postgres_url().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = kith(dir.path(), &url, &["backup", "x.db"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("pg_dump"), "{}", text(&out));
}
