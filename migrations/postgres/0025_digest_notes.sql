-- The daily posts of groups' digest actors (issue 24; kith-federation `group_digest`): one row
-- per digest actor and UTC day once that day was looked at, holding the Note that was sent (its
-- JSON, served at its id) or NULL when the day had nothing to tell. The primary key is what
-- makes the post once a day: the row is written with the post's deliveries, in one transaction,
-- and a second writer for the same day finds it taken. Followers are memberships of the
-- digest actor, as for every local actor. Keep in step with the other database's folder.
CREATE TABLE digest_notes (
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, day)
);
