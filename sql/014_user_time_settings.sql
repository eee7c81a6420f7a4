-- 014: per-user time settings (issue #17).
--
-- time_zone: an IANA zone name (validated by the application against the
-- system's tz database); NULL = the server's time_zone setting.
-- reminder_offsets: the user's default reminders, a JSON array of 0-5
-- distinct minutes before a deadline (1..525600); NULL = the default [60].
-- daily_digest_at: NULL (no digest) or the local time "HH:MM" of the daily
-- digest.
ALTER TABLE users ADD COLUMN time_zone TEXT
    CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 63);
ALTER TABLE users ADD COLUMN reminder_offsets TEXT
    CHECK (reminder_offsets IS NULL OR (json_valid(reminder_offsets)
           AND json_type(reminder_offsets) = 'array'
           AND json_array_length(reminder_offsets) <= 5));
ALTER TABLE users ADD COLUMN daily_digest_at TEXT
    CHECK (daily_digest_at IS NULL OR daily_digest_at GLOB '[0-2][0-9]:[0-5][0-9]');
