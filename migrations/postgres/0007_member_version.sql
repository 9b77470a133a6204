-- A count every change to a local group's audience raises: a membership added, removed or
-- changed in state or role, or a member's inboxes changed. Each process keeps the list of
-- inboxes a group's posts go to in memory and reads this count to know whether its copy still
-- holds (kith-storage `audience.rs`; the list took a 10 ms join per post, docs/performance.md).
-- Triggers raise it, so no write can forget to.
ALTER TABLE local_groups ADD COLUMN member_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION kith_membership_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE local_groups SET member_version = member_version + 1 WHERE actor_id = OLD.group_id;
    ELSE
        UPDATE local_groups SET member_version = member_version + 1 WHERE actor_id = NEW.group_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_changed AFTER INSERT OR DELETE OR UPDATE OF state, role ON memberships
    FOR EACH ROW EXECUTE FUNCTION kith_membership_changed();

CREATE FUNCTION kith_member_inboxes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE local_groups SET member_version = member_version + 1
        WHERE actor_id IN (SELECT group_id FROM memberships WHERE member_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER actor_inboxes_changed AFTER UPDATE OF inbox_url, shared_inbox_url ON actors
    FOR EACH ROW
    WHEN (OLD.inbox_url IS DISTINCT FROM NEW.inbox_url
        OR OLD.shared_inbox_url IS DISTINCT FROM NEW.shared_inbox_url)
    EXECUTE FUNCTION kith_member_inboxes_changed();
