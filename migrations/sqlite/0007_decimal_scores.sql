-- Scores (bands, calibrated ratings) are decimal numbers in JSON: 4.25, where earlier
-- versions wrote hundredths (425). Only whole numbers are converted, so a score already
-- written as a decimal is left alone.

-- A cycle's bands, and the cycles that receipts hold.
UPDATE cycles
SET body = json_set(body, '$.config.settings.bands', json((
    SELECT json_group_array(
        CASE WHEN json_type(value, '$.from') = 'integer'
             THEN json_set(value, '$.from', json_extract(value, '$.from') / 100.0)
             ELSE json(value) END)
    FROM json_each(body, '$.config.settings.bands'))))
WHERE json_array_length(body, '$.config.settings.bands') > 0;

UPDATE receipts
SET body = json_set(body, '$.outcome.config.settings.bands', json((
    SELECT json_group_array(
        CASE WHEN json_type(value, '$.from') = 'integer'
             THEN json_set(value, '$.from', json_extract(value, '$.from') / 100.0)
             ELSE json(value) END)
    FROM json_each(body, '$.outcome.config.settings.bands'))))
WHERE json_array_length(body, '$.outcome.config.settings.bands') > 0;

-- A packet's calibrated rating, and the packets that receipts hold.
UPDATE packets
SET body = json_set(body, '$.calibrated', json_extract(body, '$.calibrated') / 100.0)
WHERE json_type(body, '$.calibrated') = 'integer';

UPDATE receipts
SET body = json_set(body, '$.outcome.calibrated',
                    json_extract(body, '$.outcome.calibrated') / 100.0)
WHERE json_type(body, '$.outcome.calibrated') = 'integer';

-- The audit event of a calibrated rating, in the log and in notifications.
UPDATE events
SET body = json_set(body, '$.kind.to', json_extract(body, '$.kind.to') / 100.0)
WHERE json_type(body, '$.kind.to') = 'integer'
  AND json_extract(body, '$.kind.type') = 'calibrated_rating_changed';
UPDATE events
SET body = json_set(body, '$.kind.from', json_extract(body, '$.kind.from') / 100.0)
WHERE json_type(body, '$.kind.from') = 'integer'
  AND json_extract(body, '$.kind.type') = 'calibrated_rating_changed';
UPDATE events
SET body = json_set(body, '$.kind.original', json_extract(body, '$.kind.original') / 100.0)
WHERE json_type(body, '$.kind.original') = 'integer'
  AND json_extract(body, '$.kind.type') = 'calibrated_rating_changed';

UPDATE outbox
SET body = json_set(body, '$.event.kind.to', json_extract(body, '$.event.kind.to') / 100.0)
WHERE json_type(body, '$.event.kind.to') = 'integer'
  AND json_extract(body, '$.event.kind.type') = 'calibrated_rating_changed';
UPDATE outbox
SET body = json_set(body, '$.event.kind.from',
                    json_extract(body, '$.event.kind.from') / 100.0)
WHERE json_type(body, '$.event.kind.from') = 'integer'
  AND json_extract(body, '$.event.kind.type') = 'calibrated_rating_changed';
UPDATE outbox
SET body = json_set(body, '$.event.kind.original',
                    json_extract(body, '$.event.kind.original') / 100.0)
WHERE json_type(body, '$.event.kind.original') = 'integer'
  AND json_extract(body, '$.event.kind.type') = 'calibrated_rating_changed';
