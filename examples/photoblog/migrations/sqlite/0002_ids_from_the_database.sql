-- no-transaction
-- Ids assigned by the database: every id becomes `INTEGER PRIMARY KEY AUTOINCREMENT` (SQLite's
-- rowid, never reused after a delete). SQLite cannot change a column's type, so each table is
-- rebuilt with its rows and their ids. Foreign keys are off while the tables are swapped
-- (dropping a parent would otherwise delete its children; the pragma is ignored inside a
-- transaction, hence `no-transaction`), and the swap itself is one transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE photoblog_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    title TEXT NOT NULL
);
INSERT INTO photoblog_new (id, name, title) SELECT id, name, title FROM photoblog;
DROP TABLE photoblog;
ALTER TABLE photoblog_new RENAME TO photoblog;

CREATE TABLE album_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    description TEXT NOT NULL,
    content TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    blog_id BIGINT NOT NULL REFERENCES photoblog (id) ON DELETE CASCADE
);
INSERT INTO album_new SELECT id, uuid, name, title, author, description, content, created,
    modified, blog_id FROM album;
DROP TABLE album;
ALTER TABLE album_new RENAME TO album;
CREATE INDEX album_blog ON album (blog_id);
CREATE INDEX album_created ON album (created, id);

CREATE TABLE film_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    album_id BIGINT NOT NULL REFERENCES album (id) ON DELETE CASCADE
);
INSERT INTO film_new SELECT id, name, title, created, modified, album_id FROM film;
DROP TABLE film;
ALTER TABLE film_new RENAME TO film;
CREATE INDEX film_album ON film (album_id);

CREATE TABLE photo_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    legend TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    filesize BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    film_id BIGINT NOT NULL REFERENCES film (id) ON DELETE CASCADE
);
INSERT INTO photo_new SELECT id, name, legend, filename, media_type, filesize, width, height,
    created, modified, film_id FROM photo;
DROP TABLE photo;
ALTER TABLE photo_new RENAME TO photo;
CREATE INDEX photo_film ON photo (film_id);
CREATE INDEX photo_filename ON photo (filename);

COMMIT;
PRAGMA foreign_keys = ON;
