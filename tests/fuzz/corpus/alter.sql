SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT fk;
ALTER TABLE users ALTER COLUMN email TYPE varchar(200);
-- gatekeeper:allow drop-column unused since 2023
ALTER TABLE users DROP COLUMN legacy;
