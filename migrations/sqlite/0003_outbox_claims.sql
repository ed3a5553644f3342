-- Claims on outbox entries: which engine hands an entry to the notifier, and until when
-- (microseconds since the Unix epoch). An entry whose claim ended may be claimed again.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
