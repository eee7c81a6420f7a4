-- pg/025: the pair of sql/025_events_ids.sql.
--
-- SQLite rebuilt events without AUTOINCREMENT and keeps its ids from coming
-- back with a high-water mark: when the newest row is deleted, the trigger
-- events_high_water puts its id back as a row of no user (user_id NULL).
-- Here the identity sequence never hands an id out twice, so there is no
-- mark and no trigger (as for 021's webhook inbox, see pg/024); only the
-- column changes, to stay the same as SQLite's: user_id may be NULL.
ALTER TABLE events ALTER COLUMN user_id DROP NOT NULL;
