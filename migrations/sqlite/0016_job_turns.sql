-- Jobs one process runs for all of them (the recurring-event task, and any other that must not
-- run once per process): when a process last took each one's turn (kith-storage `turns.rs`).
-- Keep in step with ../postgres.
CREATE TABLE job_turns (
    name TEXT PRIMARY KEY NOT NULL,
    -- The database's clock when the turn was taken.
    started_at BIGINT NOT NULL,
    -- The process that took it (`processes.id`), when it was registered.
    process_id BIGINT
);
