//! `kith backup` of a live SQLite database and its pictures, and restoring both to a working
//! instance.

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

/// POSTs a group's avatar to the JSON API of `base` as `token`: its URL.
async fn upload_avatar(base: &str, token: &str) -> String {
    let boundary = "kith-backup-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA shoe\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&crate::pictures::picture(300, 300, image::ImageFormat::Png));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/groups/runners/pictures/avatar"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    answer["avatar"]["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_backup_holds_the_pictures_and_restore_puts_both_back() {
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live/kith.db").display());
    let server = Server::start(dir.path(), &live);
    for args in [
        &["user", "create", "ann"][..],
        &["group", "create", "runners", "--owner", "ann"],
    ] {
        let out = kith(dir.path(), &live, args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = kith(dir.path(), &live, &["token", "create", "ann"]);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let url = upload_avatar(&server.base, &token).await;
    let file = url.rsplit('/').next().unwrap().to_owned();
    assert!(dir.path().join("live/media").join(&file).is_file());

    let copy = dir.path().join("backups/kith.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let out = kith(dir.path(), &live, &["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("copied 1 picture files"),
        "{}",
        text(&out)
    );
    assert!(
        dir.path()
            .join("backups/kith.db-media")
            .join(&file)
            .is_file()
    );
    drop(server);

    // Restored elsewhere: refused over an existing database, then the database and the
    // pictures are back and served.
    let restored = format!("sqlite://{}", dir.path().join("restored/kith.db").display());
    let out = kith(dir.path(), &live, &["restore", copy.to_str().unwrap()]);
    assert!(!out.status.success(), "never over a database");
    assert!(
        text(&out).contains("move the current database"),
        "{}",
        text(&out)
    );
    let out = kith(dir.path(), &restored, &["restore", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.path().join("restored/media").join(&file).is_file());
    let server = Server::start(dir.path(), &restored);
    let (_, group) = server.get_json("/api/v1/groups/runners").await;
    let served_url = group["avatar"]["url"].as_str().unwrap().to_owned();
    assert!(served_url.ends_with(&file), "{served_url}");
    let served = reqwest::get(format!("{}/media/{file}", server.base))
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        std::fs::read(dir.path().join("live/media").join(&file)).unwrap()
    );
}
