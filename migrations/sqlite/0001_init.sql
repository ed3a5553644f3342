-- One table per record kind; `version` is the optimistic-concurrency version, `body` the
-- record as JSON. Listing columns are copied out of the body for the indexes.

CREATE TABLE cycles (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE snapshots (
    cycle_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE packets (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX packets_by_cycle ON packets (cycle_id, id);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX reviews_by_subject ON reviews (cycle_id, subject, id);
CREATE INDEX reviews_by_author ON reviews (cycle_id, author, id);

CREATE TABLE nominations (
    id TEXT PRIMARY KEY,
    packet_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX nominations_by_packet ON nominations (packet_id, id);

CREATE TABLE calibrations (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX calibrations_by_cycle ON calibrations (cycle_id, id);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    cycle_id TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_by_cycle ON events (cycle_id, seq);

CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (delivered, seq);

-- One counter for event and outbox sequence numbers, so both follow commit order.
CREATE TABLE sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL
);
INSERT INTO sequence (id, next) VALUES (1, 1);
