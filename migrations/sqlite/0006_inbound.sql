-- The inbound queue: verified activities the inbox answered 202 for, applied by the inbox worker
-- (as Mastodon's inbox hands activities to a job queue). Rows go when applied or given up.
CREATE TABLE inbound_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    received_at BIGINT NOT NULL
);
CREATE INDEX inbound_activities_due ON inbound_activities (next_attempt_at, id);
