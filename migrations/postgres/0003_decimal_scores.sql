-- Scores (bands, calibrated ratings) are decimal numbers in JSON: 4.25, where earlier
-- versions wrote hundredths (425).

-- A cycle's bands, and the cycles that receipts hold.
UPDATE cycles
SET body = jsonb_set(body::jsonb, '{config,settings,bands}', (
    SELECT jsonb_agg(
               CASE WHEN jsonb_typeof(band -> 'from') = 'number'
                    THEN jsonb_set(band, '{from}',
                                   to_jsonb(round((band ->> 'from')::numeric / 100, 2)))
                    ELSE band END
               ORDER BY ord)
    FROM jsonb_array_elements(body::jsonb #> '{config,settings,bands}') WITH ORDINALITY AS b(band, ord)))::text
WHERE jsonb_typeof(body::jsonb #> '{config,settings,bands}') = 'array'
  AND jsonb_array_length(
      CASE WHEN jsonb_typeof(body::jsonb #> '{config,settings,bands}') = 'array'
           THEN body::jsonb #> '{config,settings,bands}' END) > 0;

UPDATE receipts
SET body = jsonb_set(body::jsonb, '{outcome,config,settings,bands}', (
    SELECT jsonb_agg(
               CASE WHEN jsonb_typeof(band -> 'from') = 'number'
                    THEN jsonb_set(band, '{from}',
                                   to_jsonb(round((band ->> 'from')::numeric / 100, 2)))
                    ELSE band END
               ORDER BY ord)
    FROM jsonb_array_elements(body::jsonb #> '{outcome,config,settings,bands}') WITH ORDINALITY AS b(band, ord)))::text
WHERE jsonb_typeof(body::jsonb #> '{outcome,config,settings,bands}') = 'array'
  AND jsonb_array_length(
      CASE WHEN jsonb_typeof(body::jsonb #> '{outcome,config,settings,bands}') = 'array'
           THEN body::jsonb #> '{outcome,config,settings,bands}' END) > 0;

-- A packet's calibrated rating, and the packets that receipts hold.
UPDATE packets
SET body = jsonb_set(body::jsonb, '{calibrated}',
                     to_jsonb(round((body::jsonb #>> '{calibrated}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{calibrated}') = 'number';

UPDATE receipts
SET body = jsonb_set(body::jsonb, '{outcome,calibrated}',
                     to_jsonb(round((body::jsonb #>> '{outcome,calibrated}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{outcome,calibrated}') = 'number';

-- The audit event of a calibrated rating, in the log and in notifications.
UPDATE events
SET body = jsonb_set(body::jsonb, '{kind,to}',
                     to_jsonb(round((body::jsonb #>> '{kind,to}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{kind,to}') = 'number'
  AND body::jsonb #>> '{kind,type}' = 'calibrated_rating_changed';
UPDATE events
SET body = jsonb_set(body::jsonb, '{kind,from}',
                     to_jsonb(round((body::jsonb #>> '{kind,from}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{kind,from}') = 'number'
  AND body::jsonb #>> '{kind,type}' = 'calibrated_rating_changed';
UPDATE events
SET body = jsonb_set(body::jsonb, '{kind,original}',
                     to_jsonb(round((body::jsonb #>> '{kind,original}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{kind,original}') = 'number'
  AND body::jsonb #>> '{kind,type}' = 'calibrated_rating_changed';
UPDATE outbox
SET body = jsonb_set(body::jsonb, '{event,kind,to}',
                     to_jsonb(round((body::jsonb #>> '{event,kind,to}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{event,kind,to}') = 'number'
  AND body::jsonb #>> '{event,kind,type}' = 'calibrated_rating_changed';
UPDATE outbox
SET body = jsonb_set(body::jsonb, '{event,kind,from}',
                     to_jsonb(round((body::jsonb #>> '{event,kind,from}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{event,kind,from}') = 'number'
  AND body::jsonb #>> '{event,kind,type}' = 'calibrated_rating_changed';
UPDATE outbox
SET body = jsonb_set(body::jsonb, '{event,kind,original}',
                     to_jsonb(round((body::jsonb #>> '{event,kind,original}')::numeric / 100, 2)))::text
WHERE jsonb_typeof(body::jsonb #> '{event,kind,original}') = 'number'
  AND body::jsonb #>> '{event,kind,type}' = 'calibrated_rating_changed';
