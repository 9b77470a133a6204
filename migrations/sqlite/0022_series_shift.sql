-- Editing a whole series from one date on (issue 23): when an organiser moves "this and all
-- later dates", the dates already created are moved, and the dates created later are moved by
-- the same amount from where the rule puts them (`occurrence` stays the rule's date, so each
-- is still created once).
ALTER TABLE event_series ADD COLUMN start_shift BIGINT NOT NULL DEFAULT 0;
