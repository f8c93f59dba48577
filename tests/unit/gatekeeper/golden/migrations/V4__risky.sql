CREATE INDEX accounts_created ON accounts (created);
SET lock_timeout = '3s';
ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_nn;
UPDATE accounts SET plan = 'pro' WHERE plan IS NULL;
-- gatekeeper:allow delete-rows the seed account from V1 is test data
DELETE FROM accounts WHERE id = 0;
ALTER TABLE accounts RENAME COLUMN email TO login;
