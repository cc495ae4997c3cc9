#!/usr/bin/perl -w
# Dump public-inbox's own threading of a v2 inbox, one line per message (tab separated):
#   mid  tid  sid  parent  present_parent  references
# tid/sid: the over.sqlite3 thread id and subject id (what /T/ and t.mbox.gz select by);
# parent: the container public-inbox's /T/ view puts the message under
# (PublicInbox::SearchThread::thread, its JWZ threading over the indexed References),
# possibly a ghost (a Message-ID not in the archive); present_parent: the nearest
# ancestor that is in the archive ('' for a root); references: the Message-IDs public-inbox
# indexed from References and In-Reply-To (space separated). Usage: pi_threads.pl INBOXDIR
use strict;
use PublicInbox::Inbox;
use PublicInbox::SearchThread;
my $dir = shift or die "usage: $0 INBOXDIR\n";
my $ibx = PublicInbox::Inbox->new({ inboxdir => $dir, name => 'x', address => ['x@example.org'] });
my $over = $ibx->over(1);
my $dbh = $over->dbh;
my $tids = $dbh->selectcol_arrayref('SELECT DISTINCT tid FROM over WHERE num > 0 ORDER BY tid');
binmode STDOUT, ':utf8';
sub refs { join(' ', $_[0] =~ /<([^>]+)>/g) }
for my $tid (@$tids) {
	my $msgs = $over->do_get(<<'', { limit => 1000000 }, $tid);
SELECT num,tid,sid,ts,ds,ddd FROM over WHERE tid = ? AND num > 0 ORDER BY ds ASC

	my %meta = map { $_->{mid} => [$_->{tid}, $_->{sid} // '', $_->{references} // ''] } @$msgs;
	my $rootset = PublicInbox::SearchThread::thread($msgs,
		sub { @{$_[0]} = sort { ($a->{ds} // 0) <=> ($b->{ds} // 0) } @{$_[0]} },
		{ ibx => $ibx });
	my @q = map { [$_, undef, undef] } @$rootset;
	while (my $e = shift @q) {
		my ($node, $parent, $present) = @$e;
		my $real = $node->{blob} ? 1 : 0;
		if ($real && exists $meta{$node->{mid}}) {
			my ($t, $s, $r) = @{delete $meta{$node->{mid}}};
			print join("\t", $node->{mid}, $t, $s, $parent // '', $present // '', refs($r)), "\n";
		}
		my $np = $real ? $node->{mid} : $present;
		push @q, [$_, $node->{mid}, $np] for @{$node->{children} // []};
	}
	# messages the tree walk did not reach (reused Message-IDs): roots of their own
	for (sort keys %meta) {
		my ($t, $s, $r) = @{$meta{$_}};
		print join("\t", $_, $t, $s, '', '', refs($r)), "\n";
	}
}
