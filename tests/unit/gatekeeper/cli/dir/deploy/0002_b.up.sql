CREATE TABLE b (id bigint);
