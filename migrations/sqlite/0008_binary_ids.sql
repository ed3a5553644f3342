-- Every key and id column holds the id's 16 bytes rather than its 36 characters of text, which
-- more than halves what the listings' indexes hold; ids sort as their text did. The grants
-- record's key is 16 zero bytes (the nil id); an org change's key is its cycle's 16 bytes and
-- its number as 8 big-endian bytes. An id that is not a UUID stays as it was (reads name it).
-- Review listings find the rows of one subject or author and sort those few by id, so their
-- indexes no longer hold the id. Each table is made anew and filled from the old one.

CREATE TABLE new_cycles (
    id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_cycles (id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    version,
    body
FROM cycles;
DROP TABLE cycles;
ALTER TABLE new_cycles RENAME TO cycles;

CREATE TABLE new_snapshots (
    cycle_id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_snapshots (cycle_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    version,
    body
FROM snapshots;
DROP TABLE snapshots;
ALTER TABLE new_snapshots RENAME TO snapshots;

CREATE TABLE new_org_heads (
    cycle_id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_org_heads (cycle_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    version,
    body
FROM org_heads;
DROP TABLE org_heads;
ALTER TABLE new_org_heads RENAME TO org_heads;

CREATE TABLE new_org_changes (
    id BLOB PRIMARY KEY,
    cycle_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_org_changes (id, cycle_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(substr(id, 1, 36), '-', ''))) = 16 AND substr(id, 37, 1) = '/'
    THEN unhex(replace(substr(id, 1, 36), '-', '') || printf('%016x', CAST(substr(id, 38) AS INTEGER)))
    ELSE id END,
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    version,
    body
FROM org_changes;
DROP TABLE org_changes;
ALTER TABLE new_org_changes RENAME TO org_changes;

CREATE TABLE new_packets (
    id BLOB PRIMARY KEY,
    cycle_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_packets (id, cycle_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    version,
    body
FROM packets;
DROP TABLE packets;
ALTER TABLE new_packets RENAME TO packets;
CREATE INDEX packets_by_cycle ON packets (cycle_id, id);

CREATE TABLE new_reviews (
    id BLOB PRIMARY KEY,
    cycle_id BLOB NOT NULL,
    subject BLOB NOT NULL,
    author BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_reviews (id, cycle_id, subject, author, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    CASE WHEN length(unhex(replace(subject, '-', ''))) = 16 THEN unhex(replace(subject, '-', '')) ELSE subject END,
    CASE WHEN length(unhex(replace(author, '-', ''))) = 16 THEN unhex(replace(author, '-', '')) ELSE author END,
    version,
    body
FROM reviews;
DROP TABLE reviews;
ALTER TABLE new_reviews RENAME TO reviews;
CREATE INDEX reviews_by_subject ON reviews (cycle_id, subject);
CREATE INDEX reviews_by_author ON reviews (cycle_id, author);

CREATE TABLE new_nominations (
    id BLOB PRIMARY KEY,
    packet_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_nominations (id, packet_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    CASE WHEN length(unhex(replace(packet_id, '-', ''))) = 16 THEN unhex(replace(packet_id, '-', '')) ELSE packet_id END,
    version,
    body
FROM nominations;
DROP TABLE nominations;
ALTER TABLE new_nominations RENAME TO nominations;
CREATE INDEX nominations_by_packet ON nominations (packet_id, id);
CREATE INDEX nominations_by_nominee ON nominations (
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.cycle'),
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.nominee'),
    id
);

CREATE TABLE new_calibrations (
    id BLOB PRIMARY KEY,
    cycle_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_calibrations (id, cycle_id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    version,
    body
FROM calibrations;
DROP TABLE calibrations;
ALTER TABLE new_calibrations RENAME TO calibrations;
CREATE INDEX calibrations_by_cycle ON calibrations (cycle_id, id);

CREATE TABLE new_templates (
    id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_templates (id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    version,
    body
FROM templates;
DROP TABLE templates;
ALTER TABLE new_templates RENAME TO templates;

CREATE TABLE new_receipts (
    id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_receipts (id, version, body)
SELECT
    CASE WHEN length(unhex(replace(id, '-', ''))) = 16 THEN unhex(replace(id, '-', '')) ELSE id END,
    version,
    body
FROM receipts;
DROP TABLE receipts;
ALTER TABLE new_receipts RENAME TO receipts;

CREATE TABLE new_grants (
    id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO new_grants (id, version, body)
SELECT
    CASE WHEN id = 'grants' THEN zeroblob(16) ELSE id END,
    version,
    body
FROM grants;
DROP TABLE grants;
ALTER TABLE new_grants RENAME TO grants;

CREATE TABLE new_events (
    seq INTEGER PRIMARY KEY,
    cycle_id BLOB,
    body TEXT NOT NULL
);
INSERT INTO new_events (seq, cycle_id, body)
SELECT
    seq,
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    body
FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
CREATE INDEX events_by_cycle ON events (cycle_id, seq);

CREATE TABLE new_packet_names (
    cycle_id BLOB NOT NULL,
    person BLOB NOT NULL,
    packet_id BLOB NOT NULL,
    PRIMARY KEY (cycle_id, person, packet_id)
) WITHOUT ROWID;
INSERT INTO new_packet_names (cycle_id, person, packet_id)
SELECT
    CASE WHEN length(unhex(replace(cycle_id, '-', ''))) = 16 THEN unhex(replace(cycle_id, '-', '')) ELSE cycle_id END,
    CASE WHEN length(unhex(replace(person, '-', ''))) = 16 THEN unhex(replace(person, '-', '')) ELSE person END,
    CASE WHEN length(unhex(replace(packet_id, '-', ''))) = 16 THEN unhex(replace(packet_id, '-', '')) ELSE packet_id END
FROM packet_names;
DROP TABLE packet_names;
ALTER TABLE new_packet_names RENAME TO packet_names;
CREATE INDEX packet_names_by_packet ON packet_names (packet_id);

-- Who each packet names, kept from its body as in 0005 (dropped with the old table); a name
-- that is not a UUID (NULL here) is skipped.
CREATE TRIGGER packet_names_insert AFTER INSERT ON packets WHEN json_valid(NEW.body) BEGIN
    INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id)
    SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(json_extract(NEW.body, '$.manager'), '-', ''))) = 16 THEN unhex(replace(json_extract(NEW.body, '$.manager'), '-', '')) END, NEW.id
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(json_extract(NEW.body, '$.default_additional_manager'), '-', ''))) = 16 THEN unhex(replace(json_extract(NEW.body, '$.default_additional_manager'), '-', '')) END, NEW.id
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.former_managers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.additional_managers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.viewers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.sharers');
END;

CREATE TRIGGER packet_names_update AFTER UPDATE OF body ON packets WHEN json_valid(NEW.body) BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
    INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id)
    SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(json_extract(NEW.body, '$.manager'), '-', ''))) = 16 THEN unhex(replace(json_extract(NEW.body, '$.manager'), '-', '')) END, NEW.id
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(json_extract(NEW.body, '$.default_additional_manager'), '-', ''))) = 16 THEN unhex(replace(json_extract(NEW.body, '$.default_additional_manager'), '-', '')) END, NEW.id
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.former_managers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.additional_managers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.viewers')
    UNION ALL SELECT NEW.cycle_id, CASE WHEN length(unhex(replace(value, '-', ''))) = 16 THEN unhex(replace(value, '-', '')) END, NEW.id FROM json_each(NEW.body, '$.sharers');
END;

CREATE TRIGGER packet_names_corrupt AFTER UPDATE OF body ON packets WHEN NOT json_valid(NEW.body) BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;

CREATE TRIGGER packet_names_delete AFTER DELETE ON packets BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;
