-- Pictures (issue 23): a group's avatar and banner, an event's picture. `media` holds one row
-- per stored file (named by the SHA-256 of its bytes, in the media folder); `pictures` says
-- what shows it and whose readers may fetch it.
CREATE TABLE media (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE pictures (
    -- A local group's actor id, or an event's object id.
    owner_id TEXT NOT NULL,
    -- 'avatar', 'banner' or 'event'.
    role TEXT NOT NULL,
    -- The group whose readers may see it (a group's avatar and banner: itself).
    group_id TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES media (hash),
    alt TEXT,
    PRIMARY KEY (owner_id, role)
);

CREATE INDEX pictures_by_hash ON pictures (hash);
