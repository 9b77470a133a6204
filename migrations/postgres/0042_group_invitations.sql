-- Invitations to a local group (issue 26): a link an organiser hands out, good for a number of
-- uses until it expires, or a personal invitation sent to one person as an `Invite`. Only the
-- SHA-256 of a link's secret is kept. Revoking an invitation deletes its row, and with it the
-- invitees it let in to look (below). Keep in step with the other database's folder.
CREATE TABLE group_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    invitee_id TEXT,
    created_by TEXT,
    max_uses BIGINT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX group_invitations_by_group ON group_invitations (group_id, expires_at);

-- People an invitation was used for (or sent to) who have not joined yet. While the row lives
-- (until `expires_at`), their server may fetch a hidden group's actor and WebFinger answer, so
-- that it can follow; the follow of the invitee is accepted without an organiser.
CREATE TABLE group_invitees (
    group_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES group_invitations (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_id)
);
CREATE INDEX group_invitees_by_domain ON group_invitees (group_id, domain);

-- A hidden group's unguessable WebFinger name (`NAME.RANDOM`), its `preferredUsername` in the
-- documents only members' and invitees' servers receive. Mastodon confirms every actor with an
-- unsigned WebFinger look-up of that name, which Kith answers to anyone: only who holds the
-- name can ask (docs/protocol.md, Hidden groups).
CREATE TABLE group_handles (
    group_id TEXT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    handle TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
