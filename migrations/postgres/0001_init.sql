-- Every table starts with `tenant`: a storage handle reads and writes one tenant's rows, and
-- the tables can be distributed by that column (Citus: `create_distributed_table(t, 'tenant')`).
-- `version` is the optimistic-concurrency version, `body` the record as JSON; listing columns
-- are copied out of the body for the indexes.

CREATE TABLE cycles (
    tenant text NOT NULL,
    id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE snapshots (
    tenant text NOT NULL,
    cycle_id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, cycle_id)
);

CREATE TABLE packets (
    tenant text NOT NULL,
    id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX packets_by_cycle ON packets (tenant, cycle_id, id);

-- Who each packet names (`Packet::names`), written with the packet, for `packets_naming`.
CREATE TABLE packet_names (
    tenant text NOT NULL,
    cycle_id uuid NOT NULL,
    person uuid NOT NULL,
    packet_id uuid NOT NULL,
    PRIMARY KEY (tenant, cycle_id, person, packet_id)
);
CREATE INDEX packet_names_by_packet ON packet_names (tenant, packet_id);

CREATE TABLE reviews (
    tenant text NOT NULL,
    id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    subject uuid NOT NULL,
    author uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX reviews_by_subject ON reviews (tenant, cycle_id, subject, id);
CREATE INDEX reviews_by_author ON reviews (tenant, cycle_id, author, id);

CREATE TABLE nominations (
    tenant text NOT NULL,
    id uuid NOT NULL,
    packet_id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    nominee uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX nominations_by_packet ON nominations (tenant, packet_id, id);
CREATE INDEX nominations_by_nominee ON nominations (tenant, cycle_id, nominee, id);

CREATE TABLE calibrations (
    tenant text NOT NULL,
    id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX calibrations_by_cycle ON calibrations (tenant, cycle_id, id);

CREATE TABLE templates (
    tenant text NOT NULL,
    id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- One grants record per tenant, under the nil id.
CREATE TABLE grants (
    tenant text NOT NULL,
    id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE receipts (
    tenant text NOT NULL,
    id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE events (
    tenant text NOT NULL,
    seq bigint NOT NULL,
    cycle_id uuid,
    body text NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE INDEX events_by_cycle ON events (tenant, cycle_id, seq);

-- Claims: which engine hands an entry to the notifier, and until when (microseconds since the
-- Unix epoch). An entry whose claim ended may be claimed again.
CREATE TABLE outbox (
    tenant text NOT NULL,
    key text NOT NULL,
    seq bigint NOT NULL,
    body text NOT NULL,
    delivered boolean NOT NULL DEFAULT false,
    claimed_by uuid,
    claimed_until bigint,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX outbox_pending ON outbox (tenant, seq) WHERE NOT delivered;

-- The next event and outbox sequence number of each tenant. A commit moves it on last, so
-- the row's lock orders the tenant's commits that append events by their numbers.
CREATE TABLE sequences (
    tenant text PRIMARY KEY,
    next bigint NOT NULL
);
