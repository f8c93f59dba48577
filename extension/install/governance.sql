/*
 * install/governance.sql — audit trail, roles, four-eyes approval of
 * regulated flags, the release board and flag debt.
 *
 * Rules this part keeps (docs/security.md explains them):
 * - Every change to flag data, by the API or by direct SQL (TRUNCATE too),
 *   appends a row to release.audit_log.  The log is append-only and each row
 *   carries a SHA-256 hash chained to the previous row.  Appenders serialize
 *   on a table lock held until commit, so ids follow commit order and the
 *   chain stays linear under concurrent writers.
 * - A regulated flag only reaches users (switched on, rollout raised above 0,
 *   targeting of a live flag changed) with a valid approval: given by someone
 *   other than the person switching, still a release_approver, not revoked,
 *   and for the targeting that goes live.  A trigger enforces it, so every
 *   path (API, direct SQL, later workers) is covered.
 * - The person is session_user; the acting role is the SET ROLE role.
 *   SECURITY DEFINER functions change current_user, never these two.
 */

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide: created if missing, never dropped)
-- ---------------------------------------------------------------------------

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'release_approver') THEN
		CREATE ROLE release_approver NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'migration_approver') THEN
		CREATE ROLE migration_approver NOLOGIN;
	END IF;
END
$roles$;
GRANT release_reader TO release_approver;

-- ---------------------------------------------------------------------------
-- Who is acting, and why
-- ---------------------------------------------------------------------------

/*
 * The role the session acts as: its SET ROLE role, else the login role.
 * Unlike current_user it is not changed by SECURITY DEFINER functions.
 */
CREATE FUNCTION release.acting_role()
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN pg_catalog.current_setting('role') = 'none'
				THEN pg_catalog.session_user()
				ELSE pg_catalog.current_setting('role')::name
		   END
$$;
COMMENT ON FUNCTION release.acting_role() IS 'the session''s SET ROLE role, else its login role (unaffected by SECURITY DEFINER)';

-- The reason for the current change: pg_release.note, NULL when unset or empty.
CREATE FUNCTION release.current_note()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT NULLIF(pg_catalog.current_setting('pg_release.note', true), '')
$$;
COMMENT ON FUNCTION release.current_note() IS 'the pg_release.note setting, NULL when unset or empty';

-- ---------------------------------------------------------------------------
-- Reach and targeting
-- ---------------------------------------------------------------------------


-- The same for a flag row as stored in the audit log (to_jsonb of release.flags).
CREATE FUNCTION release.state_reach(state jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN state IS NULL THEN 0
				WHEN state->'archived_at' IS NOT NULL AND state->'archived_at' <> 'null' THEN 0
				ELSE release.reach((state->>'enabled')::boolean, NULL, state->'strategies')
		   END
$$;
COMMENT ON FUNCTION release.state_reach(jsonb) IS 'release.reach() of a flag state stored as jsonb; 0 for NULL';

/*
 * The segments a strategy names, with their current constraints, as
 * [{"id": 1, "constraints": [...]}, ...] in the strategy's order; a segment
 * that does not exist (or no segments table) gives null constraints.
 */
CREATE FUNCTION release.segments_of(strategy jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result jsonb;
BEGIN
	IF pg_catalog.jsonb_typeof(strategy->'segments') IS DISTINCT FROM 'array'
	   OR pg_catalog.jsonb_array_length(strategy->'segments') = 0 THEN
		RETURN '[]';
	END IF;
	IF pg_catalog.to_regclass('release.segments') IS NULL THEN
		SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', g.id, 'constraints', NULL) ORDER BY g.ord)
		  INTO result
		  FROM pg_catalog.jsonb_array_elements(strategy->'segments') WITH ORDINALITY AS g(id, ord);
		RETURN result;
	END IF;
	SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', g.id, 'constraints', sg.constraints)
								ORDER BY g.ord)
	  INTO result
	  FROM pg_catalog.jsonb_array_elements(strategy->'segments') WITH ORDINALITY AS g(id, ord)
	  LEFT JOIN release.segments sg ON sg.id::text = g.id #>> '{}';
	RETURN result;
END
$$;
COMMENT ON FUNCTION release.segments_of(jsonb) IS 'the segments a strategy names, with their current constraints';

/*
 * SHA-256 of a strategy list's targeting: who can be reached, not how many.
 * A plain rollout list (everyone, at any percentage) is one targeting; for
 * richer lists the percentages are removed before hashing, and the
 * constraints of the segments they name are put in.  So raising a rollout
 * keeps an approval, while changing constraints, segments (their contents
 * included), user lists or stickiness voids it.
 */
CREATE FUNCTION release.targeting_hash(strategies jsonb)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.sha256(pg_catalog.convert_to(
		CASE WHEN release.strategies_rollout(strategies) IS NOT NULL THEN 'everyone'
			 ELSE COALESCE(
				(SELECT pg_catalog.jsonb_agg(
							(e.s #- '{parameters,rollout}' #- '{parameters,percentage}')
							|| pg_catalog.jsonb_build_object('segments', release.segments_of(e.s))
							ORDER BY e.ord)
				   FROM pg_catalog.jsonb_array_elements(strategies) WITH ORDINALITY AS e(s, ord)),
				'[]')::text
		END, 'UTF8'))
$$;
COMMENT ON FUNCTION release.targeting_hash(jsonb) IS 'SHA-256 of who a strategy list can reach (percentages left out); approvals bind to it';

-- ---------------------------------------------------------------------------
-- Regulated flags and approvals
-- ---------------------------------------------------------------------------

ALTER TABLE release.flags
	ADD COLUMN regulated boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN release.flags.regulated IS 'under regulation: reaching users needs an approval by a second person (four eyes)';

CREATE TABLE release.approvals (
	id				bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	flag_key		text NOT NULL,
	targeting_hash	bytea NOT NULL,
	strategies		jsonb NOT NULL,
	approved_at		timestamptz NOT NULL DEFAULT now(),
	approved_by		name NOT NULL,
	approved_role	name NOT NULL,
	note			text NOT NULL,
	revoked_at		timestamptz,
	revoked_by		name,
	revoke_note		text
);
CREATE INDEX approvals_flag_key ON release.approvals (flag_key, id);
COMMENT ON TABLE release.approvals IS 'four-eyes approvals of regulated flags, each bound to the targeting it approved';
COMMENT ON COLUMN release.approvals.targeting_hash IS 'release.targeting_hash() of the strategies approved; a different targeting voids the approval';
COMMENT ON COLUMN release.approvals.strategies IS 'the strategy list as it was approved, for humans';
COMMENT ON COLUMN release.approvals.approved_by IS 'the approving person (session user)';
COMMENT ON COLUMN release.approvals.approved_role IS 'the role the approver acted as';
SELECT pg_catalog.pg_extension_config_dump('release.approvals', '');
SELECT pg_catalog.pg_extension_config_dump('release.approvals_id_seq', '');

/*
 * The newest approval that lets person switch the flag on with this
 * targeting: not revoked, given after the flag was created, for the same
 * targeting hash, by someone other than person (NULL: anyone), who is still
 * a member of release_approver.  NULL when there is none.
 */
CREATE FUNCTION release.valid_approval(flag_key text, strategies jsonb, person name)
RETURNS release.approvals
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.*
	  FROM release.approvals a
	  JOIN release.flags f ON f.key = a.flag_key
	 WHERE a.flag_key = valid_approval.flag_key
	   AND a.revoked_at IS NULL
	   AND a.approved_at >= f.created_at
	   AND a.targeting_hash = release.targeting_hash(valid_approval.strategies)
	   AND (valid_approval.person IS NULL OR a.approved_by <> valid_approval.person)
	   AND EXISTS (SELECT FROM pg_catalog.pg_roles r
				    WHERE r.rolname = a.approved_by
					  AND pg_catalog.pg_has_role(r.oid, 'release_approver', 'MEMBER'))
	 ORDER BY a.id DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION release.valid_approval(text, jsonb, name) IS 'newest approval valid for this targeting and not given by person; NULL if none';

/*
 * Approval status of a flag for humans: not required, approved, void
 * (targeting changed since), revoked, or missing.
 */
CREATE FUNCTION release.approval_status(flag_key text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN NOT f.regulated THEN 'not required'
		WHEN (release.valid_approval(f.key, f.strategies, NULL)).id IS NOT NULL THEN 'approved'
		WHEN last.id IS NULL THEN 'missing'
		WHEN last.revoked_at IS NOT NULL THEN 'revoked'
		WHEN last.targeting_hash <> release.targeting_hash(f.strategies) THEN 'void: targeting changed'
		ELSE 'void: approver no longer a release_approver'
	END
	  FROM release.flags f
	  LEFT JOIN LATERAL (SELECT a.* FROM release.approvals a
						  WHERE a.flag_key = f.key AND a.approved_at >= f.created_at
						  ORDER BY a.id DESC LIMIT 1) last ON true
	 WHERE f.key = approval_status.flag_key
$$;
COMMENT ON FUNCTION release.approval_status(text) IS 'approval status of a flag: not required, approved, missing, revoked or void';

/*
 * Trigger: the four-eyes gate on release.flags.  Refuses a change that makes
 * a regulated flag reach users (on, rollout raised, live targeting changed)
 * without a valid approval; refuses clearing the regulated mark unless the
 * acting role is a release_approver, and the person who cleared it switching
 * the flag on.
 */
CREATE FUNCTION release.flags_govern()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	person name := pg_catalog.session_user();
	/* who the change is for, when the guard carries it out (schedules, ramps) */
	principal name := NULLIF(pg_catalog.current_setting('pg_release.on_behalf_of', true), '');
	new_reach integer := release.reach(NEW.enabled, NEW.archived_at, NEW.strategies);
	old_reach integer := 0;
	created timestamptz := NEW.created_at;
	approval release.approvals;
	last release.approvals;
	why text;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		created := OLD.created_at;
		old_reach := release.reach(OLD.enabled, OLD.archived_at, OLD.strategies);
		IF OLD.regulated AND NOT NEW.regulated
		   AND NOT pg_catalog.pg_has_role(release.acting_role(), 'release_approver', 'MEMBER') THEN
			RAISE EXCEPTION 'permission denied to clear the regulated mark of feature flag "%"', NEW.key
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = format('Role %I is not a release_approver.', release.acting_role()),
					  HINT = 'Ask a release_approver to run flag_set_regulated(key, false, note).';
		END IF;
	END IF;

	IF new_reach = 0 THEN
		RETURN NEW;				/* reaches nobody */
	END IF;
	IF TG_OP = 'UPDATE' AND old_reach IS DISTINCT FROM 0
	   AND (OLD.strategies = NEW.strategies
			OR (old_reach IS NOT NULL AND new_reach IS NOT NULL AND new_reach <= old_reach)) THEN
		RETURN NEW;				/* already live and not reaching further */
	END IF;

	/*
	 * Not regulated (any more).  Whoever cleared the mark may not be the one
	 * who then switches the flag on: otherwise a person holding both roles
	 * could clear, switch on and mark again, alone.
	 */
	IF NOT NEW.regulated THEN
		IF TG_OP = 'UPDATE' AND OLD.regulated THEN
			why := 'Its regulated mark is cleared by this same change.';
		ELSIF EXISTS (SELECT FROM (SELECT a.session_user_name
									 FROM release.audit_log a
									WHERE a.flag_key = NEW.key AND a.target = 'flags'
									  AND a.logged_at >= created
									  AND (a.old_state->>'regulated')::boolean
									  AND NOT (a.new_state->>'regulated')::boolean
									ORDER BY a.id DESC LIMIT 1) u
					   WHERE u.session_user_name IN (person, principal)) THEN
			why := format('%s cleared its regulated mark.', COALESCE(principal, person));
		ELSE
			RETURN NEW;
		END IF;
		RAISE EXCEPTION 'feature flag "%" cannot be switched on by the person who cleared its regulated mark', NEW.key
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = why || ' Four eyes are required. No flag was changed.',
				  HINT = 'Another release_operator may switch it on.';
	END IF;

	approval := release.valid_approval(NEW.key, NEW.strategies, person);
	IF approval.id IS NOT NULL AND approval.approved_by IS DISTINCT FROM principal THEN
		RETURN NEW;
	END IF;

	/* Explain why the newest approval, if any, does not count. */
	SELECT a.* INTO last
	  FROM release.approvals a
	 WHERE a.flag_key = NEW.key
	   AND a.approved_at >= created
	 ORDER BY a.id DESC LIMIT 1;
	IF last.id IS NULL THEN
		why := 'It has no approval.';
	ELSIF last.revoked_at IS NOT NULL THEN
		why := format('Its approval by %s was revoked by %s at %s.', last.approved_by, last.revoked_by, last.revoked_at);
	ELSIF last.targeting_hash <> release.targeting_hash(NEW.strategies) THEN
		why := format('Its approval by %s at %s is for other targeting than this change gives it.', last.approved_by, last.approved_at);
	ELSIF last.approved_by = person THEN
		why := format('Its approval was given by %s, who is the person switching it on: four eyes are required.', person);
	ELSE
		why := format('Its approval by %s no longer counts: %s is not a release_approver any more.', last.approved_by, last.approved_by);
	END IF;
	RAISE EXCEPTION 'feature flag "%" is regulated and has no valid approval', NEW.key
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  DETAIL = why || ' No flag was changed.',
			  HINT = format('A release_approver other than %s must run flag_approve(%L, note) for its current targeting.', person, NEW.key);
END
$$;
COMMENT ON FUNCTION release.flags_govern() IS 'trigger: four-eyes gate for regulated flags; guards the regulated mark';

CREATE TRIGGER flags_govern
	BEFORE INSERT OR UPDATE ON release.flags
	FOR EACH ROW EXECUTE FUNCTION release.flags_govern();

-- ---------------------------------------------------------------------------
-- Audit log: append-only, SHA-256 hash chain
-- ---------------------------------------------------------------------------

CREATE TABLE release.audit_log (
	id				bigint PRIMARY KEY,
	logged_at		timestamptz NOT NULL,
	session_user_name name NOT NULL,
	current_role_name name NOT NULL,
	application_name text,
	client_addr		inet,
	txid			bigint NOT NULL,
	action			text NOT NULL,
	target			text NOT NULL,
	flag_key		text,
	old_state		jsonb,
	new_state		jsonb,
	note			text,
	prev_hash		bytea NOT NULL,
	hash			bytea NOT NULL
);
CREATE INDEX audit_log_flag_key ON release.audit_log (flag_key, id);
COMMENT ON TABLE release.audit_log IS 'append-only audit trail of flag data, each row SHA-256-chained to the previous one';
COMMENT ON COLUMN release.audit_log.id IS '1, 2, 3, ... without gaps, in commit order';
COMMENT ON COLUMN release.audit_log.session_user_name IS 'the person: the login (session) user';
COMMENT ON COLUMN release.audit_log.current_role_name IS 'the role the session acted as (SET ROLE), else the login user';
COMMENT ON COLUMN release.audit_log.action IS 'create, enable, rollout, targeting, disable, archive, mark_regulated, approve, revoke_approval, delete, truncate, ...';
COMMENT ON COLUMN release.audit_log.target IS 'the table changed: flags, approvals, ...';
COMMENT ON COLUMN release.audit_log.note IS 'the reason: a management function''s note argument or the pg_release.note setting';
COMMENT ON COLUMN release.audit_log.prev_hash IS 'hash of the previous row (32 zero bytes for the first)';
COMMENT ON COLUMN release.audit_log.hash IS 'sha256(prev_hash || canonical text of this row); see release.audit_hash()';
SELECT pg_catalog.pg_extension_config_dump('release.audit_log', '');

/*
 * The hash of an audit row: SHA-256 over its prev_hash followed by the UTF-8
 * text of a jsonb array of every other column.  jsonb text is canonical and
 * the time is taken as epoch microseconds, so the result depends on neither
 * DateStyle nor TimeZone.
 */
CREATE FUNCTION release.audit_hash(r release.audit_log)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.sha256(r.prev_hash || pg_catalog.convert_to(pg_catalog.jsonb_build_array(
		r.id,
		(EXTRACT(epoch FROM r.logged_at) * 1000000)::bigint,
		r.session_user_name, r.current_role_name, r.application_name,
		r.client_addr::text, r.txid, r.action, r.target, r.flag_key,
		r.old_state, r.new_state, r.note)::text, 'UTF8'))
$$;
COMMENT ON FUNCTION release.audit_hash(release.audit_log) IS 'SHA-256 of an audit row chained to its prev_hash';

/*
 * Append one row to the audit log.  The SHARE ROW EXCLUSIVE lock conflicts
 * with itself and is held until commit: appenders queue, the next one sees
 * the previous one's committed row, so ids are gapless and in commit order.
 * Under REPEATABLE READ a writer that queued behind another cannot see its
 * row: the duplicate id is reported as a serialization failure to retry.
 * Callers: the audit triggers only (revoked from PUBLIC).
 */
CREATE FUNCTION release.audit_append(action text, target text, flag_key text,
									 old_state jsonb, new_state jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r release.audit_log;
	last_id bigint;
	last_hash bytea;
BEGIN
	LOCK TABLE release.audit_log IN SHARE ROW EXCLUSIVE MODE;
	SELECT a.id, a.hash INTO last_id, last_hash
	  FROM release.audit_log a ORDER BY a.id DESC LIMIT 1;

	r.id := COALESCE(last_id, 0) + 1;
	r.logged_at := pg_catalog.clock_timestamp();
	r.session_user_name := pg_catalog.session_user();
	r.current_role_name := release.acting_role();
	r.application_name := NULLIF(pg_catalog.current_setting('application_name'), '');
	r.client_addr := pg_catalog.inet_client_addr();
	r.txid := pg_catalog.txid_current();
	r.action := audit_append.action;
	r.target := audit_append.target;
	r.flag_key := audit_append.flag_key;
	r.old_state := audit_append.old_state;
	r.new_state := audit_append.new_state;
	r.note := release.current_note();
	r.prev_hash := COALESCE(last_hash, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'));
	r.hash := release.audit_hash(r);

	INSERT INTO release.audit_log SELECT (r).*;
	RETURN r.id;
EXCEPTION WHEN unique_violation THEN
	RAISE EXCEPTION 'could not serialize access to the audit log due to a concurrent change'
		USING ERRCODE = 'serialization_failure',
			  HINT = 'Retry the transaction.';
END
$$;
COMMENT ON FUNCTION release.audit_append(text, text, text, jsonb, jsonb) IS 'appends one hash-chained row to release.audit_log (audit triggers only)';

/*
 * What a change did, in words, from the old and new row states.  For flags
 * the first matching label wins; the states in the log tell the rest.
 */
CREATE FUNCTION release.audit_action(target text, op text, old_state jsonb, new_state jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN op = 'INSERT' AND target = 'flags' THEN 'create'
		WHEN op = 'DELETE' AND target = 'flags' THEN 'delete'
		WHEN op = 'INSERT' AND target = 'approvals' THEN 'approve'
		WHEN op = 'UPDATE' AND target = 'approvals'
			 AND old_state->'revoked_at' = 'null' AND new_state->'revoked_at' <> 'null' THEN 'revoke_approval'
		WHEN target <> 'flags' THEN
			CASE WHEN target LIKE '%ies' THEN pg_catalog.left(target, -3) || 'y'
				 ELSE pg_catalog.rtrim(target, 's') END || '_' || pg_catalog.lower(op)
		WHEN old_state->'archived_at' = 'null' AND new_state->'archived_at' <> 'null' THEN 'archive'
		WHEN old_state->'archived_at' <> 'null' AND new_state->'archived_at' = 'null' THEN 'unarchive'
		WHEN (old_state->>'enabled')::boolean AND NOT (new_state->>'enabled')::boolean THEN 'disable'
		WHEN old_state->'regulated' = 'false' AND new_state->'regulated' = 'true' THEN 'mark_regulated'
		WHEN old_state->'regulated' = 'true' AND new_state->'regulated' = 'false' THEN 'unmark_regulated'
		WHEN release.state_reach(new_state) = 100
			 AND release.state_reach(old_state) IS DISTINCT FROM 100 THEN 'enable'
		WHEN old_state->'strategies' <> new_state->'strategies'
			 AND release.strategies_rollout(old_state->'strategies') IS NOT NULL
			 AND release.strategies_rollout(new_state->'strategies') IS NOT NULL THEN 'rollout'
		WHEN old_state->'strategies' <> new_state->'strategies' THEN 'targeting'
		WHEN NOT (old_state->>'enabled')::boolean AND (new_state->>'enabled')::boolean THEN 'enable'
		ELSE 'update'
	END
$$;
COMMENT ON FUNCTION release.audit_action(text, text, jsonb, jsonb) IS 'names a change for the audit log (create, enable, rollout, disable, ...)';

/*
 * Row trigger on the audited tables: one audit row per changed row.  When a
 * flag is deleted its open approvals are revoked, so a flag created again
 * under the same key starts without any.
 */
CREATE FUNCTION release.audit_row()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_state jsonb;
	new_state jsonb;
	key text;
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		old_state := pg_catalog.to_jsonb(OLD);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		new_state := pg_catalog.to_jsonb(NEW);
	END IF;
	IF TG_TABLE_NAME = 'flags' THEN
		key := COALESCE(new_state->>'key', old_state->>'key');
	ELSE
		-- approvals name the flag in flag_key; the guard's tables in key
		key := COALESCE(new_state->>'flag_key', old_state->>'flag_key',
						new_state->>'key', old_state->>'key');
	END IF;
	PERFORM release.audit_append(release.audit_action(TG_TABLE_NAME, TG_OP, old_state, new_state),
								 TG_TABLE_NAME, key, old_state, new_state);
	IF TG_TABLE_NAME = 'flags' AND TG_OP = 'DELETE' THEN
		UPDATE release.approvals a
		   SET revoked_at = now(), revoked_by = pg_catalog.session_user(),
			   revoke_note = 'the flag was deleted'
		 WHERE a.flag_key = key AND a.revoked_at IS NULL;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.audit_row() IS 'trigger: appends one audit row per inserted, updated or deleted row';

/*
 * BEFORE TRUNCATE trigger: TRUNCATE fires no row triggers, so record every
 * row it is about to remove (and revoke the approvals of removed flags).
 */
CREATE FUNCTION release.audit_truncate()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f release.flags;
	a release.approvals;
BEGIN
	IF TG_TABLE_NAME = 'flags' THEN
		FOR f IN SELECT * FROM release.flags ORDER BY key LOOP
			PERFORM release.audit_append('truncate', 'flags', f.key, pg_catalog.to_jsonb(f), NULL);
		END LOOP;
		UPDATE release.approvals ap
		   SET revoked_at = now(), revoked_by = pg_catalog.session_user(),
			   revoke_note = 'the flag was deleted'
		 WHERE ap.revoked_at IS NULL;
	ELSIF TG_TABLE_NAME = 'approvals' THEN
		FOR a IN SELECT * FROM release.approvals ORDER BY id LOOP
			PERFORM release.audit_append('truncate', 'approvals', a.flag_key, pg_catalog.to_jsonb(a), NULL);
		END LOOP;
	ELSE
		PERFORM release.audit_append('truncate', TG_TABLE_NAME, NULL, NULL, NULL);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.audit_truncate() IS 'trigger: records every row a TRUNCATE removes';

/*
 * The audit and four-eyes triggers fire in the default (origin) mode: a
 * superuser restoring a dump with session_replication_role = replica gets
 * the log back bit for bit instead of entries for the restore itself.
 * A non-superuser granted SET on session_replication_role cannot use it
 * against the API: every SECURITY DEFINER management function pins it to
 * origin.
 */
CREATE TRIGGER flags_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.flags
	FOR EACH ROW EXECUTE FUNCTION release.audit_row();
CREATE TRIGGER flags_audit_truncate
	BEFORE TRUNCATE ON release.flags
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();
CREATE TRIGGER approvals_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.approvals
	FOR EACH ROW EXECUTE FUNCTION release.audit_row();
CREATE TRIGGER approvals_audit_truncate
	BEFORE TRUNCATE ON release.approvals
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();

/*
 * Trigger on release.segments: a segment named by a live regulated flag
 * cannot change its constraints or go away, because that would change who
 * the flag reaches without an approval.  Row level for UPDATE and DELETE,
 * statement level for TRUNCATE.
 */
CREATE FUNCTION release.segments_govern()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	seg_id text;
	flag text;
BEGIN
	IF TG_LEVEL = 'ROW' THEN
		IF TG_OP = 'UPDATE' AND pg_catalog.to_jsonb(NEW)->'constraints' = pg_catalog.to_jsonb(OLD)->'constraints'
		   AND pg_catalog.to_jsonb(NEW)->'id' = pg_catalog.to_jsonb(OLD)->'id' THEN
			RETURN NEW;
		END IF;
		seg_id := pg_catalog.to_jsonb(OLD)->>'id';
	END IF;
	SELECT f.key INTO flag
	  FROM release.flags f,
		   pg_catalog.jsonb_array_elements(f.strategies) s,
		   pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(s->'segments') = 'array'
												THEN s->'segments' ELSE '[]' END) g
	 WHERE f.regulated
	   AND release.reach(f.enabled, f.archived_at, f.strategies) IS DISTINCT FROM 0
	   AND (seg_id IS NULL OR g #>> '{}' = seg_id)
	 ORDER BY f.key
	 LIMIT 1;
	IF flag IS NOT NULL THEN
		RAISE EXCEPTION '% used by the live regulated feature flag "%"',
			CASE WHEN seg_id IS NULL THEN 'segments are' ELSE format('segment %s is', seg_id) END, flag
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Changing it would change who the flag reaches without an approval. No segment was changed.',
				  HINT = 'Take the flag to rollout 0 or disable it, change the segment, and have the flag approved again.';
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION release.segments_govern() IS 'trigger: refuses changing a segment that a live regulated flag names';

-- Segments (targeting) are flag data too, when that part is installed.
DO $segments$
BEGIN
	IF pg_catalog.to_regclass('release.segments') IS NOT NULL THEN
		CREATE TRIGGER segments_audit
			AFTER INSERT OR UPDATE OR DELETE ON release.segments
			FOR EACH ROW EXECUTE FUNCTION release.audit_row();
		CREATE TRIGGER segments_audit_truncate
			BEFORE TRUNCATE ON release.segments
			FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();
		CREATE TRIGGER segments_govern
			BEFORE UPDATE OR DELETE ON release.segments
			FOR EACH ROW EXECUTE FUNCTION release.segments_govern();
		CREATE TRIGGER segments_govern_truncate
			BEFORE TRUNCATE ON release.segments
			FOR EACH STATEMENT EXECUTE FUNCTION release.segments_govern();
	END IF;
END
$segments$;

-- Append-only: refuse UPDATE, DELETE and TRUNCATE, even by the owner, in
-- every session_replication_role.
CREATE FUNCTION release.audit_log_refuse()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'release.audit_log is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege',
			  DETAIL = 'Audit rows are never changed or removed; every row is hash-chained to the previous one.',
			  HINT = 'Check the chain with flag_audit_verify().';
END
$$;
COMMENT ON FUNCTION release.audit_log_refuse() IS 'trigger: refuses UPDATE, DELETE and TRUNCATE of release.audit_log';

CREATE TRIGGER audit_log_append_only
	BEFORE UPDATE OR DELETE OR TRUNCATE ON release.audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_log_refuse();
ALTER TABLE release.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;

-- ---------------------------------------------------------------------------
-- Reading the audit trail (release_reader)
-- ---------------------------------------------------------------------------

CREATE FUNCTION flag_audit_verify()
RETURNS TABLE (intact boolean, checked bigint, broken_id bigint, detail text,
			   last_id bigint, last_hash text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r release.audit_log;
	expect_id bigint := 1;
	expect_prev bytea := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
	n bigint := 0;
BEGIN
	FOR r IN SELECT * FROM release.audit_log a ORDER BY a.id LOOP
		IF r.id <> expect_id THEN
			RETURN QUERY SELECT false, n, r.id,
				format('rows %s to %s are missing before row %s', expect_id, r.id - 1, r.id),
				expect_id - 1, pg_catalog.encode(expect_prev, 'hex');
			RETURN;
		END IF;
		IF r.prev_hash IS DISTINCT FROM expect_prev THEN
			RETURN QUERY SELECT false, n, r.id,
				CASE WHEN r.id = 1 THEN 'row 1 does not start the chain'
					 ELSE format('row %s does not chain to row %s: row %s was altered or replaced', r.id, r.id - 1, r.id - 1)
				END,
				expect_id - 1, pg_catalog.encode(expect_prev, 'hex');
			RETURN;
		END IF;
		IF r.hash IS DISTINCT FROM release.audit_hash(r) THEN
			RETURN QUERY SELECT false, n, r.id,
				format('row %s does not match its hash: it was altered', r.id),
				expect_id - 1, pg_catalog.encode(expect_prev, 'hex');
			RETURN;
		END IF;
		n := n + 1;
		expect_id := r.id + 1;
		expect_prev := r.hash;
	END LOOP;
	RETURN QUERY SELECT true, n, NULL::bigint, 'the audit log is intact'::text,
		expect_id - 1, pg_catalog.encode(expect_prev, 'hex');
END
$$;
COMMENT ON FUNCTION flag_audit_verify() IS 'checks the audit log''s hash chain: the first broken row, or intact (keep last_hash elsewhere to detect a cut tail)';

CREATE FUNCTION flag_history(key text)
RETURNS TABLE (id bigint, logged_at timestamptz, action text, session_user_name name,
			   current_role_name name, application_name text, client_addr inet,
			   txid bigint, note text, changes jsonb, old_state jsonb, new_state jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM release.check_key(flag_history.key);
	RETURN QUERY
	SELECT a.id, a.logged_at, a.action, a.session_user_name, a.current_role_name,
		   a.application_name, a.client_addr, a.txid, a.note,
		   (SELECT pg_catalog.jsonb_object_agg(n.key, pg_catalog.jsonb_build_array(o.value, n.value))
			  FROM pg_catalog.jsonb_each(a.new_state) n
			  LEFT JOIN pg_catalog.jsonb_each(a.old_state) o ON o.key = n.key
			 WHERE a.old_state IS NOT NULL
			   AND o.value IS DISTINCT FROM n.value
			   AND n.key NOT IN ('updated_at', 'updated_by')),
		   a.old_state, a.new_state
	  FROM release.audit_log a
	 WHERE a.flag_key = flag_history.key
	 ORDER BY a.id DESC;
END
$$;
COMMENT ON FUNCTION flag_history(text) IS 'a flag''s audit trail (its approvals included), newest first; changes = {column: [old, new]}';

-- ---------------------------------------------------------------------------
-- Management API additions (release_operator, release_approver)
-- ---------------------------------------------------------------------------

-- "Enable selected" with a reason; the VARIADIC form takes it from pg_release.note.
CREATE FUNCTION flag_enable(keys text[], note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev text := release.note_push(note);
BEGIN
	PERFORM @extschema@.flag_enable(VARIADIC keys);
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION flag_enable(text[], text) IS 'switch the listed flags fully on, all or none, with a reason for the audit log';

CREATE FUNCTION flag_disable(keys text[], note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev text := release.note_push(note);
BEGIN
	PERFORM @extschema@.flag_disable(VARIADIC keys);
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION flag_disable(text[], text) IS 'the kill switch for the listed flags, with a reason for the audit log';

CREATE FUNCTION flag_set_regulated(key text, regulated boolean, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev text := release.note_push(note);
BEGIN
	IF regulated IS NULL THEN
		RAISE EXCEPTION 'regulated must be true or false'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_set_regulated.key], true);
	UPDATE release.flags f
	   SET regulated = flag_set_regulated.regulated
	 WHERE f.key = flag_set_regulated.key
	   AND f.regulated IS DISTINCT FROM flag_set_regulated.regulated;
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION flag_set_regulated(text, boolean, text) IS 'mark a flag regulated (four eyes to reach users) or clear the mark (release_approver only)';

CREATE FUNCTION flag_approve(key text, note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev text;
	f release.flags;
BEGIN
	IF note IS NULL OR pg_catalog.btrim(note) = '' THEN
		RAISE EXCEPTION 'an approval needs a note'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say what was checked, e.g. the ticket of the compliance review.';
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_approve.key], true);
	SELECT * INTO f FROM release.flags WHERE release.flags.key = flag_approve.key;
	IF NOT f.regulated THEN
		RAISE EXCEPTION 'feature flag "%" is not regulated', f.key
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Only regulated flags need an approval.',
				  HINT = 'Mark it first with flag_set_regulated(key, true).';
	END IF;
	prev := release.note_push(note);
	INSERT INTO release.approvals (flag_key, targeting_hash, strategies, approved_by, approved_role, note)
	VALUES (f.key, release.targeting_hash(f.strategies), f.strategies,
			pg_catalog.session_user(), release.acting_role(), flag_approve.note);
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
END
$$;
COMMENT ON FUNCTION flag_approve(text, text) IS 'four eyes: approve a regulated flag''s current targeting so another person may switch it on';

CREATE FUNCTION flag_revoke_approval(key text, note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev text;
	f release.flags;
BEGIN
	IF note IS NULL OR pg_catalog.btrim(note) = '' THEN
		RAISE EXCEPTION 'revoking an approval needs a note'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_revoke_approval.key], false);
	SELECT * INTO f FROM release.flags WHERE release.flags.key = flag_revoke_approval.key;
	prev := release.note_push(note);
	UPDATE release.approvals a
	   SET revoked_at = now(), revoked_by = pg_catalog.session_user(),
		   revoke_note = flag_revoke_approval.note
	 WHERE a.flag_key = f.key AND a.revoked_at IS NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'feature flag "%" has no approval to revoke', f.key
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	PERFORM pg_catalog.set_config('pg_release.note', prev, true);
	IF release.reach(f.enabled, f.archived_at, f.strategies) IS DISTINCT FROM 0 THEN
		RAISE NOTICE 'feature flag "%" stays on: revoking its approval does not switch it off', f.key
			USING HINT = 'Use flag_disable() to switch it off.';
	END IF;
END
$$;
COMMENT ON FUNCTION flag_revoke_approval(text, text) IS 'revoke a flag''s approvals: it cannot be switched on or raised again without a new one';

-- ---------------------------------------------------------------------------
-- Lifecycle, the release board, flag debt
-- ---------------------------------------------------------------------------

/*
 * Each flag's lifecycle from its row and its audit trail: new (never reached
 * users), canary (reaches some), on (everyone), rolled back (reached users
 * once, reaches nobody now), archived.
 */
CREATE VIEW flag_lifecycle AS
SELECT f.key,
	   CASE
		   WHEN f.archived_at IS NOT NULL THEN 'archived'
		   WHEN r.reach = 100 THEN 'on'
		   WHEN r.reach IS DISTINCT FROM 0 THEN 'canary'
		   WHEN h.first_live_at IS NOT NULL THEN 'rolled back'
		   ELSE 'new'
	   END AS state,
	   r.reach AS rollout,
	   f.regulated,
	   release.approval_status(f.key) AS approval,
	   f.created_at,
	   h.first_live_at,
	   CASE WHEN r.reach = 100 AND f.archived_at IS NULL
			THEN COALESCE(h.last_fully_on_at, f.updated_at) END AS fully_on_since,
	   CASE WHEN r.reach = 0 AND f.archived_at IS NULL AND h.first_live_at IS NOT NULL
			THEN h.last_off_at END AS rolled_back_at,
	   f.archived_at
  FROM release.flags f
 CROSS JOIN LATERAL (SELECT release.reach(f.enabled, f.archived_at, f.strategies) AS reach) r
 CROSS JOIN LATERAL (
	SELECT pg_catalog.min(a.logged_at) FILTER (WHERE release.state_reach(a.new_state) IS DISTINCT FROM 0) AS first_live_at,
		   pg_catalog.max(a.logged_at) FILTER (WHERE release.state_reach(a.new_state) = 100
												AND release.state_reach(a.old_state) IS DISTINCT FROM 100) AS last_fully_on_at,
		   pg_catalog.max(a.logged_at) FILTER (WHERE release.state_reach(a.new_state) = 0
												AND release.state_reach(a.old_state) IS DISTINCT FROM 0) AS last_off_at
	  FROM release.audit_log a
	 WHERE a.flag_key = f.key AND a.target = 'flags' AND a.logged_at >= f.created_at) h
 ORDER BY f.key;
COMMENT ON VIEW flag_lifecycle IS 'each flag''s state: new, canary, on, rolled back or archived, with when it got there';

/*
 * The release manager's board: flags waiting in the release column (created,
 * not fully on, not archived).  flag_enable(VARIADIC keys) is its "enable
 * selected" button.
 */
CREATE VIEW release_board AS
SELECT f.key, f.description, f.release, f.branch,
	   l.state, l.rollout, f.regulated, l.approval,
	   (release.valid_approval(f.key, f.strategies, NULL)).approved_by AS approved_by,
	   pg_catalog.date_trunc('second', now() - f.created_at) AS age,
	   f.tracker_url
  FROM release.flags f
  JOIN flag_lifecycle l ON l.key = f.key
 WHERE f.archived_at IS NULL
   AND l.rollout IS DISTINCT FROM 100
 ORDER BY f.release NULLS LAST, f.created_at, f.key;
COMMENT ON VIEW release_board IS 'the release column: flags created but not fully on nor archived, with rollout, regulation and approval status, age';

/*
 * Keys with at least one evaluation counted on this server, or NULL when no
 * counts are available: the flag_stats view (guard part) is missing, or
 * its shared-memory counters are, because pg_release is not preloaded.
 */
CREATE FUNCTION release.evaluated_keys()
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys text[];
BEGIN
	IF pg_catalog.to_regclass('@extschema@.flag_stats') IS NULL THEN
		RETURN NULL;
	END IF;
	/* A constant query: no user text reaches EXECUTE. */
	EXECUTE 'SELECT pg_catalog.array_agg(s.key::text) FROM @extschema@.flag_stats s WHERE s.evaluations > 0'
	   INTO keys;
	RETURN COALESCE(keys, '{}');
EXCEPTION WHEN object_not_in_prerequisite_state OR undefined_column THEN
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.evaluated_keys() IS 'keys with evaluations counted on this server; NULL when counts are not available';

/* Since when this server's counters count (restart or reset); NULL if unknown. */
CREATE FUNCTION release.counters_since()
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	since timestamptz;
BEGIN
	IF pg_catalog.to_regclass('@extschema@.flag_stats') IS NULL THEN
		RETURN NULL;
	END IF;
	/* A constant query: no user text reaches EXECUTE. */
	EXECUTE 'SELECT pg_catalog.max(s.counters_since) FROM @extschema@.flag_stats s' INTO since;
	RETURN since;
EXCEPTION WHEN object_not_in_prerequisite_state OR undefined_column THEN
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION release.counters_since() IS 'when this server''s evaluation counters started (restart or reset); NULL when not available';

CREATE FUNCTION flag_stale(older_than interval DEFAULT '30 days')
RETURNS TABLE (key text, reason text, since timestamptz, detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	evaluated text[] := release.evaluated_keys();
	counting_since timestamptz := release.counters_since();
BEGIN
	IF older_than IS NULL OR older_than < interval '0' THEN
		RAISE EXCEPTION 'older_than must be a non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	RETURN QUERY
	SELECT l.key, 'fully on'::text, l.fully_on_since,
		   format('on for everyone since %s: remove its code path, then flag_archive(%L)',
				  pg_catalog.date_trunc('second', l.fully_on_since), l.key)
	  FROM @extschema@.flag_lifecycle l
	 WHERE l.state = 'on' AND l.fully_on_since < now() - older_than
	 ORDER BY l.key;

	IF evaluated IS NULL THEN
		RAISE NOTICE 'flags nobody evaluates are not listed: evaluation counts are not available'
			USING HINT = 'They need shared_preload_libraries = ''pg_release'' (see flag_stats).';
		RETURN;
	END IF;
	/*
	 * Right after a restart or a reset nothing has been counted yet: "not
	 * evaluated" means something only once the counters have run for
	 * older_than (archiving a flag in use would be an outage).
	 */
	IF counting_since IS NOT NULL AND counting_since > now() - older_than THEN
		RAISE NOTICE 'flags nobody evaluates are not listed: the counters have not run for % yet', older_than
			USING HINT = 'The counters start again at a server restart or flag_stats_reset(); see flag_stats.counters_since.';
		RETURN;
	END IF;
	RETURN QUERY
	SELECT f.key, 'not evaluated'::text, f.created_at,
		   format('no evaluation counted since the statistics started, created %s ago',
				  pg_catalog.date_trunc('second', now() - f.created_at))
	  FROM release.flags f
	 WHERE f.archived_at IS NULL
	   AND f.created_at < now() - older_than
	   AND NOT (f.key = ANY (evaluated))
	 ORDER BY f.key;
END
$$;
COMMENT ON FUNCTION flag_stale(interval) IS 'flag debt: flags fully on for longer than older_than, and flags nobody evaluates';

-- ---------------------------------------------------------------------------
-- Privileges: granted, never assumed
-- ---------------------------------------------------------------------------

GRANT SELECT ON release.audit_log, release.approvals TO release_reader;
GRANT SELECT ON flag_lifecycle, release_board TO release_reader;

REVOKE ALL ON FUNCTION flag_audit_verify() FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_history(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_stale(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION flag_audit_verify() TO release_reader;
GRANT EXECUTE ON FUNCTION flag_history(text) TO release_reader;
GRANT EXECUTE ON FUNCTION flag_stale(interval) TO release_reader;

REVOKE ALL ON FUNCTION flag_enable(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_disable(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_set_regulated(text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_approve(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_revoke_approval(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION flag_enable(text[], text) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_disable(text[], text) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_set_regulated(text, boolean, text) TO release_operator, release_approver;
GRANT EXECUTE ON FUNCTION flag_approve(text, text) TO release_approver;
GRANT EXECUTE ON FUNCTION flag_revoke_approval(text, text) TO release_approver;

REVOKE ALL ON FUNCTION release.flags_govern() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.audit_append(text, text, text, jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.audit_row() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.audit_truncate() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.audit_log_refuse() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.segments_govern() FROM PUBLIC;
