-- Private messages about a remote event (issue 23): what an event's group sent one local person
-- alone, such as the online link of an event they are going to (FEDERATION.md, events). Kept
-- apart from `objects` so that no page, feed, collection or API answer that lists objects can
-- show them: they are read only by the event's page, for the person they were sent to.
CREATE TABLE event_messages (
    -- The direct Note's id.
    id TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    -- The local person it was sent to (one row each when sent to several).
    recipient_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- Sanitised HTML.
    content TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (id, recipient_id)
);

CREATE INDEX event_messages_for ON event_messages (event_id, recipient_id);
