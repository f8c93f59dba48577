
/*
 * install/migrations.sql — the migration ledger of `gatekeeper apply`.
 *
 * One row per migration file (by file name): its SHA-256, the JSON report
 * of `gatekeeper check`, and where it stands:
 *
 *   awaiting_approval --migration_approve--> approved --apply--> applied
 *          |  ^                                  |
 *          |  +------ file changed (new checksum) +
 *          +--migration_reject--> rejected
 *   (safe, or approved)  --apply, error--> failed --next apply--> applied
 *   autocommit files: applying (statements_done counts) --> applied | failed
 *
 * Rules this part keeps (docs/gatekeeper.md, "Applying migrations"):
 * - An approval binds to a checksum.  A file changed after its approval
 *   goes back to awaiting_approval; a risky file can only be recorded
 *   applied under an approval for the checksum being applied (checked here,
 *   not only in the CLI, and by a CHECK constraint).
 * - The CLI records a transactional file as applied inside the file's own
 *   transaction, so a crash leaves either both or neither.
 * - Every change of the ledger, by these functions or direct SQL (TRUNCATE
 *   too), is appended to release.audit_log (target 'migrations'), like flag
 *   changes.  The person is session_user; notes come from the note argument.
 * - Roles: migration_approver (DBA) approves and rejects; migration_deployer
 *   (the deploy pipeline's login role is made a member) records requests,
 *   starts, progress, successes and failures.  Both may read the ledger.
 */

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide: created if missing, never dropped)
-- ---------------------------------------------------------------------------

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'migration_approver') THEN
		CREATE ROLE migration_approver NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'migration_deployer') THEN
		CREATE ROLE migration_deployer NOLOGIN;
	END IF;
END
$roles$;
GRANT USAGE ON SCHEMA release TO migration_approver, migration_deployer;

-- ---------------------------------------------------------------------------
-- The ledger
-- ---------------------------------------------------------------------------

CREATE TABLE release.migrations (
	name			text PRIMARY KEY,
	checksum		text NOT NULL,
	status			text NOT NULL,
	verdict			text NOT NULL,
	mode			text NOT NULL,
	report			jsonb NOT NULL,
	requested_by	name NOT NULL DEFAULT pg_catalog.session_user(),
	requested_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	approved_checksum text,
	approved_by		name,
	approved_at		timestamptz,
	rejected_by		name,
	rejected_at		timestamptz,
	note			text,
	applied_by		name,
	applied_at		timestamptz,
	statements_done integer NOT NULL DEFAULT 0,
	attempts		integer NOT NULL DEFAULT 0,
	error			text,
	failed_at		timestamptz,
	updated_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT migrations_name_valid
		CHECK (name <> '' AND pg_catalog.length(name) <= 255 AND name !~ '[/[:cntrl:]]'),
	CONSTRAINT migrations_checksum_valid CHECK (checksum ~ '^[0-9a-f]{64}$'),
	CONSTRAINT migrations_status_valid
		CHECK (status IN ('awaiting_approval', 'approved', 'applying', 'applied', 'failed', 'rejected')),
	CONSTRAINT migrations_verdict_valid CHECK (verdict IN ('safe', 'risky')),
	CONSTRAINT migrations_mode_valid CHECK (mode IN ('transaction', 'autocommit')),
	CONSTRAINT migrations_approval_binds
		CHECK (status <> 'approved' OR approved_checksum IS NOT DISTINCT FROM checksum),
	CONSTRAINT migrations_risky_needs_approval
		CHECK (status NOT IN ('applying', 'applied') OR verdict = 'safe'
			   OR approved_checksum IS NOT DISTINCT FROM checksum)
);
COMMENT ON TABLE release.migrations IS 'ledger of gatekeeper apply: one row per migration file, its checksum, report and status';
COMMENT ON COLUMN release.migrations.name IS 'file name of the migration (no directory)';
COMMENT ON COLUMN release.migrations.checksum IS 'SHA-256 (hex) of the file as last seen by gatekeeper apply';
COMMENT ON COLUMN release.migrations.status IS 'awaiting_approval, approved, applying (autocommit file in progress), applied, failed, rejected';
COMMENT ON COLUMN release.migrations.verdict IS 'safe or risky, as classified at the last attempt';
COMMENT ON COLUMN release.migrations.mode IS 'transaction (one transaction) or autocommit (CONCURRENTLY statements one by one)';
COMMENT ON COLUMN release.migrations.report IS 'the JSON report of gatekeeper check for this file';
COMMENT ON COLUMN release.migrations.approved_checksum IS 'the checksum a migration_approver approved; the approval holds only while it equals checksum';
COMMENT ON COLUMN release.migrations.note IS 'the reason given with the last approval or rejection';
COMMENT ON COLUMN release.migrations.statements_done IS 'autocommit files: statements completed, where a rerun resumes';
COMMENT ON COLUMN release.migrations.error IS 'server error of the last failed attempt';
SELECT pg_catalog.pg_extension_config_dump('release.migrations', '');

-- ---------------------------------------------------------------------------
-- Audit: every ledger change goes to release.audit_log
-- ---------------------------------------------------------------------------

/*
 * What a ledger change did, from the old and new row states.
 */
CREATE FUNCTION release.migration_action(op text, old_state jsonb, new_state jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN op = 'DELETE' THEN 'migration_delete'
		WHEN op = 'UPDATE' AND old_state->>'status' = 'applying' AND new_state->>'status' = 'applying'
			 AND old_state->>'checksum' = new_state->>'checksum'
			 AND old_state->'statements_done' <> new_state->'statements_done' THEN 'migration_progress'
		WHEN op = 'UPDATE' AND old_state->>'status' = 'applying' AND new_state->>'status' = 'applying'
			 AND old_state->>'checksum' = new_state->>'checksum' THEN 'migration_start'
		WHEN op = 'UPDATE' AND old_state->>'status' = new_state->>'status'
			 AND old_state->>'checksum' = new_state->>'checksum' THEN 'migration_update'
		ELSE CASE new_state->>'status'
			WHEN 'awaiting_approval' THEN 'migration_request'
			WHEN 'approved' THEN 'migration_approve'
			WHEN 'rejected' THEN 'migration_reject'
			WHEN 'applying' THEN 'migration_start'
			WHEN 'applied' THEN 'migration_apply'
			WHEN 'failed' THEN 'migration_fail'
			ELSE 'migration_update'
		END
	END
$$;
COMMENT ON FUNCTION release.migration_action(text, jsonb, jsonb) IS 'names a migration ledger change for the audit log (migration_request, migration_approve, ...)';

/*
 * Row trigger: one audit row per ledger change.  The report is left out of
 * the audited states (the checksum identifies it; the ledger keeps it).
 */
CREATE FUNCTION release.migrations_audit()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_state jsonb;
	new_state jsonb;
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		old_state := pg_catalog.to_jsonb(OLD) - 'report';
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		new_state := pg_catalog.to_jsonb(NEW) - 'report';
	END IF;
	PERFORM release.audit_append(release.migration_action(TG_OP, old_state, new_state),
								 'migrations', NULL, old_state, new_state);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.migrations_audit() IS 'trigger: appends one audit row per change of release.migrations';

-- BEFORE TRUNCATE: record every ledger row a TRUNCATE removes.
CREATE FUNCTION release.migrations_audit_truncate()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m release.migrations;
BEGIN
	FOR m IN SELECT * FROM release.migrations ORDER BY name LOOP
		PERFORM release.audit_append('truncate', 'migrations', NULL,
									 pg_catalog.to_jsonb(m) - 'report', NULL);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.migrations_audit_truncate() IS 'trigger: records every ledger row a TRUNCATE removes';

CREATE TRIGGER migrations_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.migrations
	FOR EACH ROW EXECUTE FUNCTION release.migrations_audit();
CREATE TRIGGER migrations_audit_truncate
	BEFORE TRUNCATE ON release.migrations
	FOR EACH STATEMENT EXECUTE FUNCTION release.migrations_audit_truncate();

-- ---------------------------------------------------------------------------
-- Input checks
-- ---------------------------------------------------------------------------

/*
 * Refuse a bad migration name or checksum with a clear error, before any
 * row is touched.  The CHECK constraints say the same, less kindly.
 */
CREATE FUNCTION release.migration_check_input(name text, checksum text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF name IS NULL OR name = '' OR pg_catalog.length(name) > 255 OR name ~ '[/[:cntrl:]]' THEN
		RAISE EXCEPTION 'invalid migration name %', COALESCE(pg_catalog.quote_literal(name), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A migration is named by its file name: 1 to 255 characters, no "/" and no control characters.';
	END IF;
	IF checksum IS NULL OR checksum !~ '^[0-9a-f]{64}$' THEN
		RAISE EXCEPTION 'invalid checksum %', COALESCE(pg_catalog.quote_literal(checksum), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A checksum is the SHA-256 of the file as 64 lower-case hexadecimal digits.',
				  HINT = 'gatekeeper status shows the checksum of every file in the ledger.';
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_check_input(text, text) IS 'raises invalid_parameter_value for a bad migration name or checksum';

-- Refuse a bad verdict, mode or report with a clear error.
CREATE FUNCTION release.migration_check_report(verdict text, mode text, report jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF verdict IS NULL OR verdict NOT IN ('safe', 'risky') THEN
		RAISE EXCEPTION 'invalid verdict %', COALESCE(pg_catalog.quote_literal(verdict), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A verdict is safe or risky.';
	END IF;
	IF mode IS NULL OR mode NOT IN ('transaction', 'autocommit') THEN
		RAISE EXCEPTION 'invalid mode %', COALESCE(pg_catalog.quote_literal(mode), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A migration runs in one transaction or in autocommit.';
	END IF;
	IF report IS NULL OR pg_catalog.jsonb_typeof(report) <> 'object' THEN
		RAISE EXCEPTION 'a migration needs its check report (a JSON object)'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_check_report(text, text, jsonb) IS 'raises invalid_parameter_value for a bad verdict, mode or report';

-- The risky-file guard shared by migration_started and migration_applied.
CREATE FUNCTION release.migration_check_approved(m release.migrations, name text, checksum text,
												 verdict text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	/*
	 * The verdict is the client's word.  A file once parked or rejected
	 * stays blocked until a DBA decides, and a file once found risky stays
	 * risky, whatever a later run (other options, other catalog) reports.
	 */
	IF m.name IS NOT NULL AND m.checksum = checksum
	   AND m.status IN ('rejected', 'awaiting_approval') THEN
		RAISE EXCEPTION 'migration "%" is %', name, pg_catalog.replace(m.status, '_', ' ')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'It runs only after migration_approve() for this checksum.';
	END IF;
	IF m.name IS NOT NULL AND m.checksum = checksum AND m.verdict = 'risky' THEN
		verdict := 'risky';
	END IF;
	IF verdict = 'risky' AND (m.name IS NULL OR m.approved_checksum IS DISTINCT FROM checksum
							  OR m.status NOT IN ('approved', 'applying', 'failed')) THEN
		RAISE EXCEPTION 'migration "%" is risky and not approved', name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('No migration_approver approved checksum %s.', checksum),
				  HINT = 'Record the request with gatekeeper apply; a DBA approves it with migration_approve().';
	END IF;
	IF m.status = 'applying' AND m.checksum <> checksum AND m.statements_done > 0 THEN
		RAISE EXCEPTION 'migration "%" changed while it was being applied', name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('%s of its statements ran with checksum %s; the file now has checksum %s.',
											 m.statements_done, m.checksum, checksum),
				  HINT = 'Restore the file as it was, or finish it by hand and correct the ledger.';
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_check_approved(release.migrations, text, text, text) IS 'raises unless a risky migration is approved for this checksum';

-- ---------------------------------------------------------------------------
-- The deploy pipeline's side (migration_deployer)
-- ---------------------------------------------------------------------------

/*
 * A risky file reached apply: record it as awaiting approval (new, or
 * changed since its last request or approval) and return where it stands:
 * awaiting_approval, approved (run it), rejected or applied.  An applied file
 * whose checksum differs is drift: an error.
 */
CREATE FUNCTION release.migration_request(name text, checksum text, verdict text, mode text,
										  report jsonb)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations;
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	PERFORM release.migration_check_report(verdict, mode, report);
	SELECT * INTO m FROM release.migrations r WHERE r.name = migration_request.name FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO release.migrations (name, checksum, status, verdict, mode, report)
		VALUES (name, checksum, 'awaiting_approval', verdict, mode, report);
		RETURN 'awaiting_approval';
	END IF;
	IF m.status = 'applied' THEN
		IF m.checksum = checksum THEN
			RETURN 'applied';
		END IF;
		RAISE EXCEPTION 'migration "%" was applied with checksum %, the file now has checksum %',
			name, m.checksum, checksum
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'An applied migration must not change: restore it and put the change in a new file.';
	END IF;
	IF m.checksum = checksum AND m.approved_checksum = checksum
	   AND m.status IN ('approved', 'applying', 'failed') THEN
		RETURN 'approved';
	END IF;
	IF m.checksum = checksum AND m.status IN ('rejected', 'awaiting_approval') THEN
		RETURN m.status;
	END IF;
	PERFORM release.migration_check_approved(m, name, checksum, 'safe');
	UPDATE release.migrations r
	   SET checksum = migration_request.checksum, status = 'awaiting_approval',
		   verdict = migration_request.verdict, mode = migration_request.mode,
		   report = migration_request.report,
		   requested_by = pg_catalog.session_user(), requested_at = pg_catalog.now(),
		   approved_checksum = NULL, approved_by = NULL, approved_at = NULL,
		   rejected_by = NULL, rejected_at = NULL, note = NULL,
		   statements_done = 0, error = NULL, failed_at = NULL, updated_at = pg_catalog.now()
	 WHERE r.name = migration_request.name;
	RETURN 'awaiting_approval';
END
$$;
COMMENT ON FUNCTION release.migration_request(text, text, text, text, jsonb) IS 'gatekeeper apply: park a risky file for approval; returns its status';

/*
 * An autocommit file starts (or resumes): mark it applying and return how
 * many of its statements already ran with this checksum (0 for a fresh
 * start).  A risky file must be approved for this checksum.
 */
CREATE FUNCTION release.migration_started(name text, checksum text, verdict text, mode text,
										  report jsonb)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations;
	done integer := 0;
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	PERFORM release.migration_check_report(verdict, mode, report);
	SELECT * INTO m FROM release.migrations r WHERE r.name = migration_started.name FOR UPDATE;
	IF m.status = 'applied' THEN
		RAISE EXCEPTION 'migration "%" is already applied', name
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	PERFORM release.migration_check_approved(m, name, checksum, verdict);
	IF m.status IN ('applying', 'failed') AND m.checksum = checksum THEN
		done := m.statements_done;
	END IF;
	-- (no upsert: CHECK constraints would judge the proposed row, not the result)
	IF m.name IS NULL THEN
		INSERT INTO release.migrations (name, checksum, status, verdict, mode, report, statements_done)
		VALUES (name, checksum, 'applying', verdict, mode, report, done);
	ELSE
		UPDATE release.migrations r
		   SET checksum = migration_started.checksum, status = 'applying',
			   verdict = migration_started.verdict, mode = migration_started.mode,
			   report = migration_started.report, statements_done = done,
			   error = NULL, updated_at = pg_catalog.now()
		 WHERE r.name = migration_started.name;
	END IF;
	RETURN done;
END
$$;
COMMENT ON FUNCTION release.migration_started(text, text, text, text, jsonb) IS 'gatekeeper apply: an autocommit file starts or resumes; returns the statements already done';

-- An autocommit file completed statement number done (1-based count).
CREATE FUNCTION release.migration_progress(name text, checksum text, done integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	IF done IS NULL OR done < 1 THEN
		RAISE EXCEPTION 'statements done must be a positive count'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Got %s.', COALESCE(done::text, 'NULL'));
	END IF;
	UPDATE release.migrations r
	   SET statements_done = done, updated_at = pg_catalog.now()
	 WHERE r.name = migration_progress.name AND r.checksum = migration_progress.checksum
	   AND r.status = 'applying';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'migration "%" with checksum % is not being applied', name, checksum
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_progress(text, text, integer) IS 'gatekeeper apply: an autocommit file completed its first done statements';

/*
 * Record a file applied.  For a transactional file the CLI calls this in
 * the file's own transaction, so the ledger and the schema change commit
 * together.  A risky file must be approved for this checksum.
 */
CREATE FUNCTION release.migration_applied(name text, checksum text, verdict text, mode text,
										  report jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations;
	nstmts integer;
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	PERFORM release.migration_check_report(verdict, mode, report);
	SELECT * INTO m FROM release.migrations r WHERE r.name = migration_applied.name FOR UPDATE;
	IF m.status = 'applied' THEN
		RAISE EXCEPTION 'migration "%" is already applied', name
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	PERFORM release.migration_check_approved(m, name, checksum, verdict);
	-- top-level statements of the file, as the report lists them
	SELECT pg_catalog.count(*) INTO nstmts
	  FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(report #> '{files,0,statements}') = 'array'
												THEN report #> '{files,0,statements}' ELSE '[]' END) st
	 WHERE st->>'origin' = 'top';
	IF m.name IS NULL THEN
		INSERT INTO release.migrations (name, checksum, status, verdict, mode, report,
										applied_by, applied_at, statements_done, attempts)
		VALUES (name, checksum, 'applied', verdict, mode, report,
				pg_catalog.session_user(), pg_catalog.now(), nstmts, 1);
	ELSE
		UPDATE release.migrations r
		   SET checksum = migration_applied.checksum, status = 'applied',
			   verdict = migration_applied.verdict, mode = migration_applied.mode,
			   report = migration_applied.report,
			   applied_by = pg_catalog.session_user(), applied_at = pg_catalog.now(),
			   statements_done = nstmts, attempts = r.attempts + 1,
			   error = NULL, updated_at = pg_catalog.now()
		 WHERE r.name = migration_applied.name;
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_applied(text, text, text, text, jsonb) IS 'gatekeeper apply: record a file applied (in the file''s own transaction)';

/*
 * Record a failed attempt with the server's error.  An approval for this
 * checksum survives (a transient failure such as a lock timeout is retried
 * by the next apply); a changed file loses it.
 */
CREATE FUNCTION release.migration_failed(name text, checksum text, verdict text, mode text,
										 report jsonb, error text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations;
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	PERFORM release.migration_check_report(verdict, mode, report);
	SELECT * INTO m FROM release.migrations r WHERE r.name = migration_failed.name FOR UPDATE;
	IF m.status = 'applied' THEN
		RAISE EXCEPTION 'migration "%" is already applied', name
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	PERFORM release.migration_check_approved(m, name, checksum, 'safe');
	IF m.name IS NULL THEN
		INSERT INTO release.migrations (name, checksum, status, verdict, mode, report,
										attempts, error, failed_at)
		VALUES (name, checksum, 'failed', verdict, mode, report, 1,
				COALESCE(error, 'unknown error'), pg_catalog.now());
	ELSE
		UPDATE release.migrations r
		   SET checksum = migration_failed.checksum, status = 'failed',
			   verdict = migration_failed.verdict, mode = migration_failed.mode,
			   report = migration_failed.report,
			   approved_checksum = CASE WHEN r.approved_checksum = migration_failed.checksum
										THEN r.approved_checksum END,
			   approved_by = CASE WHEN r.approved_checksum = migration_failed.checksum
								  THEN r.approved_by END,
			   approved_at = CASE WHEN r.approved_checksum = migration_failed.checksum
								  THEN r.approved_at END,
			   statements_done = CASE WHEN r.checksum = migration_failed.checksum
									  THEN r.statements_done ELSE 0 END,
			   attempts = r.attempts + 1, error = COALESCE(migration_failed.error, 'unknown error'),
			   failed_at = pg_catalog.now(), updated_at = pg_catalog.now()
		 WHERE r.name = migration_failed.name;
	END IF;
END
$$;
COMMENT ON FUNCTION release.migration_failed(text, text, text, text, jsonb, text) IS 'gatekeeper apply: record a failed attempt and the server error';

-- ---------------------------------------------------------------------------
-- The DBA's side (migration_approver)
-- ---------------------------------------------------------------------------

-- The ledger row a decision is about, locked; errors for unknown names and checksum mismatches.
CREATE FUNCTION release.migration_for_decision(name text, checksum text)
RETURNS release.migrations
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m release.migrations;
BEGIN
	PERFORM release.migration_check_input(name, checksum);
	SELECT * INTO m FROM release.migrations r WHERE r.name = migration_for_decision.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'migration "%" is not in the ledger', name
			USING ERRCODE = 'undefined_object',
				  HINT = 'gatekeeper apply records a risky file before anyone can approve it.';
	END IF;
	IF m.checksum <> checksum THEN
		RAISE EXCEPTION 'migration "%" has checksum %, not %', name, m.checksum, checksum
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The file changed after the report you reviewed was recorded.',
				  HINT = 'Review the current report (gatekeeper status) and decide on its checksum.';
	END IF;
	RETURN m;
END
$$;
COMMENT ON FUNCTION release.migration_for_decision(text, text) IS 'locks the ledger row of a migration for approval or rejection, checking its checksum';

CREATE FUNCTION migration_approve(name text, checksum text, note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations := release.migration_for_decision(name, checksum);
	prev text;
BEGIN
	IF m.status NOT IN ('awaiting_approval', 'rejected') THEN
		RAISE EXCEPTION 'migration "%" is %, not awaiting approval', name, pg_catalog.replace(m.status, '_', ' ')
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	-- four eyes: the person whose pipeline asked may not say yes
	IF m.requested_by = pg_catalog.session_user() THEN
		RAISE EXCEPTION 'migration "%" was requested by %, who cannot approve it too', name, m.requested_by
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Another migration_approver must approve it.';
	END IF;
	prev := release.note_push(note);
	UPDATE release.migrations r
	   SET status = 'approved', approved_checksum = r.checksum,
		   approved_by = pg_catalog.session_user(), approved_at = pg_catalog.now(),
		   rejected_by = NULL, rejected_at = NULL, note = migration_approve.note,
		   updated_at = pg_catalog.now()
	 WHERE r.name = migration_approve.name;
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION migration_approve(text, text, text) IS 'DBA: approve a risky migration as it is (its checksum); the next gatekeeper apply runs it';

CREATE FUNCTION migration_reject(name text, checksum text, note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	m release.migrations := release.migration_for_decision(name, checksum);
	prev text;
BEGIN
	IF m.status NOT IN ('awaiting_approval', 'approved') THEN
		RAISE EXCEPTION 'migration "%" is %, not awaiting approval', name, pg_catalog.replace(m.status, '_', ' ')
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	prev := release.note_push(note);
	UPDATE release.migrations r
	   SET status = 'rejected', approved_checksum = NULL, approved_by = NULL, approved_at = NULL,
		   rejected_by = pg_catalog.session_user(), rejected_at = pg_catalog.now(),
		   note = migration_reject.note, updated_at = pg_catalog.now()
	 WHERE r.name = migration_reject.name;
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION migration_reject(text, text, text) IS 'DBA: reject a migration (or withdraw an approval); apply stops at it until the file changes';

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------

GRANT SELECT ON release.migrations TO release_reader, migration_approver, migration_deployer;

REVOKE ALL ON FUNCTION release.migration_action(text, jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migrations_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migrations_audit_truncate() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_check_input(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_check_report(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_check_approved(release.migrations, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_for_decision(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_request(text, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_started(text, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_progress(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_applied(text, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.migration_failed(text, text, text, text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migration_approve(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migration_reject(text, text, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION release.migration_request(text, text, text, text, jsonb) TO migration_deployer;
GRANT EXECUTE ON FUNCTION release.migration_started(text, text, text, text, jsonb) TO migration_deployer;
GRANT EXECUTE ON FUNCTION release.migration_progress(text, text, integer) TO migration_deployer;
GRANT EXECUTE ON FUNCTION release.migration_applied(text, text, text, text, jsonb) TO migration_deployer;
GRANT EXECUTE ON FUNCTION release.migration_failed(text, text, text, text, jsonb, text) TO migration_deployer;
GRANT EXECUTE ON FUNCTION migration_approve(text, text, text) TO migration_approver;
GRANT EXECUTE ON FUNCTION migration_reject(text, text, text) TO migration_approver;
