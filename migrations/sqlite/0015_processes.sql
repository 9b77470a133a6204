-- Kith server processes sharing this database, and the claims each holds (kith-storage
-- `processes.rs`). Every claim on a delivery or a queued inbound activity names the process that
-- made it, so the claims of a process that is gone (killed, crashed) are taken back at once by a
-- live one, rather than when their two-minute leases run out. Keep in step with ../postgres.
CREATE TABLE processes (
    -- Chosen at random by the process as it registers.
    id BIGINT PRIMARY KEY NOT NULL,
    -- Where it serves: host name, network namespace and listening address. A process that
    -- starts at the same place is the successor of one that ran there before.
    node TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    -- The database's clock, raised every couple of seconds while the process lives.
    heartbeat_at BIGINT NOT NULL,
    -- Set when the process begins a graceful stop: it hands its claims back itself.
    stopping_at BIGINT
);

-- No index: claims are looked up by process only when one is gone, a rare scan, while an index
-- would be written by every claim (docs/performance.md).
ALTER TABLE deliveries ADD COLUMN claimed_by BIGINT;
ALTER TABLE inbound_activities ADD COLUMN claimed_by BIGINT;
