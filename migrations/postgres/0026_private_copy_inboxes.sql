-- Where a members-only or hidden group's own copy of a post went (issue 26): the inboxes of
-- the members' servers that received it (Mastodon-family servers and servers not known yet).
-- An edit or deletion of the post is sent to those servers, and only those, as an `Update` or
-- `Delete` of the copy. Keep in step with the other database's folder.
CREATE TABLE private_copy_inboxes (
    object_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    PRIMARY KEY (object_id, inbox)
);
