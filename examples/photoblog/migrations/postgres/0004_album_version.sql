-- Each album's version, raised by every change: its ETag (`"7-json"`), and what a REST client's
-- If-Match is compared with, in the UPDATE itself, so that two writers of one version cannot
-- both land.
ALTER TABLE album ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
