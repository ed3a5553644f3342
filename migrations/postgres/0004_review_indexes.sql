-- A review listing finds the rows of one subject or author in a cycle and sorts those few by
-- id: its index need not hold the id as well.
DROP INDEX reviews_by_subject;
CREATE INDEX reviews_by_subject ON reviews (tenant, cycle_id, subject);
DROP INDEX reviews_by_author;
CREATE INDEX reviews_by_author ON reviews (tenant, cycle_id, author);
