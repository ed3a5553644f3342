-- The org log of each launched cycle: the snapshot stays as launched, each later change to
-- the org is one row, and the head's version counts them.
CREATE TABLE org_heads (
    tenant text NOT NULL,
    cycle_id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, cycle_id)
);

-- `id` is a name-based UUID of the cycle and the change's number.
CREATE TABLE org_changes (
    tenant text NOT NULL,
    id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
