# 002_guard.pl — the guard worker on a real server: a failing canary is
# rolled back (audited, alerted), a healthy one is not, ramps advance and stop
# on failure, alerts reach an HTTP receiver through `gatekeeper alerts` at
# least once, and a backend killed with SIGKILL leaves the counters usable.
use strict;
use warnings;
use IO::Socket::INET;
use IPC::Run;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $gatekeeper = $ENV{GATEKEEPER};
die "GATEKEEPER must point at the gatekeeper binary" unless $gatekeeper && -x $gatekeeper;

my $node = PostgreSQL::Test::Cluster->new('guard');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_release'
pg_release.database = 'postgres'
pg_release.guard_interval = '500ms'
pg_release.guard_window = '1s'
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_release');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_release guard'}),
	'guard worker is running');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# --- a failing canary is rolled back, a healthy one is not ------------------
sql(q{SELECT flag_create('TASK-1', 'failing canary'), flag_create('TASK-2', 'healthy canary');
      SELECT flag_set_rollout('TASK-1', 10), flag_set_rollout('TASK-2', 10);});

my $start = time;
my $rolled_back = 0;
while (time - $start < 20)
{
	# every 200 ms: TASK-1 fails 8 % of its requests, TASK-2 2 %
	sql(q{SELECT flag_report('TASK-1', 200, 16), flag_report('TASK-2', 200, 4)});
	if (sql(q{SELECT state FROM release.guard_state WHERE key = 'TASK-1'}) eq 'rolled_back')
	{
		$rolled_back = 1;
		last;
	}
	usleep(200_000);
}
my $elapsed = time - $start;
ok($rolled_back, sprintf('8 %% canary rolled back after %.1f s (window 1 s, 2 windows)', $elapsed));
cmp_ok($elapsed, '<', 6, 'rolled back within a few windows');
is(sql(q{SELECT rollout FROM flag_list WHERE key = 'TASK-1'}), '0', 'TASK-1 is at 0 %');
is(sql(q{SELECT flag_enabled('TASK-1', '2')}), 'f', 'its canary users no longer see it');

# keep reporting a healthy 2 % for a few more windows
for (1 .. 15)
{
	sql(q{SELECT flag_report('TASK-2', 200, 4)});
	usleep(200_000);
}
is(sql(q{SELECT rollout FROM flag_list WHERE key = 'TASK-2'}), '10', '2 % canary is not rolled back');
isnt(sql(q{SELECT state FROM release.guard_state WHERE key = 'TASK-2'}), 'rolled_back',
	'2 % canary is not marked rolled back');

# audited with the guard as actor and the numbers as the reason
my $audit = sql(q{SELECT application_name || ' | ' || note FROM flag_history('TASK-1')
                  WHERE note LIKE 'guard:%' ORDER BY id DESC LIMIT 1});
like($audit, qr/^pg_release guard \| guard: error rate 8\.00% over \d+ requests in 2 consecutive/,
	'rollback is audited with the guard as actor and the numbers as reason');
is(sql(q{SELECT count(*) FROM release.alerts WHERE flag_key = 'TASK-1' AND action = 'rolled_back'}),
	'1', 'one alert stored');
cmp_ok(sql(q{SELECT sum(requests) FROM release.flag_minutes WHERE key = 'TASK-1'}), '>', 0,
	'minute history is kept');

# --- alerts reach an HTTP receiver ------------------------------------------
my $tmp = PostgreSQL::Test::Utils::tempdir();
my $hits = "$tmp/hits";
my $status_file = "$tmp/status";
sub set_status { open my $f, '>', $status_file or die; print $f $_[0]; close $f; }
sub hits { return '' unless -e $hits; open my $f, '<', $hits or die; local $/; my $s = <$f>; close $f; return $s; }
set_status('200');

my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	Listen => 10, ReuseAddr => 1) or die "listen: $!";
my $port = $server->sockport;
my $receiver = fork();
die "fork: $!" unless defined $receiver;
if ($receiver == 0)
{
	# a minimal HTTP receiver: append each body to $hits, answer with $status_file
	while (my $c = $server->accept)
	{
		my ($len, $line) = (0, '');
		while (defined($line = <$c>) && $line ne "\r\n")
		{
			$len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
		}
		my $body = '';
		read($c, $body, $len) if $len;
		open my $s, '<', $status_file or die; my $status = <$s>; close $s;
		if ($status eq '200')
		{
			open my $h, '>>', $hits or die; print $h "$body\n"; close $h;
		}
		print $c "HTTP/1.1 $status X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		close $c;
	}
	exit 0;
}
close $server;
my $hook = "http://127.0.0.1:$port/services/T000/B000/secret-token";
my @alerts = ($gatekeeper, 'alerts', '--once', '--dsn', $node->connstr('postgres'));

my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ @alerts, '--slack-webhook', $hook ], '>', \$out, '2>', \$err);
ok($ok, 'gatekeeper alerts --once delivers the pending alert');
like(hits(), qr/"text":":rotating_light: pg_release rolled back TASK-1: error rate 8\.0% over \d+ requests \(threshold 5\.0%\)"/,
	'the Slack message reached the receiver');
like(hits(), qr/"blocks":\[/, 'the message has blocks');
unlike($err, qr/secret-token/, 'the webhook URL is never logged');
is(sql(q{SELECT count(*) FROM release.alerts WHERE delivered_at IS NULL}), '0', 'alert marked delivered');

# receiver down (HTTP 500): the alert stays pending, then arrives on the next run
set_status('500');
sql(q{SELECT release.raise_alert('TASK-2', 'test', '{"reason": "delivery test"}')});
$ok = IPC::Run::run([ @alerts, '--slack-webhook', $hook ], '>', \$out, '2>', \$err);
is($? >> 8, 1, 'undelivered alert: exit code 1');
is(sql(q{SELECT attempts || ' ' || last_error FROM release.alerts WHERE action = 'test'}),
	'1 webhook answered HTTP 500', 'failure recorded, alert still pending');
set_status('200');
$ok = IPC::Run::run([ @alerts, '--slack-webhook', $hook ], '>', \$out, '2>', \$err);
ok($ok, 'next run delivers it');
like(hits(), qr/pg_release test for TASK-2: delivery test/, 'the retried alert arrived');

# --- the long-running form: NOTIFY, and reconnect after a server restart ----
my $piped = "$tmp/piped";
my $daemon = IPC::Run::start([ $gatekeeper, 'alerts', '--dsn', $node->connstr('postgres'),
	'--poll', '60', '--max-backoff', '1', '--exec', "cat >> $piped" ], '>', \$out, '2>', \$err);
sub piped { return '' unless -e $piped; open my $f, '<', $piped or die; local $/; my $s = <$f>; close $f; return $s; }
sub wait_for { my ($cond) = @_; for (1 .. 100) { return 1 if $cond->(); usleep(100_000); } return 0; }
sql(q{SELECT release.raise_alert('TASK-2', 'notify_test', '{"reason": "first"}')});
ok(wait_for(sub { piped() =~ /"action": "notify_test"/ }), 'daemon delivers on NOTIFY');
$node->restart;
sql(q{SELECT release.raise_alert('TASK-2', 'after_restart', '{"reason": "second"}')});
ok(wait_for(sub { piped() =~ /"action": "after_restart"/ }), 'daemon reconnects and delivers after a restart');
$daemon->signal('TERM');
ok($daemon->finish, 'daemon exits 0 on SIGTERM');
unlike($err, qr/secret-token/, 'nothing secret in the daemon log');
kill 'TERM', $receiver;
waitpid($receiver, 0);

# --- progressive delivery ---------------------------------------------------
sql(q{SELECT flag_create('TASK-3', 'ramp'); SELECT flag_ramp('TASK-3', '{10,50,100}', '1 second');});
is(sql(q{SELECT rollout FROM flag_list WHERE key = 'TASK-3'}), '10', 'ramp starts at its first step');
ok($node->poll_query_until('postgres', q{SELECT state = 'done' FROM release.ramps WHERE key = 'TASK-3'}),
	'ramp advances to its last step');
is(sql(q{SELECT rollout FROM flag_list WHERE key = 'TASK-3'}), '100', 'ramp ends fully on');
is(sql(q{SELECT string_agg(note, ' / ' ORDER BY id) FROM flag_history('TASK-3') WHERE note LIKE 'guard: ramp%'}),
	'guard: ramp step 2 of 3 to 50% / guard: ramp step 3 of 3 to 100%', 'each step is audited');

sql(q{SELECT flag_create('TASK-4', 'failing ramp'); SELECT flag_ramp('TASK-4', '{10,50,100}', '1 hour');});
$start = time;
while (time - $start < 20)
{
	sql(q{SELECT flag_report('TASK-4', 200, 100)});
	last if sql(q{SELECT state FROM release.ramps WHERE key = 'TASK-4'}) eq 'stopped';
	usleep(200_000);
}
is(sql(q{SELECT state FROM release.ramps WHERE key = 'TASK-4'}), 'stopped', 'a failing ramp stops');
is(sql(q{SELECT rollout FROM flag_list WHERE key = 'TASK-4'}), '0', 'and is rolled back to 0 %');

# --- kill -9 of a backend while it reports -----------------------------------
my $session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_safe(q{SELECT flag_report('TASK-2', 10, 0)});
kill 'KILL', $pid;
# the client of the killed backend is gone with it: don't wait for it
eval { $session->{run}->kill_kill; };
ok($node->poll_query_until('postgres', 'SELECT 1', '1'), 'server accepts connections after the crash');
is(sql(q{SELECT flag_report('TASK-2', 7, 1)}), 't', 'reporting works after the crash');
is(sql(q{SELECT requests || '/' || errors FROM flag_stats WHERE key = 'TASK-2'}), '7/1',
	'counters are fresh and usable after crash recovery');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_release guard'}),
	'guard worker is back');

$node->stop;
done_testing();
