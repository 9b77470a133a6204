-- Kith's first schema (PostgreSQL). Ids are text (ActivityPub URLs or ULIDs), timestamps are integer
-- milliseconds since the Unix epoch, JSON is stored as text. Keep in step with ../sqlite.

-- Every ActivityPub actor Kith knows: local people, local groups, the instance actor, and the
-- remote actors that interact with them.
CREATE TABLE actors (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('Person', 'Group', 'Application', 'Service', 'Organization')),
    local BOOLEAN NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    summary TEXT,
    url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    data TEXT,
    fetched_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- People and groups share one namespace on this instance (WebFinger cannot tell them apart).
CREATE UNIQUE INDEX actors_local_username ON actors (username) WHERE local;
CREATE INDEX actors_domain_username ON actors (domain, username);
CREATE INDEX actors_key_id ON actors (key_id);

-- People who log in here.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    username TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    last_active_at BIGINT
);

-- Settings of the groups hosted here.
CREATE TABLE local_groups (
    actor_id TEXT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    join_policy TEXT NOT NULL DEFAULT 'open' CHECK (join_policy IN ('open', 'approval')),
    post_policy TEXT NOT NULL DEFAULT 'members'
        CHECK (post_policy IN ('members', 'anyone', 'moderators')),
    reply_policy TEXT NOT NULL DEFAULT 'thread' CHECK (reply_policy IN ('thread', 'boost')),
    rules TEXT,
    created_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

-- Who belongs to a local group (its followers), and in what role.
CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'banned')),
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'owner')),
    follow_activity_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX memberships_member ON memberships (member_id);

-- Posts, replies and events, local and remote, with the JSON they were published as.
CREATE TABLE objects (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    attributed_to TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    group_id TEXT REFERENCES actors (id) ON DELETE CASCADE,
    in_reply_to TEXT,
    thread_root TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'followers', 'direct')),
    url TEXT,
    name TEXT,
    summary TEXT,
    content TEXT,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    start_time BIGINT,
    end_time BIGINT,
    data TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    updated_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX objects_group_published ON objects (group_id, published_at);
CREATE INDEX objects_in_reply_to ON objects (in_reply_to, published_at);
CREATE INDEX objects_thread_root ON objects (thread_root, published_at);
CREATE INDEX objects_event_start ON objects (start_time) WHERE kind = 'Event';

-- Ids of activities already received, so a redelivery has no second effect.
CREATE TABLE received_activities (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX received_activities_received_at ON received_activities (received_at);

-- Answers to events, from local and remote people.
CREATE TABLE rsvps (
    event_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    status TEXT NOT NULL
        CHECK (status IN ('going', 'maybe', 'not_going', 'waitlisted', 'pending', 'rejected')),
    activity_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, actor_id)
);
CREATE INDEX rsvps_actor ON rsvps (actor_id);

-- The outgoing delivery queue: each activity is stored once, with one row per target inbox.
CREATE TABLE outgoing_activities (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id TEXT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    host TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at);
CREATE INDEX deliveries_host ON deliveries (host);

-- What delivery knows of each remote host: when it last answered, and whether it is dead.
CREATE TABLE delivery_hosts (
    host TEXT PRIMARY KEY NOT NULL,
    last_success_at BIGINT,
    failing_since BIGINT,
    dead BOOLEAN NOT NULL DEFAULT FALSE
);
