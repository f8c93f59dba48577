/*
 * install/tracker.sql — tracker webhooks: a task moved into the release
 * column of Jira or Trello creates its feature flag.
 *
 * flag_tracker_event(payload) reads one webhook delivery as the tracker
 * sent it (the signature is checked by `gatekeeper serve`, not here):
 * - Jira Cloud "jira:issue_updated" with a changelog item on field "status"
 *   whose toString is pg_release.jira_release_status (default Release);
 * - Trello "updateCard" whose action.data.listAfter.name is
 *   pg_release.trello_release_list (default Release).
 * The flag is created disabled, with the tracker named in the audit log
 * (application_name "pg_release <tracker> webhook" and a note saying who
 * moved the task).  Each delivery's event id is kept in
 * release.tracker_events: a retried, duplicated or replayed delivery
 * creates nothing new, and an existing flag is never changed.
 */

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'release_tracker') THEN
		CREATE ROLE release_tracker NOLOGIN;
	END IF;
END
$roles$;

CREATE TABLE release.tracker_events (
	tracker		text NOT NULL CHECK (tracker IN ('jira', 'trello')),
	event_id	text NOT NULL,
	flag_key	text NOT NULL,
	created		boolean NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	received_by	name NOT NULL DEFAULT session_user,
	PRIMARY KEY (tracker, event_id)
);
COMMENT ON TABLE release.tracker_events IS 'tracker webhook deliveries that moved a task into the release column, one row per event (replays are recognised by it)';
COMMENT ON COLUMN release.tracker_events.event_id IS 'Jira: issue id and changelog id; Trello: the action id';
COMMENT ON COLUMN release.tracker_events.created IS 'true when this event created the flag, false when the flag already existed';
SELECT pg_catalog.pg_extension_config_dump('release.tracker_events', '');

/*
 * A setting of the tracker part, trimmed; fallback when unset or empty
 * (the library may not be loaded yet, so the setting may not exist).
 */
CREATE FUNCTION release.tracker_setting(name text, fallback text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE(NULLIF(pg_catalog.btrim(pg_catalog.current_setting(name, true)), ''), fallback)
$$;
COMMENT ON FUNCTION release.tracker_setting(text, text) IS 'a pg_release tracker setting, or fallback when unset or empty';

/*
 * Raise invalid_parameter_value for a malformed tracker payload.
 */
CREATE FUNCTION release.tracker_malformed(tracker text, what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'malformed % webhook payload: %', tracker, what
		USING ERRCODE = 'invalid_parameter_value',
			  DETAIL = 'No feature flag was created.';
END
$$;
COMMENT ON FUNCTION release.tracker_malformed(text, text) IS 'raises invalid_parameter_value for a malformed tracker payload';

/*
 * A text field of a JSON object: NULL when absent or JSON null, an error
 * when it is present with another type than string.
 */
CREATE FUNCTION release.tracker_text(tracker text, obj jsonb, path text[], required boolean)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v jsonb := obj #> path;
BEGIN
	IF v IS NULL OR v = 'null'::jsonb THEN
		IF required THEN
			PERFORM release.tracker_malformed(tracker, pg_catalog.array_to_string(path, '.') || ' is missing');
		END IF;
		RETURN NULL;
	END IF;
	IF pg_catalog.jsonb_typeof(v) <> 'string' THEN
		PERFORM release.tracker_malformed(tracker, pg_catalog.array_to_string(path, '.') || ' is not a string');
	END IF;
	RETURN v #>> '{}';
END
$$;
COMMENT ON FUNCTION release.tracker_text(text, jsonb, text[], boolean) IS 'a string field of a tracker payload; errors when it has the wrong type (or is missing and required)';

CREATE FUNCTION flag_tracker_event(payload jsonb)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	source text;
	event_type text;
	delivery text;
	flag_key text;
	description text;
	release_label text;
	url text;
	actor text;
	moved_to text;
	items jsonb;
	item jsonb;
	card_name text;
	id_short jsonb;
	parts text[];
	created boolean := false;
	prev_app text;
	prev_note text;
	seen text;
BEGIN
	IF payload IS NULL OR pg_catalog.jsonb_typeof(payload) <> 'object' THEN
		RAISE EXCEPTION 'tracker webhook payload must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Got %s.', COALESCE(pg_catalog.jsonb_typeof(payload), 'NULL'));
	END IF;

	IF payload ? 'webhookEvent' THEN
		-- Jira Cloud
		source := 'jira';
		event_type := release.tracker_text(source, payload, '{webhookEvent}', true);
		IF event_type <> 'jira:issue_updated' OR payload->'changelog' IS NULL
		   OR payload->'changelog' = 'null'::jsonb THEN
			RETURN NULL;
		END IF;
		items := payload #> '{changelog,items}';
		IF pg_catalog.jsonb_typeof(items) IS DISTINCT FROM 'array' THEN
			PERFORM release.tracker_malformed(source, 'changelog.items is not an array');
		END IF;
		moved_to := NULL;
		FOR item IN SELECT e FROM pg_catalog.jsonb_array_elements(items) AS e LOOP
			IF pg_catalog.jsonb_typeof(item) <> 'object' THEN
				PERFORM release.tracker_malformed(source, 'changelog.items has an element that is not an object');
			END IF;
			IF item->>'field' = 'status'
			   AND pg_catalog.lower(pg_catalog.btrim(item->>'toString'))
				   = pg_catalog.lower(release.tracker_setting('pg_release.jira_release_status', 'Release')) THEN
				moved_to := item->>'toString';
			END IF;
		END LOOP;
		IF moved_to IS NULL THEN
			RETURN NULL;
		END IF;
		IF pg_catalog.jsonb_typeof(payload->'issue') IS DISTINCT FROM 'object' THEN
			PERFORM release.tracker_malformed(source, 'issue is missing');
		END IF;
		flag_key := release.tracker_text(source, payload, '{issue,key}', true);
		description := release.tracker_text(source, payload, '{issue,fields,summary}', false);
		release_label := CASE WHEN pg_catalog.jsonb_typeof(payload #> '{issue,fields,fixVersions}') = 'array'
							  THEN payload #>> '{issue,fields,fixVersions,0,name}' END;
		-- issue.self is the REST URL (https://site/rest/api/2/issue/10002): people want /browse/KEY
		url := pg_catalog.substring(release.tracker_text(source, payload, '{issue,self}', false),
									'^(https://[^/?#[:space:]]+)/');
		IF url IS NOT NULL THEN
			url := url || '/browse/' || flag_key;
		END IF;
		actor := COALESCE(payload #>> '{user,displayName}', payload #>> '{user,accountId}', 'unknown user');
		delivery := COALESCE(payload #>> '{issue,id}', flag_key) || ':'
					|| COALESCE(payload #>> '{changelog,id}', payload #>> '{timestamp}', '');
	ELSIF pg_catalog.jsonb_typeof(payload->'action') = 'object' THEN
		-- Trello
		source := 'trello';
		event_type := release.tracker_text(source, payload, '{action,type}', true);
		IF event_type <> 'updateCard' OR payload #> '{action,data,listAfter}' IS NULL THEN
			RETURN NULL;
		END IF;
		moved_to := release.tracker_text(source, payload, '{action,data,listAfter,name}', true);
		IF pg_catalog.lower(pg_catalog.btrim(moved_to))
		   <> pg_catalog.lower(release.tracker_setting('pg_release.trello_release_list', 'Release')) THEN
			RETURN NULL;
		END IF;
		delivery := release.tracker_text(source, payload, '{action,id}', true);
		card_name := pg_catalog.btrim(release.tracker_text(source, payload, '{action,data,card,name}', true));
		-- "TASK-123 Dark mode", "TASK-123: Dark mode", "[TASK-123] Dark mode"
		parts := pg_catalog.regexp_match(card_name,
			'^\[?([A-Za-z][A-Za-z0-9_]*-[0-9]+)\]?(?:[[:space:]]*[:-]?[[:space:]]+(.*)|[[:space:]]*)$');
		IF parts IS NOT NULL THEN
			flag_key := pg_catalog.upper(parts[1]);
			description := NULLIF(pg_catalog.btrim(parts[2]), '');
		ELSE
			id_short := payload #> '{action,data,card,idShort}';
			IF id_short IS NULL OR pg_catalog.jsonb_typeof(id_short) <> 'number' THEN
				PERFORM release.tracker_malformed(source,
					'the card name has no task key and action.data.card.idShort is not a number');
			END IF;
			flag_key := release.tracker_setting('pg_release.trello_key_prefix', 'TRELLO-') || (id_short #>> '{}');
			description := card_name;
		END IF;
		url := release.tracker_text(source, payload, '{action,data,card,shortLink}', false);
		IF url IS NOT NULL THEN
			IF url !~ '^[A-Za-z0-9]+$' THEN
				PERFORM release.tracker_malformed(source, 'action.data.card.shortLink is not a Trello short link');
			END IF;
			url := 'https://trello.com/c/' || url;
		END IF;
		actor := COALESCE(payload #>> '{action,memberCreator,fullName}',
						  payload #>> '{action,memberCreator,username}', 'unknown member');
	ELSE
		RAISE EXCEPTION 'unrecognised tracker webhook payload'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Expected a Jira Cloud event (with webhookEvent) or a Trello event (with an action object).';
	END IF;

	PERFORM release.check_key(flag_key);

	-- A delivery seen before (retry, duplicate, replay): nothing new.
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pg_release tracker ' || source || ' ' || delivery));
	SELECT te.flag_key INTO seen
	  FROM release.tracker_events te
	 WHERE te.tracker = source AND te.event_id = delivery;
	IF FOUND THEN
		RAISE NOTICE '% event % was already received: nothing changed', source, delivery;
		RETURN seen;
	END IF;

	prev_app := pg_catalog.current_setting('application_name');
	PERFORM pg_catalog.set_config('application_name', 'pg_release ' || source || ' webhook', true);
	prev_note := release.note_push(pg_catalog.left(format('%s webhook: %s moved to %s by %s',
		source, flag_key, moved_to, actor), 300));
	BEGIN
		PERFORM @extschema@.flag_create(flag_key, description, NULL, release_label, url);
		created := true;
	EXCEPTION WHEN duplicate_object THEN
		-- the flag exists (created by hand, or by an earlier move): leave it as it is
		created := false;
	END;
	INSERT INTO release.tracker_events (tracker, event_id, flag_key, created)
	VALUES (source, delivery, flag_key, created);
	PERFORM pg_catalog.set_config('pg_release.note', prev_note, true);
	PERFORM pg_catalog.set_config('application_name', prev_app, true);
	IF NOT created THEN
		RAISE NOTICE 'feature flag "%" already exists: nothing changed', flag_key;
	END IF;
	RETURN flag_key;
END
$$;
COMMENT ON FUNCTION flag_tracker_event(jsonb) IS 'a Jira or Trello webhook delivery: a task moved into the release column creates its flag, disabled; returns the key, NULL for other events';

-- ---------------------------------------------------------------------------
-- Privileges: the webhook service's login role is a member of
-- release_tracker, which may do exactly this and nothing else.
-- ---------------------------------------------------------------------------

GRANT SELECT ON release.tracker_events TO release_reader;
REVOKE ALL ON FUNCTION release.tracker_setting(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.tracker_malformed(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.tracker_text(text, jsonb, text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_tracker_event(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION flag_tracker_event(jsonb) TO release_operator, release_tracker;
