-- tracker: Jira and Trello webhook deliveries create flags (flag_tracker_event)
-- The payloads are the fixtures under tests/fixtures/tracker/, written from
-- the trackers' documented shapes (the TAP test posts the same files).
CREATE EXTENSION pg_release;

\set jira_release `cat ../tests/fixtures/tracker/jira_release.json`
\set jira_other_status `cat ../tests/fixtures/tracker/jira_other_status.json`
\set jira_comment `cat ../tests/fixtures/tracker/jira_comment.json`
\set trello_release `cat ../tests/fixtures/tracker/trello_release.json`
\set trello_release_nokey `cat ../tests/fixtures/tracker/trello_release_nokey.json`
\set trello_other_list `cat ../tests/fixtures/tracker/trello_other_list.json`
\set trello_comment `cat ../tests/fixtures/tracker/trello_comment.json`

CREATE FUNCTION pg_temp.try(payload jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN coalesce(flag_tracker_event(payload), 'NULL');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY key), '') ||
			   (SELECT count(*) FROM release.audit_log)::text ||
			   (SELECT count(*) FROM release.tracker_events)::text)
	  FROM (SELECT key, enabled, strategies, regulated, archived_at, updated_at FROM release.flags) f
$$;
CREATE FUNCTION pg_temp.flags_state() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY key), ''))
	  FROM release.flags f
$$;

-- the settings and their defaults
SELECT name, setting, context FROM pg_settings
 WHERE name IN ('pg_release.jira_release_status', 'pg_release.trello_release_list', 'pg_release.trello_key_prefix')
 ORDER BY name;

-- ===========================================================================
-- Jira Cloud
-- ===========================================================================

-- a status change to Release creates the flag, disabled
SELECT flag_tracker_event(:'jira_release') AS created;
SELECT key, status, rollout, description, release, tracker_url, branch FROM flag_list WHERE key = 'TASK-801';
SELECT enabled, regulated FROM release.flags WHERE key = 'TASK-801';
-- audited with the tracker as actor: application name and note
SELECT action, application_name, note, new_state->>'enabled' AS enabled
  FROM flag_history('TASK-801');
SELECT tracker, event_id, flag_key, created FROM release.tracker_events ORDER BY tracker, event_id;
-- the caller's application name and note are back after the call
SELECT current_setting('application_name') AS application_name,
	   current_setting('pg_release.note', true) AS note;

-- the same delivery again (retry, duplicate, replay): nothing new
SELECT pg_temp.fingerprint() AS before \gset
SELECT flag_tracker_event(:'jira_release') AS again;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- a later move into Release of a flag that is on: it stays on, untouched
SELECT flag_enable('TASK-801');
SELECT pg_temp.flags_state() AS before \gset
SELECT flag_tracker_event(jsonb_set(:'jira_release'::jsonb, '{changelog,id}', '"20999"')) AS moved_again;
SELECT pg_temp.flags_state() = :'before' AS flags_unchanged;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-801';
SELECT event_id, flag_key, created FROM release.tracker_events WHERE event_id LIKE '%20999';

-- events that are not a move into Release: NULL, nothing changes
SELECT pg_temp.fingerprint() AS before \gset
SELECT pg_temp.try(:'jira_other_status') AS other_status,
	   pg_temp.try(:'jira_comment') AS comment,
	   pg_temp.try(jsonb_set(:'jira_release'::jsonb, '{webhookEvent}', '"jira:issue_created"')) AS issue_created,
	   pg_temp.try(:'jira_release'::jsonb - 'changelog') AS no_changelog,
	   pg_temp.try(jsonb_set(:'jira_release'::jsonb, '{changelog,items,1,field}', '"assignee"')) AS not_status;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- the release status is a setting, compared case-insensitively
SET pg_release.jira_release_status = 'in review';
SELECT flag_tracker_event(:'jira_other_status') AS created_on_in_review;
RESET pg_release.jira_release_status;
SELECT key, description, tracker_url, release FROM flag_list WHERE key = 'TASK-802';

-- ===========================================================================
-- Trello
-- ===========================================================================

-- a card moved to the Release list: the key comes from the card name
SELECT flag_tracker_event(:'trello_release') AS created;
SELECT key, status, description, tracker_url FROM flag_list WHERE key = 'TASK-803';
SELECT action, application_name, note FROM flag_history('TASK-803');
-- no key in the name: prefix + idShort, the whole name as description
SELECT flag_tracker_event(:'trello_release_nokey') AS created;
SELECT key, status, description, tracker_url FROM flag_list WHERE key = 'TRELLO-57';
-- key forms in card names
SELECT pg_temp.try(jsonb_set(jsonb_set(:'trello_release'::jsonb, '{action,data,card,name}', to_jsonb(n)),
							 '{action,id}', to_jsonb('form-' || n))) AS key, n AS card_name
  FROM unnest(ARRAY['[TASK-810] Bracketed', 'task-811: lower case', 'TASK-812 - dashed', 'TASK-813']) AS n;
SELECT key, description FROM flag_list WHERE key BETWEEN 'TASK-810' AND 'TASK-813' ORDER BY key;
-- the prefix is a setting
SET pg_release.trello_key_prefix = 'CARD-';
SELECT flag_tracker_event(jsonb_set(:'trello_release_nokey'::jsonb, '{action,id}', '"other-action"')) AS prefixed;
RESET pg_release.trello_key_prefix;

-- duplicate delivery: nothing new
SELECT pg_temp.fingerprint() AS before \gset
SELECT flag_tracker_event(:'trello_release') AS again;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- not a move into the release list: NULL
SELECT pg_temp.try(:'trello_other_list') AS other_list,
	   pg_temp.try(:'trello_comment') AS comment,
	   pg_temp.try(:'trello_release'::jsonb #- '{action,data,listAfter}') AS renamed_not_moved;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- ===========================================================================
-- Malformed payloads: a clear error (22023) and nothing changes
-- ===========================================================================

SELECT pg_temp.fingerprint() AS before \gset
SELECT n, pg_temp.try(p) AS result
  FROM (VALUES
	(1, NULL::jsonb),
	(2, '[1, 2]'::jsonb),
	(3, '"Release"'::jsonb),
	(4, '{"hello": "world"}'::jsonb),
	(5, jsonb_set(:'jira_release'::jsonb, '{changelog,items}', '{"field": "status"}')),
	(6, jsonb_set(:'jira_release'::jsonb, '{changelog,items,0}', '"status"')),
	(7, :'jira_release'::jsonb - 'issue'),
	(8, :'jira_release'::jsonb #- '{issue,key}'),
	(9, jsonb_set(:'jira_release'::jsonb, '{issue,key}', '801')),
	(10, jsonb_set(:'jira_release'::jsonb, '{issue,key}', '"TASK-1''; DROP TABLE release.flags; --"')),
	(11, jsonb_set(:'jira_release'::jsonb, '{webhookEvent}', '42')),
	(12, :'trello_release'::jsonb #- '{action,data,card}'),
	(13, jsonb_set(:'trello_release'::jsonb, '{action,data,listAfter,name}', '["Release"]')),
	(14, jsonb_set(:'trello_release_nokey'::jsonb, '{action,data,card,idShort}', '"57"')),
	(15, :'trello_release'::jsonb #- '{action,id}'),
	(16, jsonb_set(:'trello_release'::jsonb, '{action,data,card,shortLink}', '"x/../../evil"'))
  ) AS t(n, p)
 ORDER BY n;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- ===========================================================================
-- Privileges: release_tracker may deliver events and do nothing else
-- ===========================================================================

CREATE ROLE regress_webhook LOGIN IN ROLE release_tracker;
CREATE ROLE regress_plain;
SET ROLE regress_webhook;
SELECT flag_tracker_event(jsonb_set(jsonb_set(:'jira_release'::jsonb, '{issue,key}', '"TASK-820"'),
									'{changelog,id}', '"20820"')) AS created_by_tracker_role;
SELECT pg_temp.try('{}') AS malformed_still_reported;
RESET ROLE;
SELECT session_user_name = current_user AS person_is_session, current_role_name, application_name
  FROM flag_history('TASK-820');
SELECT r AS role,
	   has_function_privilege(r, 'flag_tracker_event(jsonb)', 'EXECUTE') AS tracker_event,
	   has_function_privilege(r, 'flag_enable(text[])', 'EXECUTE') AS enable,
	   has_function_privilege(r, 'flag_create(text, text, text, text, text, boolean, text)', 'EXECUTE') AS create_flag,
	   has_table_privilege(r, 'release.flags', 'SELECT') AS read_flags
  FROM unnest(ARRAY['release_tracker', 'release_operator', 'release_reader', 'release_approver', 'regress_plain']) AS r
 ORDER BY r;
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'release_tracker';

DROP EXTENSION pg_release CASCADE;
DROP ROLE regress_webhook;
DROP ROLE regress_plain;
