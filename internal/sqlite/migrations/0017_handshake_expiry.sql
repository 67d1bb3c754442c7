-- 0017: handshakes are stored EXPIRED when their expiry is noticed, with the e-mail that
-- says so (issue 13). This index finds, across organizations, the handshakes still stored
-- OPEN or REQUESTED in the order they expire, at the cost of what expired since the last
-- sweep. Handshakes that expired before this migration get their notice at the first sweep,
-- dated by their expiry.

CREATE INDEX handshakes_open_expiry ON handshakes (expires_at) WHERE state IN ('OPEN', 'REQUESTED');
