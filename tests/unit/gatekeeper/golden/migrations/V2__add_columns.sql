SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);
ALTER TABLE accounts ADD CONSTRAINT accounts_plan_nn CHECK (plan IS NOT NULL) NOT VALID;
