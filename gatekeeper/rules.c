/*-------------------------------------------------------------------------
 *
 * rules.c
 *		The rule catalogue: every rule id the classifier can report, its
 *		severity, what goes wrong and the safe way to write it.
 *
 * The table is constant data; ids are stable (they appear in directives,
 * --allow options, JSON and SARIF output).  docs/gatekeeper.md documents
 * every entry with a risky and a safe example.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "gatekeeper.h"

static const gk_rule rules[] = {
	{"missing-lock-timeout", GK_SEV_RISKY,
		"takes a write-blocking lock on an existing relation without a short lock_timeout in effect; "
		"while it waits for the lock every later query on the relation queues behind it",
	"SET lock_timeout = '2s' (or SET LOCAL) before the statement, and retry the migration on timeout"},
	{"create-index-not-concurrently", GK_SEV_RISKY,
		"CREATE INDEX takes a SHARE lock on an existing table and blocks writes while the whole index is built",
	"CREATE INDEX CONCURRENTLY in its own migration file (it cannot run inside a transaction)"},
	{"reindex-not-concurrently", GK_SEV_RISKY,
		"REINDEX blocks writes to the table and reads that use the index while the index is rebuilt",
	"REINDEX ... CONCURRENTLY in its own migration file"},
	{"non-transactional-in-transaction", GK_SEV_RISKY,
		"the statement cannot run inside a transaction block: the migration fails as written",
	"put CONCURRENTLY statements and VACUUM in a file of their own (only SETs besides), without BEGIN/COMMIT and outside DO blocks"},
	{"early-commit", GK_SEV_RISKY,
		"a COMMIT or ROLLBACK before the end of the file splits the migration: a failure leaves it half applied",
	"remove the transaction control statements; the gatekeeper applies each file in one transaction"},
	{"add-constraint-validates", GK_SEV_RISKY,
		"adding a CHECK or FOREIGN KEY constraint scans the whole table while holding a lock that blocks writes",
	"ADD CONSTRAINT ... NOT VALID in one migration, then ALTER TABLE ... VALIDATE CONSTRAINT in a later file"},
	{"add-unique-builds-index", GK_SEV_RISKY,
		"adding a PRIMARY KEY, UNIQUE or EXCLUDE constraint builds an index under an ACCESS EXCLUSIVE lock",
	"CREATE UNIQUE INDEX CONCURRENTLY in its own file, then ADD CONSTRAINT ... UNIQUE/PRIMARY KEY USING INDEX"},
	{"validate-in-same-transaction", GK_SEV_RISKY,
		"VALIDATE CONSTRAINT runs in the transaction that added the constraint, so the write-blocking lock from "
		"ADD CONSTRAINT is still held during the validation scan",
	"commit the NOT VALID constraint first: VALIDATE CONSTRAINT in a later migration file"},
	{"lock-held-during-scan", GK_SEV_RISKY,
		"the relation is scanned or rewritten while a write-blocking lock taken earlier in the same transaction is still held",
	"move the backfill or scan to its own migration file (batched), after the DDL has committed"},
	{"set-not-null-scans", GK_SEV_RISKY,
		"SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) exists",
	"ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later file; then SET NOT NULL (no scan) and DROP CONSTRAINT c"},
	{"add-column-not-null-scans", GK_SEV_RISKY,
		"adding a NOT NULL column without a default fails on a non-empty table after scanning it under an ACCESS EXCLUSIVE lock",
	"add the column with a constant DEFAULT (metadata-only from PostgreSQL 11), or nullable and backfill, then SET NOT NULL via a validated CHECK"},
	{"add-column-rewrite", GK_SEV_RISKY,
		"adding a column with a volatile default, an identity, a serial type or a stored generated expression rewrites the table under an ACCESS EXCLUSIVE lock",
	"add the column nullable without default, backfill in batches, then set the default for new rows"},
	{"alter-column-type-rewrite", GK_SEV_RISKY,
		"changing the column type rewrites the table (and rebuilds its indexes) under an ACCESS EXCLUSIVE lock",
	"expand/contract: add a new column, backfill it in batches, switch readers, drop the old column later; "
	"widening varchar(n) or varchar to text needs no rewrite"},
	{"table-rewrite", GK_SEV_RISKY,
		"the statement rewrites the whole table (SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD) under an ACCESS EXCLUSIVE lock",
	"create a new table, copy in batches, swap names in a short transaction; or run it in a maintenance window"},
	{"cluster", GK_SEV_RISKY,
		"CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
	"pg_repack (online), or a maintenance window"},
	{"vacuum-full", GK_SEV_RISKY,
		"VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
	"plain VACUUM, or pg_repack for online compaction"},
	{"refresh-matview-not-concurrently", GK_SEV_RISKY,
		"REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view while it is recomputed",
	"REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)"},
	{"truncate", GK_SEV_RISKY,
		"TRUNCATE deletes every row of an existing table under an ACCESS EXCLUSIVE lock",
	"delete only what must go, in batches, after a backup; or archive the table first"},
	{"delete-rows", GK_SEV_RISKY,
		"DELETE removes existing rows: data loss that a rollback of the deploy cannot undo",
	"archive the rows first and delete in small batches outside the schema migration"},
	{"unbatched-update", GK_SEV_RISKY,
		"UPDATE touches most rows of an existing table in one transaction: long row locks, bloat and replication lag",
	"backfill in batches (WHERE id BETWEEN ... or a LIMITed subquery), each committed on its own, outside the DDL migration"},
	{"drop-object", GK_SEV_RISKY,
		"DROP removes an existing object (and its data) that running code may still use",
	"expand/contract: stop using the object in a deploy first, then drop it in a later release after a backup"},
	{"drop-column", GK_SEV_RISKY,
		"DROP COLUMN loses the column's data and breaks code that still reads or writes it",
	"stop using the column in code first, deploy, then drop it in a later migration"},
	{"drop-constraint", GK_SEV_RISKY,
		"dropping a unique key or primary key (or a constraint of unknown kind) removes a guarantee running code relies on",
	"make sure no code relies on the key (ON CONFLICT, lookups), then drop it in a later release"},
	{"rename-object", GK_SEV_RISKY,
		"renaming (or moving to another schema) an existing table, function, type or key breaks running code that uses the old name",
	"expand/contract: create the new object, keep the old name working (e.g. a view under the old name), switch code, drop later"},
	{"rename-column", GK_SEV_RISKY,
		"renaming a column breaks running code that uses the old name",
	"expand/contract: add the new column, dual-write and backfill, switch readers, drop the old column later"},
	{"enum-rename-value", GK_SEV_RISKY,
		"renaming an enum label breaks code and data that use the old label",
	"add the new label, migrate rows and code to it, keep the old label"},
	{"enum-add-value-in-transaction", GK_SEV_RISKY,
		"ALTER TYPE ... ADD VALUE cannot be used in the same transaction (before PostgreSQL 12: cannot run in one at all)",
	"add the enum value in its own migration file and use it in a later one"},
	{"revoke", GK_SEV_RISKY,
		"REVOKE removes privileges that running code may depend on",
	"check which roles use the privilege, deploy code that no longer needs it, then revoke"},
	{"attach-partition-scans", GK_SEV_RISKY,
		"ATTACH PARTITION scans the new partition under an ACCESS EXCLUSIVE lock unless a validated CHECK constraint matches the bound",
	"ADD CONSTRAINT ... CHECK (<partition bound>) NOT VALID, VALIDATE it in a later file, then ATTACH PARTITION"},
	{"detach-partition", GK_SEV_RISKY,
		"DETACH PARTITION removes the partition's rows from the partitioned table",
	"make sure no code reads the rows through the parent, then DETACH PARTITION ... CONCURRENTLY in its own file"},
	{"dynamic-sql-unresolved", GK_SEV_RISKY,
		"EXECUTE runs SQL built at run time that the gatekeeper cannot read, so it cannot be verified",
	"write the statements out literally in the migration"},
	{"prefer-bigint", GK_SEV_NOTE,
		"int/serial key columns can run out of values on large tables",
	"bigint / bigint GENERATED ... AS IDENTITY"},
	{"prefer-text", GK_SEV_NOTE,
		"varchar(n) limits are cheap to widen but a CHECK constraint on text is easier to change",
	"text with a CHECK (length(col) <= n) if a limit is needed"},
	{"prefer-if-not-exists", GK_SEV_NOTE,
		"a CONCURRENTLY statement runs outside a transaction: if it fails halfway (leaving an invalid index) a retry of the file fails too",
	"CREATE INDEX CONCURRENTLY IF NOT EXISTS / DROP INDEX CONCURRENTLY IF EXISTS, and check for invalid indexes after a failure"},
	{"prefer-timestamptz", GK_SEV_NOTE,
		"timestamp without time zone stores local times that are ambiguous across zones",
	"timestamptz"},
};

#define NRULES ((int) (sizeof(rules) / sizeof(rules[0])))

/*
 * Look a rule up by id; NULL when there is no such rule.
 */
const gk_rule *
gk_rule_lookup(const char *id)
{
	int			i;

	for (i = 0; i < NRULES; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

/* The i-th rule of the catalogue (0-based), NULL past the end */
const gk_rule *
gk_rule_at(int i)
{
	return i >= 0 && i < NRULES ? &rules[i] : NULL;
}

/* Number of rules in the catalogue */
int
gk_rule_count(void)
{
	return NRULES;
}

/* Position of a rule in the catalogue (SARIF ruleIndex) */
int
gk_rule_index(const gk_rule *rule)
{
	return (int) (rule - rules);
}

/*
 * The name PostgreSQL uses for a lock mode, as pg_locks shows it minus
 * the "Lock" suffix, in upper case words.
 */
const char *
gk_lock_name(gk_lock mode)
{
	switch (mode)
	{
		case GK_LOCK_NONE:
			return "none";
		case GK_LOCK_ACCESS_SHARE:
			return "ACCESS SHARE";
		case GK_LOCK_ROW_SHARE:
			return "ROW SHARE";
		case GK_LOCK_ROW_EXCLUSIVE:
			return "ROW EXCLUSIVE";
		case GK_LOCK_SHARE_UPDATE_EXCLUSIVE:
			return "SHARE UPDATE EXCLUSIVE";
		case GK_LOCK_SHARE:
			return "SHARE";
		case GK_LOCK_SHARE_ROW_EXCLUSIVE:
			return "SHARE ROW EXCLUSIVE";
		case GK_LOCK_EXCLUSIVE:
			return "EXCLUSIVE";
		case GK_LOCK_ACCESS_EXCLUSIVE:
			return "ACCESS EXCLUSIVE";
	}
	return "unknown";
}

/*
 * True for the modes that conflict with ROW EXCLUSIVE, i.e. block
 * INSERT/UPDATE/DELETE: SHARE and stronger.
 */
bool
gk_lock_blocks_writes(gk_lock mode)
{
	return mode >= GK_LOCK_SHARE;
}
