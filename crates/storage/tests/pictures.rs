//! Pictures in storage (issue 23), on both databases: a file recorded once by its hash, shown
//! by a group as avatar and banner with alt text, replaced, removed, and every use of a file
//! found by its hash (what decides who may fetch it).

#![allow(clippy::unwrap_used)]

mod common;

use common::group_with_owner;
use kith_storage::PictureRole;
use kith_storage::testing;

#[tokio::test]
async fn pictures_are_recorded_once_shown_replaced_and_removed() {
    for t in testing::all().await {
        let db = &t.db;
        let (_owner, group) = group_with_owner(db).await;
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let mut tx = db.begin().await.unwrap();
        tx.add_media(&a, "image/png", (400, 400), 1234)
            .await
            .unwrap();
        // The same bytes again: one row.
        tx.add_media(&a, "image/png", (400, 400), 1234)
            .await
            .unwrap();
        tx.add_media(&b, "image/jpeg", (1500, 500), 99)
            .await
            .unwrap();
        let g = group.id.as_str();
        tx.set_picture((g, PictureRole::Avatar, g), Some(&a), Some("A shoe"))
            .await
            .unwrap();
        tx.set_picture((g, PictureRole::Banner, g), Some(&a), None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let shown = db.pictures_of(g).await.unwrap();
        assert_eq!(shown.len(), 2, "{}", t.label);
        assert_eq!(shown[0].role, PictureRole::Avatar);
        assert_eq!(shown[0].alt.as_deref(), Some("A shoe"));
        assert_eq!((shown[0].width, shown[0].height), (400, 400));
        assert_eq!(db.pictures_by_hash(&a).await.unwrap().len(), 2);

        // Replaced, then removed.
        let mut tx = db.begin().await.unwrap();
        tx.set_picture((g, PictureRole::Banner, g), Some(&b), Some("The river"))
            .await
            .unwrap();
        tx.set_picture((g, PictureRole::Avatar, g), None, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let shown = db.pictures_of(g).await.unwrap();
        assert_eq!(shown.len(), 1, "{}", t.label);
        assert_eq!(shown[0].role, PictureRole::Banner);
        assert_eq!(shown[0].content_type, "image/jpeg");
        assert!(db.pictures_by_hash(&a).await.unwrap().is_empty());
        assert_eq!(db.pictures_by_hash(&b).await.unwrap()[0].group_id, group.id);
    }
}
