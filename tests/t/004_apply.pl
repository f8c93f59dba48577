# 004_apply.pl — `gatekeeper apply` against a real server: safe files go out,
# the first risky one is parked for a DBA (exit 5), approvals (SQL and CLI)
# bind to the checksum, a tampered approved file is refused, drift stops
# everything before anything runs, a failing file is rolled back and recorded
# with the server error (exit 6), one apply at a time, kill -9 of the CLI and
# of the backend mid-apply leave no half-applied file and a rerun finishes,
# a failed or interrupted CREATE INDEX CONCURRENTLY leaves no invalid index,
# and small tables get their verdicts from the catalog.
use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(sha256_hex);

my $gatekeeper = $ENV{GATEKEEPER};
die "GATEKEEPER must point at the gatekeeper binary" unless $gatekeeper && -x $gatekeeper;

my $node = PostgreSQL::Test::Cluster->new('apply');
$node->init;
# the backend of a killed client notices within 200 ms, even mid-statement
$node->append_conf('postgresql.conf', q{
restart_after_crash = on
client_connection_check_interval = '200ms'
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# the test framework sets PGAPPNAME, which would win over the gatekeeper's
# own application_name; the checks below find its sessions by that name
delete $ENV{PGAPPNAME};

my $dir = PostgreSQL::Test::Utils::tempdir() . '/migrations';
mkdir $dir or die "mkdir $dir: $!";

sub put
{
	my ($name, $text) = @_;
	open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
	print $fh $text;
	close $fh;
}

my $dsn = $node->connstr('postgres') . ' user=deployer';
my $dba = $node->connstr('postgres') . ' user=dba';

# run the CLI: (exit code, stdout, stderr)
sub gk
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $gatekeeper, @_ ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub status_of
{
	my ($name) = @_;
	return sql("SELECT coalesce((SELECT status FROM release.migrations WHERE name = '$name'), 'none')");
}

# --- pg_release missing --------------------------------------------------
sql(q{CREATE ROLE deployer LOGIN; CREATE ROLE dba LOGIN;});
put('V001__accounts.sql', "CREATE TABLE accounts (id bigint PRIMARY KEY, a int, b int, note text);\n"
	. "INSERT INTO accounts SELECT g, g, g FROM generate_series(1, 1000) g;\n");
my ($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 4, 'apply without pg_release exits 4');
like($err, qr/pg_release is not installed in this database/, 'and says pg_release is missing');

sql(q{CREATE EXTENSION pg_release;
      GRANT migration_deployer TO deployer; GRANT migration_approver TO dba;
      GRANT CREATE ON SCHEMA public TO deployer;});

# --- safe files applied, the first risky one parked ------------------------
put('V002__index.sql', "SET lock_timeout = '2s';\n"
	. "CREATE INDEX CONCURRENTLY accounts_a ON accounts (a);\n"
	. "CREATE INDEX CONCURRENTLY accounts_b ON accounts (b);\n");
put('V003__drop_note.sql', "ALTER TABLE accounts DROP COLUMN note;\n");
put('V004__later.sql', "CREATE TABLE later (id int);\n");

($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'a risky file stops apply with exit 5');
like($err, qr/V003__drop_note\.sql is risky and waits for approval/, 'the message names the risky file');
like($out, qr/risky \[drop-column\]/, 'the risky finding is shown');
is(status_of('V001__accounts.sql'), 'applied', 'safe transactional file applied');
is(status_of('V002__index.sql'), 'applied', 'safe autocommit (CONCURRENTLY) file applied');
is(sql(q{SELECT count(*) FROM pg_index WHERE indexrelid IN ('accounts_a'::regclass, 'accounts_b'::regclass) AND indisvalid}),
	'2', 'both concurrent indexes are valid');
is(status_of('V003__drop_note.sql'), 'awaiting_approval', 'risky file recorded as awaiting approval');
is(status_of('V004__later.sql'), 'none', 'later files wait');
is(sql(q{SELECT to_regclass('later') IS NULL}), 't', 'later file not run');
is(sql(q{SELECT report #>> '{files,0,verdict}' FROM release.migrations WHERE name = 'V003__drop_note.sql'}),
	'risky', 'the ledger keeps the check report');
is(sql(q{SELECT applied_by FROM release.migrations WHERE name = 'V001__accounts.sql'}), 'deployer',
	'applied_by is the deploying login');

($rc, $out, $err) = gk('status', '--dsn', $dsn);
is($rc, 0, 'status exits 0');
like($out, qr/V003__drop_note\.sql\s+awaiting_approval\s+risky/, 'status lists the waiting file');
like($out, qr/applied 2, awaiting_approval 1/, 'status counts');
($rc, $out, $err) = gk('status', '--dsn', $dsn, '--format', 'json');
like($out, qr/"awaiting_approval": 1/, 'status --format json has the summary');

($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'apply again: still waiting');
is(sql(q{SELECT count(*) FROM release.audit_log WHERE target = 'migrations' AND action = 'migration_request'}),
	'1', 'a repeated request is not recorded twice');

# --- approvals bind to the checksum ----------------------------------------
my $sum3 = sql(q{SELECT checksum FROM release.migrations WHERE name = 'V003__drop_note.sql'});
($rc, $out, $err) = gk('approve', '--dsn', $dba, '--checksum', 'a' x 64, 'V003__drop_note.sql');
is($rc, 4, 'approving another checksum is refused');
like($err, qr/has checksum \Q$sum3\E, not a{64}/, 'with the ledger checksum in the message');
($rc, $out, $err) = gk('approve', '--dsn', $dba, 'V003__drop_note.sql');
is($rc, 3, 'approve without --checksum is a usage error (approve what was reviewed)');
($rc, $out, $err) = gk('approve', '--dsn', $dsn, '--checksum', $sum3, 'V003__drop_note.sql');
is($rc, 4, 'the deploy role cannot approve');
like($err, qr/permission denied for function migration_approve/, 'permission denied');

$node->safe_psql('postgres', "SELECT migration_approve('V003__drop_note.sql', '$sum3', 'reviewed: column unused since v2.3')",
	extra_params => [ '-U', 'dba' ]);
is(status_of('V003__drop_note.sql'), 'approved', 'approved in SQL by a migration_approver');

($rc, $out, $err) = gk('apply', '--dsn', $dsn, '--dry-run', $dir);
is($rc, 0, 'dry run after approval exits 0');
like($out, qr/V004__later\.sql: would apply/, 'dry run says what it would do');
is(status_of('V004__later.sql'), 'none', 'dry run changes nothing');

($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'next apply runs the approved file and the rest') or diag($err);
is(status_of('V003__drop_note.sql'), 'applied', 'approved file applied');
is(status_of('V004__later.sql'), 'applied', 'later file applied');
is(sql(q{SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'}),
	'0', 'the column is gone');

# --- a tampered approved file is refused until approved again --------------
put('V005__drop_b.sql', "ALTER TABLE accounts DROP COLUMN b;\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'next risky file parked');
my $sum5 = sha256_hex("ALTER TABLE accounts DROP COLUMN b;\n");
($rc, $out, $err) = gk('approve', '--dsn', $dba, '--checksum', $sum5, '--note', 'b is unused', 'V005__drop_b.sql');
is($rc, 0, 'gatekeeper approve exits 0');
like($out, qr/approved V005__drop_b\.sql \(checksum [0-9a-f]{64}\)/, 'and prints the approved checksum');
put('V005__drop_b.sql', "ALTER TABLE accounts DROP COLUMN b;\nDROP TABLE later;\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'a file changed after its approval is refused (exit 5)');
like($err, qr/changed after its approval, which was for checksum [0-9a-f]{64}/, 'saying it changed after approval');
is(status_of('V005__drop_b.sql'), 'awaiting_approval', 'back to awaiting approval');
is(sql(q{SELECT approved_checksum IS NULL FROM release.migrations WHERE name = 'V005__drop_b.sql'}), 't',
	'the approval is void');
is(sql(q{SELECT to_regclass('later') IS NOT NULL}), 't', 'the unapproved DROP TABLE did not run');
($rc, $out, $err) = gk('reject', '--dsn', $dba, '--note', 'do not drop later', 'V005__drop_b.sql');
is($rc, 0, 'gatekeeper reject exits 0');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'a rejected file stops apply');
like($err, qr/was rejected by dba: do not drop later/, 'with who rejected it and why');
put('V005__drop_b.sql', "ALTER TABLE accounts DROP COLUMN b;\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 5, 'the changed file is a new request');
($rc, $out, $err) = gk('approve', '--dsn', $dba, '--checksum', $sum5, 'V005__drop_b.sql');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'approved again: applied');
is(sql(q{SELECT string_agg(action, ',' ORDER BY id) FROM release.audit_log
         WHERE target = 'migrations' AND new_state->>'name' = 'V005__drop_b.sql'}),
	'migration_request,migration_approve,migration_request,migration_reject,migration_request,migration_approve,migration_apply',
	'every ledger change of the file is audited');
is(sql(q{SELECT note FROM release.audit_log WHERE action = 'migration_reject'}), 'do not drop later',
	'the audit row carries the note');
is(sql(q{SELECT intact FROM flag_audit_verify()}), 't', 'the audit chain is intact');

# --- drift: an applied file changed; nothing runs ---------------------------
put('V001__accounts.sql', "CREATE TABLE accounts (id bigint PRIMARY KEY, a int, b int, note text);\n");
put('V006__t6.sql', "CREATE TABLE t6 (id int);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 7, 'drift exits 7');
like($out, qr/V001__accounts\.sql: applied with checksum [0-9a-f]{64}, but the file now has checksum/,
	'drift names the file and both checksums');
like($err, qr/nothing was run/, 'and says nothing ran');
is(sql(q{SELECT to_regclass('t6') IS NULL}), 't', 'the pending file did not run');
is(status_of('V006__t6.sql'), 'none', 'and is not in the ledger');
put('V001__accounts.sql', "CREATE TABLE accounts (id bigint PRIMARY KEY, a int, b int, note text);\n"
	. "INSERT INTO accounts SELECT g, g, g FROM generate_series(1, 1000) g;\n");

# --- a file failing halfway: rolled back, recorded failed, pipeline stops ---
put('V006__t6.sql', "CREATE TABLE t6 (id int);\nINSERT INTO t6 VALUES (1);\nSELECT 1 / 0;\n");
put('V007__t7.sql', "CREATE TABLE t7 (id int);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 6, 'a failing file exits 6');
like($err, qr/V006__t6\.sql:3:\d+: SQLSTATE 22012: division by zero/, 'the server error with file:line:col');
is(sql(q{SELECT to_regclass('t6') IS NULL}), 't', 'its earlier statements were rolled back');
is(status_of('V006__t6.sql'), 'failed', 'recorded failed');
like(sql(q{SELECT error FROM release.migrations WHERE name = 'V006__t6.sql'}), qr/division by zero/,
	'with the server error');
is(status_of('V007__t7.sql'), 'none', 'the pipeline stopped');
put('V006__t6.sql', "CREATE TABLE t6 (id int);\nINSERT INTO t6 VALUES (1);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'the fixed file applies');
is(sql(q{SELECT attempts FROM release.migrations WHERE name = 'V006__t6.sql'}), '2', 'two attempts counted');

# --- two concurrent applies -------------------------------------------------
put('V008__slow.sql', "CREATE TABLE t8 (id int);\nSELECT pg_sleep(3);\n");
my ($out1, $err1) = ('', '');
my $h = IPC::Run::start([ $gatekeeper, 'apply', '--dsn', $dsn, $dir ], '>', \$out1, '2>', \$err1);
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply' AND query LIKE '%pg_sleep%'}),
	'first apply is running the slow file');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, '--wait', '0', $dir);
is($rc, 4, 'a second apply without --wait exits 4');
like($err, qr/another gatekeeper apply is running on this database \(pid \d+, application gatekeeper apply/,
	'naming the session that holds the lock');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, '--wait', '30', $dir);
is($rc, 0, 'a second apply with --wait waits and then finds nothing to do');
like($out, qr/0 applied, 8 already applied/, 'everything was applied by the first');
$h->finish;
is($h->result(0), 0, 'the first apply succeeded');
is(sql(q{SELECT count(*) FROM release.audit_log WHERE action = 'migration_apply' AND new_state->>'name' = 'V008__slow.sql'}),
	'1', 'the slow file was applied once');

# --- kill -9 of the gatekeeper mid-apply -------------------------------------
put('V009__killed_cli.sql', "CREATE TABLE t9 (id int);\nSELECT 't9', pg_sleep(4);\n");
($out1, $err1) = ('', '');
$h = IPC::Run::start([ $gatekeeper, 'apply', '--dsn', $dsn, $dir ], '>', \$out1, '2>', \$err1);
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply' AND query LIKE '%t9%'}),
	'apply is inside V009');
$h->signal('KILL');
$h->finish;
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply'}),
	'its backend ended with it');
is(sql(q{SELECT to_regclass('t9') IS NULL}), 't', 'no half-applied file: t9 does not exist');
isnt(status_of('V009__killed_cli.sql'), 'applied', 'ledger does not say applied');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a rerun finishes the job') or diag($err);
is(sql(q{SELECT to_regclass('t9') IS NOT NULL}), 't', 't9 exists now');
is(status_of('V009__killed_cli.sql'), 'applied', 'recorded applied');

# --- kill -9 of the backend mid-apply (the server restarts) -----------------
put('V010__killed_backend.sql', "CREATE TABLE t10 (id int);\nSELECT 't10', pg_sleep(4);\n");
($out1, $err1) = ('', '');
$h = IPC::Run::start([ $gatekeeper, 'apply', '--dsn', $dsn, $dir ], '>', \$out1, '2>', \$err1);
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply' AND query LIKE '%t10%'}),
	'apply is inside V010');
my $pid = sql(q{SELECT pid FROM pg_stat_activity WHERE application_name = 'gatekeeper apply' AND query LIKE '%t10%'});
kill 'KILL', $pid;
$h->finish;
is($h->result(0), 4, 'the gatekeeper exits 4 when its backend dies');
like($err1, qr/connection lost while applying it/, 'saying the connection was lost');
ok($node->poll_query_until('postgres', 'SELECT 1', '1'), 'server is back after the crash');
is(sql(q{SELECT to_regclass('t10') IS NULL}), 't', 'no half-applied file: t10 does not exist');
isnt(status_of('V010__killed_backend.sql'), 'applied', 'ledger does not say applied');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a rerun finishes the job') or diag($err);
is(status_of('V010__killed_backend.sql'), 'applied', 'recorded applied');

# --- kill -9 of the gatekeeper inside an autocommit (CONCURRENTLY) file -----
# an open transaction makes the second CREATE INDEX CONCURRENTLY wait
put('V011__two_indexes.sql', "SET lock_timeout = '2s';\n"
	. "CREATE INDEX CONCURRENTLY accounts_id_a ON accounts (id, a);\n"
	. "CREATE INDEX CONCURRENTLY accounts_a_id ON accounts (a, id);\n");
my $blocker = $node->background_psql('postgres');
$blocker->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t6;');
($out1, $err1) = ('', '');
$h = IPC::Run::start([ $gatekeeper, 'apply', '--dsn', $dsn, '--statement-timeout', '0', $dir ],
	'>', \$out1, '2>', \$err1);
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply'
		    AND query LIKE '%CONCURRENTLY accounts_id_a%' AND wait_event_type = 'Lock'}),
	'apply waits inside the first CREATE INDEX CONCURRENTLY');
$h->signal('KILL');
$h->finish;
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'gatekeeper apply'}),
	'its backend gave up');
$blocker->query_safe('COMMIT');
$blocker->quit;
is(sql(q{SELECT count(*) FROM pg_index WHERE NOT indisvalid}), '1',
	'the interrupted CREATE INDEX CONCURRENTLY left an invalid index');
is(status_of('V011__two_indexes.sql'), 'applying', 'ledger says the file is being applied');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a rerun finishes the file') or diag($err);
like($out, qr/dropping the invalid index public\.accounts_id_a the interrupted run left/,
	'the rerun drops the invalid index first');
is(sql(q{SELECT count(*) FROM pg_index WHERE NOT indisvalid}), '0', 'no invalid index is left');
is(sql(q{SELECT count(*) FROM pg_index WHERE indexrelid IN ('accounts_id_a'::regclass, 'accounts_a_id'::regclass) AND indisvalid}),
	'2', 'both indexes are built and valid');
is(status_of('V011__two_indexes.sql'), 'applied', 'recorded applied');

# --- a failing CREATE INDEX CONCURRENTLY: the invalid index is dropped ------
put('V012__dups.sql', "CREATE TABLE dups (v int);\nINSERT INTO dups VALUES (1), (1), (2);\n");
put('V013__unique.sql', "CREATE UNIQUE INDEX CONCURRENTLY dups_v ON dups (v);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 6, 'a failing CREATE INDEX CONCURRENTLY exits 6');
like($err, qr/V013__unique\.sql:1:\d+: SQLSTATE 23505: could not create unique index "dups_v"/,
	'with the server error');
like($out, qr/dropped it: DROP INDEX CONCURRENTLY IF EXISTS public\.dups_v/, 'the invalid index is dropped');
is(sql(q{SELECT count(*) FROM pg_index WHERE NOT indisvalid}), '0', 'no invalid index is left');
is(status_of('V013__unique.sql'), 'failed', 'recorded failed');
like(sql(q{SELECT error FROM release.migrations WHERE name = 'V013__unique.sql'}),
	qr/the invalid index public\.dups_v it left was dropped/, 'the ledger error says what was cleaned up');
sql(q{DELETE FROM dups WHERE ctid = (SELECT min(ctid) FROM dups WHERE v = 1)});
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'after the data is fixed the rerun builds it');
is(status_of('V013__unique.sql'), 'applied', 'recorded applied');

# --- verdicts from the catalog ------------------------------------------------
put('V014__small_index.sql', "CREATE INDEX accounts_a_small ON accounts (a DESC, id);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, '--dry-run', '--small-table', '0', $dir);
is($rc, 5, 'without the size rule a plain CREATE INDEX would wait for a DBA');
($rc, $out, $err) = gk('apply', '--dsn', $dsn, '--format', 'json', $dir);
is($rc, 0, 'on a table below --small-table (10MB) it is applied');
like($err, qr/allowed \[create-index-not-concurrently\]: catalog: accounts is \d+ kB, below the small-table limit of 10 MB, and apply sets lock_timeout = 5000ms/,
	'the output says the verdict came from the catalog');
like($out, qr/"allow_reason": "catalog: accounts is/, 'so does the JSON report');
like(sql(q{SELECT report::text FROM release.migrations WHERE name = 'V014__small_index.sql'}),
	qr/"allow_reason": "catalog: accounts is/, 'and the report in the ledger');

# --- a rerun counts the in-flight statement the interrupted run completed ----
# (the ledger is put where a run killed right after the statement leaves it)
sub interrupted_after
{
	my ($name, $text, $done) = @_;
	put($name, $text);
	my $sum = sha256_hex($text);
	$node->safe_psql('postgres',
		"SELECT release.migration_started('$name', '$sum', 'safe', 'autocommit', '{}');"
		  . "SELECT release.migration_progress('$name', '$sum', $done)",
		extra_params => [ '-U', 'deployer' ]);
}
interrupted_after('V015__drop_index.sql', "SET lock_timeout = '2s';\nDROP INDEX CONCURRENTLY accounts_a_small;\n", 1);
sql(q{DROP INDEX accounts_a_small});
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a DROP INDEX CONCURRENTLY done by the interrupted run is not run again') or diag($err);
like($out, qr/index accounts_a_small was already dropped by the interrupted run/, 'and says so');
interrupted_after('V016__build_index.sql', "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY accounts_id_desc ON accounts (id DESC);\n", 1);
sql(q{CREATE INDEX accounts_id_desc ON accounts (id DESC)});
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a CREATE INDEX CONCURRENTLY done by the interrupted run is not run again') or diag($err);
like($out, qr/index public\.accounts_id_desc was built by the interrupted run/, 'and says so');
is(status_of('V016__build_index.sql'), 'applied', 'recorded applied');

# --- a file that wraps itself in BEGIN ... COMMIT -----------------------------
# its COMMIT must not commit the file before its ledger row: apply skips the
# wrapper and runs the file in its own transaction
put('V017__wrapped.sql', "BEGIN;\nSET LOCAL lock_timeout = '2s';\nCREATE TABLE wrapped (a int);\nCOMMIT;\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a file with its own BEGIN/COMMIT is applied') or diag($err);
is(status_of('V017__wrapped.sql'), 'applied', 'and recorded applied');
is(sql(q{SELECT to_regclass('wrapped') IS NOT NULL}), 't', 'its table exists');
is(sql(q{SELECT (SELECT xmin FROM pg_class WHERE oid = 'wrapped'::regclass)
              = (SELECT xmin FROM release.migrations WHERE name = 'V017__wrapped.sql')}), 't',
	'its table and its ledger row committed in one transaction');

# --- a file's SET ROLE does not leak into the next file or the ledger --------
sql(q{CREATE ROLE app_owner; GRANT app_owner TO deployer; GRANT CREATE ON SCHEMA public TO app_owner;});
put('V018__as_owner.sql', "SET ROLE app_owner;\nCREATE TABLE owned_by_app (a int);\n");
put('V019__after.sql', "CREATE TABLE after_role (a int);\n");
($rc, $out, $err) = gk('apply', '--dsn', $dsn, $dir);
is($rc, 0, 'a file that sets a role, then another file') or diag($err);
is(sql(q{SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'owned_by_app'::regclass}),
	'app_owner', 'the file ran as the role it chose');
is(sql(q{SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'after_role'::regclass}),
	'deployer', 'the next file ran as the deployer again');

# --- the ledger is consistent at the end ------------------------------------
is(sql(q{SELECT count(*) FROM release.migrations WHERE status <> 'applied'}), '0', 'every file applied');
is(sql(q{SELECT count(*) FROM release.migrations}), '19', 'one row per file');
is(sql(q{SELECT intact FROM flag_audit_verify()}), 't', 'the audit chain is intact');

$node->stop;
done_testing();
