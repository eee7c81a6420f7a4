-- 031: the token check of every request with a Bearer token
-- (domain/tokens.c) reads what it tests (kind, revoked, expires_at) and
-- the user's id from one index: with the digest's unique index alone it
-- then read the token's row too (a b-tree seek and a cursor more, about
-- 900 instructions a request).  The unique constraint on digest stays.
CREATE INDEX auth_tokens_check ON auth_tokens (digest, kind, revoked, expires_at, user_id);
