-- Who may see a local group (issue 26): 'public' (everyone, as before), 'members' (its name,
-- description, rules and member count are public; its content is for members and their
-- servers only) or 'hidden' (as 'members', and the group itself is unknown to anyone else).
-- Kept on the actor row, not in local_groups, so that every read of a group learns its
-- visibility with the row it loads anyway (public reads cost no further query). Remote actors
-- stay 'public'. Keep in step with the other database's folder.
ALTER TABLE actors ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'members', 'hidden'));
