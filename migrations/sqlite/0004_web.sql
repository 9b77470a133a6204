-- People in browsers: registration modes, sessions, invite codes, login throttling and
-- instance settings an administrator edits.

-- An account that applied while registration needs approval waits with approved = 0.
ALTER TABLE accounts ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;
-- Why they want to join (shown to administrators deciding).
ALTER TABLE accounts ADD COLUMN application TEXT;

-- Browser sessions; only a hash of the cookie's secret is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Settings an administrator changes from the web (registration mode, about text).
CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Invite codes, for instances that register by invitation.
CREATE TABLE invites (
    code TEXT PRIMARY KEY NOT NULL,
    created_by TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

-- Failed logins per key (address and name), counted in a window, shared by every process.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL
);
