//! `kith user create` and `kith group create` on both databases.

use crate::support::{command, kith, sites, text};

#[tokio::test]
async fn admin_commands_create_and_refuse_duplicates_clearly() {
    for site in sites().await {
        let (dir, url) = (site.dir.path(), site.url.as_str());
        let out = kith(dir, url, &["user", "create", "ann", "--admin"]);
        assert!(out.status.success(), "{}: {}", site.label, text(&out));
        assert!(text(&out).contains("created administrator ann (https://kith.test/u/ann)"));

        let out = kith(dir, url, &["user", "create", "Ann"]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("the name \"ann\" is already taken"),
            "{}",
            text(&out)
        );

        let out = kith(
            dir,
            url,
            &[
                "group",
                "create",
                "runners",
                "--owner",
                "ann",
                "--title",
                "Sunday Runners",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("@runners@kith.test"), "{}", text(&out));

        for name in ["runners", "ann"] {
            let out = kith(dir, url, &["group", "create", name, "--owner", "ann"]);
            assert!(!out.status.success());
            assert!(text(&out).contains("already taken"), "{}", text(&out));
        }
        let out = kith(dir, url, &["user", "create", "runners"]);
        assert!(text(&out).contains("already taken"), "{}", text(&out));

        let out = kith(dir, url, &["group", "create", "chess", "--owner", "nobody"]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("no account named \"nobody\""),
            "{}",
            text(&out)
        );
    }
}

#[tokio::test]
async fn bad_database_urls_and_missing_passwords_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = kith(dir.path(), "mysql://db/kith", &["user", "create", "ann"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("must start with sqlite:// or postgres://"),
        "{}",
        text(&out)
    );

    let out = kith(
        dir.path(),
        "postgres://kith:pw@127.0.0.1:1/kith",
        &["user", "create", "ann"],
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("cannot open the database") && !said.contains(":pw@"),
        "{said}"
    );

    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let out = command(dir.path(), Some(&db))
        .env_remove("KITH_PASSWORD")
        .args(["user", "create", "ann"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("set KITH_PASSWORD"), "{}", text(&out));
}

#[tokio::test]
async fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = kith(dir.path(), "sqlite://unused.db", &["--help"]);
    let help = text(&out);
    for cmd in [
        "kith serve",
        "kith user create",
        "kith group create",
        "kith group requests",
        "kith group approve",
        "kith group remove",
        "kith group follow",
        "kith token create",
        "kith backup",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}:\n{help}");
    }
}
