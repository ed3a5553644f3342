-- Question templates (issue: review content).
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
