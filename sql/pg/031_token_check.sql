-- pg/031: the token check's covering index, as sql/031 (the same name and
-- columns, so that both schemas list the same indexes).
CREATE INDEX auth_tokens_check ON auth_tokens (digest, kind, revoked, expires_at, user_id);
