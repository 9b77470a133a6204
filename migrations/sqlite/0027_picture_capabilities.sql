-- A hidden group's avatar and banner, for its members' servers (issue 26). Mastodon fetches
-- avatars without a signature, so it cannot show a picture only a member may fetch. Each
-- group picture gets an unguessable capability: the picture is also served, to anyone, at a
-- URL naming it (`/media/c/CAPABILITY/FILE`), and a hidden group's documents (which only its
-- members and their servers receive) name the picture by that URL. A new picture gets a new
-- capability. Rows follow `pictures` (0030; written and removed with them, by owner and role).
-- Keep in step with the other database's folder.
CREATE TABLE picture_capabilities (
    owner_id TEXT NOT NULL,
    role TEXT NOT NULL,
    capability TEXT NOT NULL UNIQUE,
    PRIMARY KEY (owner_id, role)
);
