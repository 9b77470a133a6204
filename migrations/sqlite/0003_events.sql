-- Events (SQLite). Keep in step with ../postgres.

-- Recurring events: the rule is kept here and each occurrence is created ahead as its own event.
CREATE TABLE event_series (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    organizer_id TEXT REFERENCES actors (id) ON DELETE SET NULL,
    -- The RRULE value (RFC 5545), e.g. FREQ=WEEKLY;COUNT=12.
    rule TEXT NOT NULL,
    first_start BIGINT NOT NULL,
    duration BIGINT NOT NULL,
    timezone TEXT NOT NULL,
    -- What every occurrence copies: title, description, place, capacity… as JSON.
    template TEXT NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- What an Event object has beyond a post. The object row keeps id, name, content, summary,
-- start_time, end_time, group_id (the organising group) and the JSON document.
CREATE TABLE events (
    object_id TEXT PRIMARY KEY NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    organizer_id TEXT REFERENCES actors (id) ON DELETE SET NULL,
    timezone TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('tentative', 'confirmed', 'cancelled')),
    join_mode TEXT NOT NULL CHECK (join_mode IN ('free', 'approval', 'external', 'none')),
    external_url TEXT,
    place_name TEXT,
    place_address TEXT,
    latitude REAL,
    longitude REAL,
    online_url TEXT,
    capacity BIGINT,
    category TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    -- The poll Mastodon members answer (local events only).
    question_id TEXT,
    series_id TEXT REFERENCES event_series (id) ON DELETE SET NULL,
    occurrence BIGINT,
    -- How local people answer a remote event: 'join' (Mobilizon, Kith) or 'accept' (Friendica).
    rsvp_style TEXT NOT NULL DEFAULT 'join' CHECK (rsvp_style IN ('join', 'accept')),
    sequence BIGINT NOT NULL DEFAULT 0,
    -- Written first in every RSVP transaction so capacity decisions on one event queue up.
    rsvp_lock BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX events_question ON events (question_id);
CREATE UNIQUE INDEX events_occurrence ON events (series_id, occurrence);

-- How an answer arrived, so Kith tells the person back the same way.
ALTER TABLE rsvps ADD COLUMN via TEXT NOT NULL DEFAULT 'local'
    CHECK (via IN ('local', 'join', 'accept', 'poll'));
CREATE INDEX rsvps_activity ON rsvps (activity_id);
CREATE INDEX rsvps_event_status ON rsvps (event_id, status, updated_at);

-- Secret links to a person's private calendar of what they answered; only a SHA-256 is kept.
CREATE TABLE calendar_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
