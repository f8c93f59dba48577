DO $$
DECLARE t text := 'users';
BEGIN
  PERFORM set_config('lock_timeout', '2s', false);
  EXECUTE format('ALTER TABLE %I ADD COLUMN x int', t);
  EXECUTE 'CREATE INDEX i ON users (x)';
  IF true THEN UPDATE users SET x = 1 WHERE id = 1; END IF;
  COMMIT;
END $$;
