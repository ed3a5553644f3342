-- Who each packet names (`packet_names`) is now written by the storage with the packets it
-- writes, as on PostgreSQL, rather than by triggers that parsed each packet's JSON body: a
-- launch of 100,000 packets spent a large part of its time in them. The rows already there
-- stay as they are.
DROP TRIGGER IF EXISTS packet_names_insert;
DROP TRIGGER IF EXISTS packet_names_update;
DROP TRIGGER IF EXISTS packet_names_corrupt;
DROP TRIGGER IF EXISTS packet_names_delete;
