-- Receipts of commands run under a client's idempotency key: the outcome a retry returns.
CREATE TABLE receipts (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
