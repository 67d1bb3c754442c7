-- 0003: an organization lives in one AWS partition (aws, aws-cn, aws-us-gov, ...), taken from
-- the region its creator signed for; every ARN of it names the partition. A handshake keeps
-- its sender's, so that its ARN and who may see it do not depend on the organization, which
-- may be deleted before the handshake stops being visible. Rows from before partitions are
-- the commercial partition's.

ALTER TABLE organizations ADD COLUMN partition TEXT COLLATE "C" NOT NULL DEFAULT 'aws';
ALTER TABLE handshakes ADD COLUMN partition TEXT COLLATE "C" NOT NULL DEFAULT 'aws';
