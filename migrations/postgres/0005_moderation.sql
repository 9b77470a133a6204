-- Moderation and safety (PostgreSQL). Keep in step with ../sqlite.

-- The question put to people asking to join a group that approves members, and their answers.
ALTER TABLE local_groups ADD COLUMN join_question TEXT;
ALTER TABLE memberships ADD COLUMN answer TEXT;

-- People banned from a local group: their membership ends and what they send there is refused.
-- The Block activity's id is kept to send Undo{Block} when the ban is lifted.
CREATE TABLE group_bans (
    group_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    reason TEXT,
    activity_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_id)
);


-- Instance-level blocks of whole servers ('block': nothing delivered or accepted; 'silence':
-- accepted, but posts are held for moderators and joins wait for approval).
CREATE TABLE domain_blocks (
    domain TEXT PRIMARY KEY NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('block', 'silence')),
    reason TEXT,
    created_at BIGINT NOT NULL
);

-- Instance-wide blocks of single remote actors.
CREATE TABLE actor_blocks (
    actor_id TEXT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    reason TEXT,
    created_at BIGINT NOT NULL
);

-- Reports, from local people and from remote Flag activities.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    reporter_id TEXT REFERENCES actors (id) ON DELETE SET NULL,
    target_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    group_id TEXT REFERENCES actors (id) ON DELETE SET NULL,
    object_ids TEXT NOT NULL,
    comment TEXT NOT NULL,
    activity_id TEXT UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    resolution TEXT,
    resolved_by TEXT,
    forwarded BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX reports_open ON reports (state, created_at);

-- Every moderation and administration action: who, what, on what, why.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    group_id TEXT,
    reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
