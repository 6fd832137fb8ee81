-- Column types as Hibernate's SQLiteDialect names them, so that ddl-auto=validate accepts
-- the schema; the ids are SQLite rowid aliases (INTEGER PRIMARY KEY, exactly).
CREATE TABLE owner (
    id INTEGER PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE pet (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES owner (id),
    name VARCHAR(255) NOT NULL,
    birth_date DATE
);

CREATE INDEX pet_owner_id ON pet (owner_id);
