DO $$
BEGIN
  PERFORM set_config('lock_timeout', '2s', false);
  EXECUTE 'ALTER TABLE accounts DROP COLUMN created';
END
$$;
REVOKE UPDATE ON accounts FROM reporting;
