-- A new table and everything on it is safe: nobody else can see it yet.
CREATE TABLE accounts (
    id      int PRIMARY KEY,
    email   varchar(200) NOT NULL,
    created timestamp DEFAULT now()
);
CREATE INDEX accounts_email ON accounts (email);
