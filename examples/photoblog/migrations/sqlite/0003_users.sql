-- The accounts that may change the blog (the owner, `admin`, created at start-up), each with
-- its argon2id password hash, and the bearer tokens they issued for REST clients: only a
-- SHA-256 of each token is kept, so the table does not hold what would open the door.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created INTEGER NOT NULL
);
