-- Who each packet names (manager reviewer, additional managers, former managers, viewers,
-- sharing users), kept from the packet's body by triggers, for `Storage::packets_naming`;
-- and nominations by nominee, for `Storage::nominations_of`.
CREATE TABLE packet_names (
    cycle_id TEXT NOT NULL,
    person TEXT NOT NULL,
    packet_id TEXT NOT NULL,
    PRIMARY KEY (cycle_id, person, packet_id)
) WITHOUT ROWID;
CREATE INDEX packet_names_by_packet ON packet_names (packet_id);

CREATE TRIGGER packet_names_insert AFTER INSERT ON packets WHEN json_valid(NEW.body) BEGIN
    INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id)
    SELECT NEW.cycle_id, json_extract(NEW.body, '$.manager'), NEW.id WHERE json_extract(NEW.body, '$.manager') IS NOT NULL
    UNION ALL SELECT NEW.cycle_id, json_extract(NEW.body, '$.default_additional_manager'), NEW.id WHERE json_extract(NEW.body, '$.default_additional_manager') IS NOT NULL
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.former_managers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.additional_managers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.viewers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.sharers');
END;

CREATE TRIGGER packet_names_update AFTER UPDATE OF body ON packets WHEN json_valid(NEW.body) BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
    INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id)
    SELECT NEW.cycle_id, json_extract(NEW.body, '$.manager'), NEW.id WHERE json_extract(NEW.body, '$.manager') IS NOT NULL
    UNION ALL SELECT NEW.cycle_id, json_extract(NEW.body, '$.default_additional_manager'), NEW.id WHERE json_extract(NEW.body, '$.default_additional_manager') IS NOT NULL
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.former_managers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.additional_managers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.viewers')
    UNION ALL SELECT NEW.cycle_id, value, NEW.id FROM json_each(NEW.body, '$.sharers');
END;

-- A body that is not JSON (a corrupt record, which reads fail on) names nobody.
CREATE TRIGGER packet_names_corrupt AFTER UPDATE OF body ON packets WHEN NOT json_valid(NEW.body) BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;

CREATE TRIGGER packet_names_delete AFTER DELETE ON packets BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;

-- The packets stored before this migration (a body that is not JSON names nobody).
INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id)
SELECT * FROM (
    SELECT p.cycle_id, json_extract(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.manager') AS person, p.id FROM packets p
    UNION ALL SELECT p.cycle_id, json_extract(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.default_additional_manager') AS person, p.id FROM packets p
    UNION ALL SELECT p.cycle_id, j.value, p.id FROM packets p, json_each(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.former_managers') j
    UNION ALL SELECT p.cycle_id, j.value, p.id FROM packets p, json_each(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.additional_managers') j
    UNION ALL SELECT p.cycle_id, j.value, p.id FROM packets p, json_each(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.viewers') j
    UNION ALL SELECT p.cycle_id, j.value, p.id FROM packets p, json_each(CASE WHEN json_valid(p.body) THEN p.body ELSE '{}' END, '$.sharers') j
) WHERE person IS NOT NULL;

-- A body that is not JSON (a corrupt record, which reads fail on) is indexed under nobody.
CREATE INDEX nominations_by_nominee ON nominations (
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.cycle'),
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.nominee'),
    id
);
