-- Every key an actor publishes, looked up by its id (an HTTP signature's keyId): the RSA key of
-- `publicKey` (one or several), and FEP-521a `assertionMethod` Multikeys (Ed25519) beside it.
-- `public_key` is what the actor publishes: an SPKI PEM (`publicKeyPem`) or a multibase
-- multicodec key (`publicKeyMultibase`). `actors.key_id` / `actors.public_key_pem` stay the
-- actor's main key (the one a local actor signs with).
CREATE TABLE actor_keys (
    key_id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX actor_keys_actor ON actor_keys (actor_id);

-- The keys known so far: one per actor.
INSERT INTO actor_keys (key_id, actor_id, public_key, created_at)
SELECT key_id, id, public_key_pem, updated_at FROM actors WHERE TRUE
ON CONFLICT (key_id) DO NOTHING;
