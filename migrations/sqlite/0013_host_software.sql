-- What software each remote host runs, read from its NodeInfo (`software.name`), so that each
-- server is sent the activity forms it reads (kith-federation `software/`). A host is noted
-- (software NULL, due at once) the first time Kith queues something for it, and looked up by a
-- background task, never while a sender waits; `refresh_at` is when to look again (a claimed
-- look-up moves it ahead, so two processes do not look up one host together).
CREATE TABLE host_software (
    host TEXT PRIMARY KEY NOT NULL,
    software TEXT,
    version TEXT,
    checked_at BIGINT,
    refresh_at BIGINT NOT NULL
);

CREATE INDEX host_software_due ON host_software (refresh_at);
