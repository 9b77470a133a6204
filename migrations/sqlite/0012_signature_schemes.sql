-- The HTTP signature scheme a remote host is sent: NULL for draft-cavage (what every server
-- reads), 'rfc9421' for a host that refused draft-cavage and accepted RFC 9421 on the retry.
ALTER TABLE delivery_hosts ADD COLUMN signature_scheme TEXT;
