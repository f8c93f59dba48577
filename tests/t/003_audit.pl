# 003_audit.pl — the audit log's hash chain under concurrent writers
# (pgbench, READ COMMITTED and REPEATABLE READ with retries), on a hot
# standby, and across a pg_dump / pg_restore round trip: ids stay gapless and
# in commit order, the chain verifies, and a restore gives back the same
# chain bit for bit.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('audit');
$node->init(allows_streaming => 1);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_release');
$node->safe_psql('postgres',
	q{SELECT flag_create('A-' || i) FROM generate_series(1, 8) i});

# Four clients change flags at random; every call appends one audit row.
my $clients = 4;
my $per_client = 50;
$node->pgbench(
	"--no-vacuum --client=$clients --transactions=$per_client",
	0,
	[qr{processed: 200/200}],
	[qr{^$}],
	'concurrent writers, READ COMMITTED',
	{
		'003_rollout' => q{
\set k random(1, 8)
\set p random(0, 100)
SELECT flag_set_rollout('A-' || :k, :p, 'pgbench');
}
	},
	'postgres');

# Under REPEATABLE READ a writer that queued behind another gets a
# serialization failure; pgbench retries it, and the chain stays linear.
$node->pgbench(
	"--no-vacuum --client=$clients --transactions=$per_client --max-tries=1000",
	0,
	[qr{processed: 200/200}],
	[qr{^$}],
	'concurrent writers, REPEATABLE READ with retries',
	{
		'003_rollout_rr' => q{
\set k random(1, 8)
\set p random(0, 100)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT flag_set_rollout('A-' || :k, :p, 'pgbench rr');
COMMIT;
}
	},
	'postgres');

is( $node->safe_psql(
		'postgres', q{SELECT intact, checked, broken_id IS NULL FROM flag_audit_verify()}),
	"t|408|t",
	'chain intact: 8 creates + 400 rollouts');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) = max(id) AND min(id) = 1 FROM release.audit_log}),
	't', 'ids are gapless');
is( $node->safe_psql(
		'postgres',
		q{SELECT bool_and(prev_logged_at IS NULL OR logged_at >= prev_logged_at)
		    FROM (SELECT logged_at, lag(logged_at) OVER (ORDER BY id) AS prev_logged_at
		            FROM release.audit_log) a}),
	't', 'ids follow time: appends were serialized');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM release.audit_log WHERE target = 'flags' AND note LIKE 'pgbench%'}),
	'400', 'every committed call was audited once, with its note');

# A hot standby reads the same log: the trail and its verification work there.
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('audit_standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;
$node->safe_psql('postgres', q{SELECT flag_archive('A-8', 'after the backup')});
$node->wait_for_catchup($standby, 'replay');
is($standby->safe_psql('postgres', q{SELECT intact, checked FROM flag_audit_verify()}),
	"t|409", 'standby: chain intact, replayed row included');
is($standby->safe_psql('postgres', q{SELECT action || ' ' || note FROM flag_history('A-8') LIMIT 1}),
	'archive after the backup', 'standby: flag_history');
$standby->stop;

# pg_dump / pg_restore: the log and the approvals come back bit for bit
# when the restore runs with the audit triggers quiet.
$node->safe_psql('postgres', q{SELECT flag_create('R-1', regulated => true)});
$node->safe_psql('postgres', q{CREATE ROLE regress_approver LOGIN IN ROLE release_approver});
$node->safe_psql('postgres',
	q{SET SESSION AUTHORIZATION regress_approver; SELECT flag_approve('R-1', 'CR-1')});
my $before = $node->safe_psql('postgres', q{SELECT last_id || ' ' || last_hash FROM flag_audit_verify()});

my $dump = $node->basedir . '/audit.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'postgres' ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'restored', $dump ],
		'pg_restore with session_replication_role = replica');
}
is($node->safe_psql('restored', q{SELECT last_id || ' ' || last_hash FROM flag_audit_verify()}),
	$before, 'restored chain ends at the same hash');
is($node->safe_psql('restored', q{SELECT intact FROM flag_audit_verify()}),
	't', 'restored chain is intact');
is($node->safe_psql('restored', q{SELECT release.approval_status('R-1')}),
	'approved', 'approvals restored');
$node->safe_psql('restored', q{SELECT flag_set_rollout('A-1', 5, 'after restore')});
is( $node->safe_psql(
		'restored', q{SELECT intact, last_id FROM flag_audit_verify()}),
	"t|" . ((split / /, $before)[0] + 1), 'the restored log goes on chaining');

# Without that, the restore's own audit rows collide with the dumped log.
$node->safe_psql('postgres', 'CREATE DATABASE restored_loud');
$node->command_fails([ 'pg_restore', '--exit-on-error', '-d', 'restored_loud', $dump ],
	'a plain pg_restore fails loudly instead of forking the chain');

$node->stop;
done_testing();
