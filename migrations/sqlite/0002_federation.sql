-- Federation of groups (SQLite). Keep in step with ../postgres.

-- How a post travelled: the group's Announce of it, the author's Create as received (the
-- FEP-1b12 form re-sends it unchanged), and why it is held for moderators, if it is.
ALTER TABLE objects ADD COLUMN announce_id TEXT;
ALTER TABLE objects ADD COLUMN activity TEXT;
ALTER TABLE objects ADD COLUMN held_reason TEXT;
CREATE UNIQUE INDEX objects_announce_id ON objects (announce_id);
CREATE INDEX objects_group_held ON objects (group_id) WHERE held_reason IS NOT NULL;

-- Local actors following remote ones (a local group following a remote group or community).
CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    followee_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    activity_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id);

-- Bearer tokens for the JSON API; only a SHA-256 of each token is kept.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
