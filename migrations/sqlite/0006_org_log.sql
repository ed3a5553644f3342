-- The org log of each launched cycle: the snapshot stays as launched, each later change to
-- the org is one row, and the head's version counts them.
CREATE TABLE org_heads (
    cycle_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

-- `id` is the cycle and the change's number, zero-padded: a cycle's changes sort in order.
CREATE TABLE org_changes (
    id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
