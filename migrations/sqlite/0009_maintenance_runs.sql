-- When each shared background task last ran, so that a periodic task (forgetting old received
-- activity ids) runs once per interval however many Kith processes share the database, and a
-- one-off task (spelling the hosts stored before hosts were spelled one way) runs once.
-- kith-storage `maintenance.rs`. The received ids are pruned through the index on
-- `received_activities (received_at)` that migration 0001 made.
CREATE TABLE maintenance_runs (
    task TEXT PRIMARY KEY NOT NULL,
    last_run_at BIGINT NOT NULL
);
