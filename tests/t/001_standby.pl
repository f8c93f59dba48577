# 001_standby.pl — a warm session on a hot standby sees a flag toggled on the
# primary once the change is replayed: the relcache invalidation sent by the
# cache trigger rides in the commit record and is replayed on the standby.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_release');
$primary->safe_psql('postgres', q{SELECT flag_create('TASK-123', 'OAuth login')});

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay');

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'standby is in recovery');

# One long-lived session on the standby: its cache warms and must then flip.
my $session = $standby->background_psql('postgres');
is($session->query_safe(q{SELECT flag_enabled('TASK-123', '2')}), 'f',
	'standby session: new flag is off');

# Enable on the primary; after replay the same standby session sees it.
$primary->safe_psql('postgres', q{SELECT flag_enable('TASK-123')});
$primary->wait_for_catchup($standby, 'replay');
is($session->query_safe(q{SELECT flag_enabled('TASK-123', '2')}), 't',
	'standby session: sees the enable after replay');

# A canary: the standby computes the same buckets as the primary.
$primary->safe_psql('postgres', q{SELECT flag_set_rollout('TASK-123', 10)});
$primary->wait_for_catchup($standby, 'replay');
my $q = q{SELECT string_agg(g::text, ',' ORDER BY g) FROM generate_series(1, 200) g
          WHERE flag_enabled('TASK-123', g::text)};
is($session->query_safe($q), $primary->safe_psql('postgres', $q),
	'standby session: same canary users as the primary');

# A transaction that matched no row still fires the statement trigger; an
# aborted one must never be seen.
$primary->safe_psql('postgres', q{UPDATE release.flags SET enabled = enabled WHERE false});
$primary->psql('postgres', q{BEGIN; SELECT flag_disable('TASK-123'); ROLLBACK;});
$primary->wait_for_catchup($standby, 'replay');
is($session->query_safe(q{SELECT flag_enabled('TASK-123', '2')}), 't',
	'standby session: an aborted disable is never seen');

# The kill switch reaches the standby too.
$primary->safe_psql('postgres', q{SELECT flag_disable('TASK-123')});
$primary->wait_for_catchup($standby, 'replay');
is($session->query_safe(q{SELECT flag_enabled('TASK-123', '2')}), 'f',
	'standby session: sees the kill switch after replay');

# Management is refused on the standby with the server's own error.
my ($rc, $out, $err) = $standby->psql('postgres', q{SELECT flag_enable('TASK-123')});
isnt($rc, 0, 'standby: management call fails');
like($err, qr/read-only transaction/, 'standby: refused as read-only');

$session->quit;
$standby->stop;
$primary->stop;
done_testing();
