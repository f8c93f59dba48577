SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);
