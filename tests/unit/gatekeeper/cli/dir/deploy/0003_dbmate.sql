-- migrate:up
CREATE TABLE c (id bigint);
-- migrate:down
DROP TABLE c;
