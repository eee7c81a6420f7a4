-- 004: Telegram link codes and the bot's getUpdates offset.

-- One live link code per user (a new one replaces the old), stored only as
-- the SHA-256 digest of the 32-hex code.  A code is deleted when used.
CREATE TABLE telegram_links (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest      BLOB    NOT NULL UNIQUE,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Small persistent state of the bot, e.g. 'offset': the next getUpdates offset.
CREATE TABLE telegram_state (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL
);

-- A notice longer than one Telegram message goes out in parts; the parts
-- already accepted are counted so that a retry sends only the rest.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
