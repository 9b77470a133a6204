-- Notifications and outgoing email (issue 24). Keep in step with ../postgres.

-- When the account's email address (accounts.email) was confirmed by its link; mail other than
-- the confirmation itself goes only to confirmed addresses.
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;

-- What each person wants to be told, and how. A missing row means the defaults.
CREATE TABLE notification_settings (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- One email per notification (approved, waitlist, event changed, reminder, reply, ...).
    email_each INTEGER NOT NULL DEFAULT 1,
    -- Organisers: a notification for every new answer to their events.
    rsvp_alerts INTEGER NOT NULL DEFAULT 0,
    -- 'off', 'daily' or 'weekly': one email with the new events and busiest threads.
    digest TEXT NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'daily', 'weekly')),
    -- What the last digest covered up to (the next one starts there).
    digest_through BIGINT
);

-- What happened, as the notifications page lists it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- One line, as the page and the email subject show it.
    summary TEXT NOT NULL,
    -- Where to look (a local page), or empty.
    link TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, created_at);

-- The outgoing mail queue: one rendered message per row, claimed with a lease in a process's
-- name like deliveries, retried with backoff.
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    -- The one-click unsubscribe URL (RFC 8058), or empty for mail that must reach the person
    -- whatever they chose (address confirmation, password reset).
    unsubscribe_url TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claimed_by BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at);

-- Secrets sent by email, stored as SHA-256 hashes: address confirmation, password reset,
-- unsubscribe.
CREATE TABLE mail_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'unsubscribe')),
    -- The address being confirmed ('verify').
    email TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mail_tokens_account ON mail_tokens (account_id);

-- Who was reminded of which event, so a reminder goes once.
CREATE TABLE event_reminders (
    event_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, account_id)
);
