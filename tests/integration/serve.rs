//! `kith serve`: NodeInfo from a fresh database, admin commands beside a live server, and a
//! graceful stop on SIGTERM.

use crate::support::{Server, kith, sites, text};

#[tokio::test]
async fn serves_nodeinfo_and_sees_admin_commands_run_beside_it() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        let server = Server::start(dir, url);

        let (status, links) = server.get_json("/.well-known/nodeinfo").await;
        assert_eq!(status, 200, "{}", site.label);
        assert_eq!(links["links"][0]["href"], "https://kith.test/nodeinfo/2.1");
        let (status, info) = server.get_json("/nodeinfo/2.1").await;
        assert_eq!(status, 200);
        assert_eq!(info["software"]["name"], "kith");
        assert_eq!(info["usage"]["users"]["total"], 0);

        // Admin commands on the same database while the server runs.
        let out = kith(dir, url, &["user", "create", "ann"]);
        assert!(out.status.success(), "{}: {}", site.label, text(&out));
        let out = kith(dir, url, &["group", "create", "runners", "--owner", "ann"]);
        assert!(out.status.success(), "{}: {}", site.label, text(&out));
        let (_, info) = server.get_json("/nodeinfo/2.0").await;
        assert_eq!(info["version"], "2.0");
        assert_eq!(info["usage"]["users"]["total"], 1, "{}", site.label);
        assert_eq!(info["metadata"]["localGroups"], 1);

        let res = reqwest::get(format!("{}/healthz", server.base))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);

        let (clean, logs) = server.terminate();
        assert!(
            clean,
            "{}: kith serve did not exit cleanly: {logs:?}",
            site.label
        );
        assert!(logs.iter().any(|l| l.contains("stopped")), "{logs:?}");
    }
}

#[tokio::test]
async fn the_default_database_is_a_fresh_sqlite_file_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), None);
    let (status, info) = server.get_json("/nodeinfo/2.1").await;
    assert_eq!(
        (status, &info["usage"]["users"]["total"]),
        (200, &serde_json::json!(0))
    );
    assert!(dir.path().join("data/kith.db").exists());
}
