SET lock_timeout = '2s';
ALTER TABLE t ADD COLUMN c text;
