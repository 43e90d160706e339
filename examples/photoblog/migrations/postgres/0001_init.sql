-- The photoblog's schema, the same for SQLite and PostgreSQL: ids are assigned by the
-- application (portable), times are Unix seconds, children go with their parent.
CREATE TABLE photoblog (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    title TEXT NOT NULL
);

CREATE TABLE album (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX album_blog ON album (blog_id);
CREATE INDEX album_created ON album (created, id);

CREATE TABLE film (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    album_id BIGINT NOT NULL REFERENCES album (id) ON DELETE CASCADE
);
CREATE INDEX film_album ON film (album_id);

CREATE TABLE photo (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX photo_film ON photo (film_id);
CREATE INDEX photo_filename ON photo (filename);
