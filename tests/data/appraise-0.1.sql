PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);
INSERT INTO _sqlx_migrations VALUES(1,'init','2026-12-03 19:03:53',1,X'0bf17abb33476eade1f1b99793792547dd65529531e32664499111ea74b6b8d4a6f70c24679829338b5e417a75fab919',1074774);
INSERT INTO _sqlx_migrations VALUES(2,'templates','2026-12-03 19:03:53',1,X'83f33ee101a070e05f8db53e3d2434c8fb5df63d8258f95deb76cadda0cc5c50e670045fbb696be04bd0edad9ee7c944',237707);
INSERT INTO _sqlx_migrations VALUES(3,'outbox claims','2026-12-03 19:03:53',1,X'4a6ed3f68f778d4b019203fa5e96f19abdc5041735354be1bdfc3486670809d3b84c8a9b0ced293cde4799dac2691abd',445369);
INSERT INTO _sqlx_migrations VALUES(4,'receipts','2026-12-03 19:03:53',1,X'7ed5c96f202b440ba6d578c516e058664676f89622f6d030818e80676d472bca0cf65698143512d14e3202469cf3fa69',187211);
INSERT INTO _sqlx_migrations VALUES(5,'involvement','2026-12-03 19:03:53',1,X'49c328a16b27f21f19970df1e4a77d552f7d39922bb361fe95f87dc0f4959be70039911df65cc13103fe77f9e92b1c43',812260);
CREATE TABLE cycles (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO cycles VALUES('b08b1806-71f2-4b77-9a73-4ad2f5f3782e',4,'{"id":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","config":{"name":"H1 2026","period":{"start":"2026-01-01","end":"2026-06-30"},"kinds":{"self_review":true,"manager":true,"additional_manager":true,"peer":true,"upward":true},"templates":[],"settings":{"self_nomination":true,"min_peers":0,"max_peers":5,"nomination_approval":true,"auto_approve_nominations":false,"anonymous_peer":true,"anonymous_upward":true,"share_peer_with_subject":false,"share_upward_with_subject":false,"anonymity_threshold":3,"managers_may_remove_feedback":false,"late_submissions":false,"gating":{"after_self":true,"after_peers":false},"approval_required":false,"approval_chain":[{"step":"admins"}],"calibration":false,"rating_scale":{"min":1,"max":5,"labels":["needs improvement","partially meets","meets","exceeds","exceptional"]},"windows":{"by_kind":[null,null,null,null,null]},"consolidated":{"rule":"manager_choice"},"nomination_deadline":null,"remind_days_before":3,"remind_overdue":true,"calibration_target":[],"calibration_tolerance":5,"potential_question":null,"bands":[{"from":100,"label":"needs improvement"},{"from":200,"label":"partially meets"},{"from":300,"label":"meets"},{"from":400,"label":"exceeds"},{"from":450,"label":"exceptional"}]},"eligibility":{"departments":[],"hired_before":null,"active_only":true,"exclusions":[]}},"state":"active","lock":"unlocked","created_by":"ade71ed2-0218-5d00-a680-761f32c414f2","created_at":"2026-12-03T19:03:53.996884416Z","collaborators":[],"participants":["26522690-8e12-5e10-92b8-0e794fa2998c","ce0231a1-6467-51bc-923c-9853246e9cab"],"templates":[],"submitted_kinds":["self"]}');
CREATE TABLE snapshots (
    cycle_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO snapshots VALUES('b08b1806-71f2-4b77-9a73-4ad2f5f3782e',1,'{"people":[{"id":"ade71ed2-0218-5d00-a680-761f32c414f2","name":"Kim Admin","active":true,"manager":null,"department":null,"additional_manager":null},{"id":"26522690-8e12-5e10-92b8-0e794fa2998c","name":"Bo Manager","active":true,"manager":null,"department":null,"additional_manager":null},{"id":"ce0231a1-6467-51bc-923c-9853246e9cab","name":"Ann Report","active":true,"manager":"26522690-8e12-5e10-92b8-0e794fa2998c","department":null,"additional_manager":null}],"departments":[]}');
CREATE TABLE packets (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO packets VALUES('c8ab83aa-87f2-402f-bee8-9b87752f6c33','b08b1806-71f2-4b77-9a73-4ad2f5f3782e',1,'{"id":"c8ab83aa-87f2-402f-bee8-9b87752f6c33","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","subject":"26522690-8e12-5e10-92b8-0e794fa2998c","state":"nominating","upward_reviewers":["ce0231a1-6467-51bc-923c-9853246e9cab"],"tally":[{"assigned":1},{},{},{},{"assigned":1}]}');
INSERT INTO packets VALUES('526fc09f-a2b1-418d-a52e-e31336f93c61','b08b1806-71f2-4b77-9a73-4ad2f5f3782e',3,'{"id":"526fc09f-a2b1-418d-a52e-e31336f93c61","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","subject":"ce0231a1-6467-51bc-923c-9853246e9cab","manager":"26522690-8e12-5e10-92b8-0e794fa2998c","state":"writing","tally":[{"assigned":1,"submitted":1},{"assigned":1},{},{},{}]}');
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO reviews VALUES('f7c77a58-9a74-490a-ac6b-770cb5b786db','b08b1806-71f2-4b77-9a73-4ad2f5f3782e','26522690-8e12-5e10-92b8-0e794fa2998c','26522690-8e12-5e10-92b8-0e794fa2998c',1,'{"packet":"c8ab83aa-87f2-402f-bee8-9b87752f6c33","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","author":"26522690-8e12-5e10-92b8-0e794fa2998c","kind":"self","state":"assigned","updated_at":"2026-12-03T19:03:54.001002313Z","id":"f7c77a58-9a74-490a-ac6b-770cb5b786db","subject":"26522690-8e12-5e10-92b8-0e794fa2998c"}');
INSERT INTO reviews VALUES('e7849e7a-cf89-49b3-9ca4-55f16eb0a808','b08b1806-71f2-4b77-9a73-4ad2f5f3782e','26522690-8e12-5e10-92b8-0e794fa2998c','ce0231a1-6467-51bc-923c-9853246e9cab',1,'{"packet":"c8ab83aa-87f2-402f-bee8-9b87752f6c33","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","author":"ce0231a1-6467-51bc-923c-9853246e9cab","kind":"upward","state":"assigned","updated_at":"2026-12-03T19:03:54.001002313Z","id":"e7849e7a-cf89-49b3-9ca4-55f16eb0a808","subject":"26522690-8e12-5e10-92b8-0e794fa2998c"}');
INSERT INTO reviews VALUES('c6797cec-1380-495a-8f5d-823c8e2e9c40','b08b1806-71f2-4b77-9a73-4ad2f5f3782e','ce0231a1-6467-51bc-923c-9853246e9cab','ce0231a1-6467-51bc-923c-9853246e9cab',2,'{"packet":"526fc09f-a2b1-418d-a52e-e31336f93c61","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","author":"ce0231a1-6467-51bc-923c-9853246e9cab","kind":"self","state":"submitted","updated_at":"2026-12-03T19:03:54.005872419Z","id":"c6797cec-1380-495a-8f5d-823c8e2e9c40","subject":"ce0231a1-6467-51bc-923c-9853246e9cab"}');
INSERT INTO reviews VALUES('bda3ad5b-57ab-4bb8-abca-5a414a79d62d','b08b1806-71f2-4b77-9a73-4ad2f5f3782e','ce0231a1-6467-51bc-923c-9853246e9cab','26522690-8e12-5e10-92b8-0e794fa2998c',1,'{"packet":"526fc09f-a2b1-418d-a52e-e31336f93c61","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","author":"26522690-8e12-5e10-92b8-0e794fa2998c","kind":"manager","state":"assigned","updated_at":"2026-12-03T19:03:54.001002313Z","id":"bda3ad5b-57ab-4bb8-abca-5a414a79d62d","subject":"ce0231a1-6467-51bc-923c-9853246e9cab"}');
CREATE TABLE nominations (
    id TEXT PRIMARY KEY,
    packet_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE calibrations (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO grants VALUES('grants',1,'{"admins":[["ade71ed2-0218-5d00-a680-761f32c414f2",{"since":"2026-12-02T19:03:53.995661429Z","past_cycles":false}]],"global_viewers":[],"past_review_viewers":[],"roles":[],"role_grants":[]}');
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    cycle_id TEXT,
    body TEXT NOT NULL
);
INSERT INTO events VALUES(1,NULL,'{"at":"2026-12-03T19:03:53.995888340Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":null,"kind":{"type":"grant_changed","change":{"what":"admin_granted","person":"ade71ed2-0218-5d00-a680-761f32c414f2","grant":{"since":"2026-12-02T19:03:53.995661429Z","past_cycles":false},"previous":null}}}');
INSERT INTO events VALUES(2,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:53.996884416Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"cycle_created","name":"H1 2026"}}');
INSERT INTO events VALUES(3,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:53.999647307Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"participants_set","added":["26522690-8e12-5e10-92b8-0e794fa2998c","ce0231a1-6467-51bc-923c-9853246e9cab"],"removed":[],"count":2}}');
INSERT INTO events VALUES(4,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:54.001002313Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"packet_created","packet":"c8ab83aa-87f2-402f-bee8-9b87752f6c33","subject":"26522690-8e12-5e10-92b8-0e794fa2998c","assigned":[["f7c77a58-9a74-490a-ac6b-770cb5b786db","self","26522690-8e12-5e10-92b8-0e794fa2998c"],["e7849e7a-cf89-49b3-9ca4-55f16eb0a808","upward","ce0231a1-6467-51bc-923c-9853246e9cab"]]}}');
INSERT INTO events VALUES(5,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:54.001002313Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"packet_created","packet":"526fc09f-a2b1-418d-a52e-e31336f93c61","subject":"ce0231a1-6467-51bc-923c-9853246e9cab","assigned":[["c6797cec-1380-495a-8f5d-823c8e2e9c40","self","ce0231a1-6467-51bc-923c-9853246e9cab"],["bda3ad5b-57ab-4bb8-abca-5a414a79d62d","manager","26522690-8e12-5e10-92b8-0e794fa2998c"]]}}');
INSERT INTO events VALUES(6,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:54.001002313Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"cycle_launched","packets":2}}');
INSERT INTO events VALUES(7,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:54.004123291Z","by":"ade71ed2-0218-5d00-a680-761f32c414f2","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"packet_moved","packet":"526fc09f-a2b1-418d-a52e-e31336f93c61","subject":"ce0231a1-6467-51bc-923c-9853246e9cab","from":"nominating","to":"writing"}}');
INSERT INTO events VALUES(8,'b08b1806-71f2-4b77-9a73-4ad2f5f3782e','{"at":"2026-12-03T19:03:54.005872419Z","by":"ce0231a1-6467-51bc-923c-9853246e9cab","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"review_submitted","review":"c6797cec-1380-495a-8f5d-823c8e2e9c40","kind":"self","subject":"ce0231a1-6467-51bc-923c-9853246e9cab"}}');
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
, claimed_by TEXT, claimed_until INTEGER);
INSERT INTO outbox VALUES(9,'7daa6b27-11e8-47f1-9a70-1b87e9ffe8a4/0','{"key":"7daa6b27-11e8-47f1-9a70-1b87e9ffe8a4/0","recipient":"26522690-8e12-5e10-92b8-0e794fa2998c","kind":"self_review_submitted","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","subject":"ce0231a1-6467-51bc-923c-9853246e9cab","event":{"at":"2026-12-03T19:03:54.005872419Z","by":"ce0231a1-6467-51bc-923c-9853246e9cab","cycle":"b08b1806-71f2-4b77-9a73-4ad2f5f3782e","kind":{"type":"review_submitted","review":"c6797cec-1380-495a-8f5d-823c8e2e9c40","kind":"self","subject":"ce0231a1-6467-51bc-923c-9853246e9cab"}}}',1,'1b8be89c-6a40-4ae1-9a2a-6bd5e2ca7a8c',1796324754007246);
CREATE TABLE sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL
);
INSERT INTO sequence VALUES(1,10);
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE receipts (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE packet_names (
    cycle_id TEXT NOT NULL,
    person TEXT NOT NULL,
    packet_id TEXT NOT NULL,
    PRIMARY KEY (cycle_id, person, packet_id)
) WITHOUT ROWID;
INSERT INTO packet_names VALUES('b08b1806-71f2-4b77-9a73-4ad2f5f3782e','26522690-8e12-5e10-92b8-0e794fa2998c','526fc09f-a2b1-418d-a52e-e31336f93c61');
CREATE INDEX packets_by_cycle ON packets (cycle_id, id);
CREATE INDEX reviews_by_subject ON reviews (cycle_id, subject, id);
CREATE INDEX reviews_by_author ON reviews (cycle_id, author, id);
CREATE INDEX nominations_by_packet ON nominations (packet_id, id);
CREATE INDEX calibrations_by_cycle ON calibrations (cycle_id, id);
CREATE INDEX events_by_cycle ON events (cycle_id, seq);
CREATE INDEX outbox_pending ON outbox (delivered, seq);
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
CREATE TRIGGER packet_names_corrupt AFTER UPDATE OF body ON packets WHEN NOT json_valid(NEW.body) BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;
CREATE TRIGGER packet_names_delete AFTER DELETE ON packets BEGIN
    DELETE FROM packet_names WHERE packet_id = OLD.id;
END;
CREATE INDEX nominations_by_nominee ON nominations (
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.cycle'),
    json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.nominee'),
    id
);
COMMIT;
