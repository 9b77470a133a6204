-- People who chose not to show their group memberships on their page (issue 26). A row means
-- hidden; memberships of members-only and hidden groups are never shown to others anyway.
-- Keep in step with the other database's folder.
CREATE TABLE hidden_memberships (
    actor_id TEXT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
